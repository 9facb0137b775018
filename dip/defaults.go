package dip

import "fmt"

// The training defaults, decided here once for the CLI and the
// experiments.
const (
	// DefaultRegNoise is DIP's reg_noise_std: the standard deviation of
	// the Gaussian perturbation added to the input noise at every step.
	DefaultRegNoise = 1.0 / 30
	// DefaultExpAvg is the weight of DIP's exponential average of the
	// outputs.
	DefaultExpAvg = 0.99
	// AdamLR is DIP's Adam learning rate, also the Adam step of Cheng et
	// al.'s SGLD.
	AdamLR = 0.01
	// ChengWeightDecay is the Adam weight decay of Cheng et al.'s SGLD.
	ChengWeightDecay = 5e-8
	// GDStepFraction is the default gradient-descent step as a fraction
	// of Kernel.StableLR: eta_eff lambda_max = GDStepFraction, where 1
	// fits the largest NTK mode in one step and 2 is the stability limit.
	GDStepFraction = 0.5
	// SGLDStepFraction is the default Langevin step eps as
	// eps/(2 s^2) lambda_max = SGLDStepFraction (s: the likelihood noise
	// std), the same effective rate as gd at half the stability margin.
	SGLDStepFraction = 0.5
)

// DefaultLR returns the learning rate of an optimizer kind when none is
// given: AdamLR for Adam and SGLDCheng; for GD and SGLD, whose step is
// fixed, the step set from the NTK's largest eigenvalue (GDStepFraction
// of k.StableLR(n); SGLD: eps = 2 s^2 SGLDStepFraction / lambda_max with s =
// noiseStd). n is the number of image values. k may be nil for Adam and
// SGLDCheng.
func DefaultLR(kind OptKind, k *Kernel, n int, noiseStd float64) (float64, error) {
	switch kind {
	case Adam, SGLDCheng:
		return AdamLR, nil
	case GD, SGLD:
	default:
		return 0, fmt.Errorf("dip: no default learning rate for optimizer %q; use gd, adam, sgld or sgld-cheng", kind)
	}
	if k == nil {
		return 0, fmt.Errorf("dip: the default %s learning rate comes from the NTK's largest eigenvalue; compute the kernel (dip.NewKernel) or give the learning rate", kind)
	}
	lmax := k.Prior.MaxEigenvalue()
	if !(lmax > 0) || n < 1 {
		return 0, fmt.Errorf("dip: the NTK's largest eigenvalue is %v for %d values; give the %s learning rate", lmax, n, kind)
	}
	if kind == GD {
		return GDStepFraction * k.StableLR(n), nil
	}
	if !(noiseStd > 0) {
		return 0, fmt.Errorf("dip: sgld's default step needs the likelihood noise std (Optimizer.NoiseStd > 0), got %v", noiseStd)
	}
	return 2 * noiseStd * noiseStd * SGLDStepFraction / lmax, nil
}

// DefaultWeightDecay returns the Adam weight decay of an optimizer kind:
// ChengWeightDecay for SGLDCheng, 0 otherwise.
func DefaultWeightDecay(kind OptKind) float64 {
	if kind == SGLDCheng {
		return ChengWeightDecay
	}
	return 0
}

// DefaultRegNoiseFor returns the input perturbation of an optimizer kind:
// DIP's DefaultRegNoise for Adam and SGLDCheng, none for GD and SGLD
// (whose comparison with the NTK assumes a fixed input).
func DefaultRegNoiseFor(kind OptKind) float64 {
	if kind == Adam || kind == SGLDCheng {
		return DefaultRegNoise
	}
	return 0
}

// DefaultBurnIn returns the first iteration of the posterior-mean average
// for an optimizer kind: half the iterations for SGLD and SGLDCheng, -1
// (off) otherwise.
func DefaultBurnIn(kind OptKind, iters int) int {
	if kind == SGLD || kind == SGLDCheng {
		return iters / 2
	}
	return -1
}
