package dip

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/nn"
	"gorgonia.org/tensor"
)

// Linearized is the training of the network's linearization around its
// initialization (TrainLinearized).
type Linearized struct {
	// Measurements are made at the same iterations as Train's, the same
	// way (PSNRAvg and PSNRMean are NaN: no averages are kept).
	Measurements []Measurement
	// Outputs holds f_lin at every measurement.
	Outputs [][]float64
	// Start is f(theta0), the common start of both models.
	Start []float64
	// StepSeconds is the mean wall time of an iteration (one JVP, one
	// backward pass, the update), measurements excluded.
	StepSeconds float64
	// Diverged reports that the linearized loss grew beyond
	// DivergenceFactor times its initial value or stopped being finite, at
	// iteration DivergedIter; training stopped there and Measurements end
	// before it. For gd, EtaLambda estimates eta_eff lambda_max of the
	// empirical NTK from the growth of the loss, which the top mode
	// dominates: sqrt(L_t / L_{t-1}) = |1 - eta_eff lambda_max| (NaN
	// otherwise).
	Diverged     bool
	DivergedIter int
	EtaLambda    float64
	// Note says what was linearized and what was left out, and why
	// training stopped when it diverged.
	Note string
}

// DivergenceFactor is the growth of the linearized loss over its initial
// value at which TrainLinearized stops and reports divergence.
const DivergenceFactor = 1e3

// TrainLinearized trains the linearized network
//
//	f_lin(theta) = f(theta0) + J(theta0) (theta - theta0)
//
// of cfg's network (theta0 and the input z drawn from cfg.Seed, as Train
// draws them) with the same loss, optimizer and measurements as Train. Its
// gradient is J^T dL/df_lin, so an iteration is one JVP (nn.Net.JVP, which
// also gives f(theta0)) and one backward pass at theta0; the optimizer
// (gd, or Adam with its moments) updates theta - theta0. Batch norms stay
// in training mode: J includes the dependence of their statistics.
//
// The linearization is around the fixed input z: DIP's input perturbation
// (cfg.RegNoise) is not applied, and the Note says so when it is on, so a
// comparison with a run that perturbs its input measures that difference
// too. gd and adam (without weight decay) are supported.
//
// The linearization is a linear model: with gd it diverges when eta_eff
// times the largest eigenvalue of its empirical NTK exceeds 2, which at
// finite width can happen at a step the infinite-width NTK deems stable
// (the network itself may still train, by leaving its linearization).
// TrainLinearized then stops and reports it (Diverged) instead of
// returning an error, keeping the measurements made before.
func TrainLinearized(ctx context.Context, cfg Config) (Linearized, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Linearized{}, err
	}
	if k := cfg.Opt.Kind; k != GD && k != Adam {
		return Linearized{}, fmt.Errorf("dip: the linearized network is trained with gd or adam; %s is not supported", k)
	}
	if cfg.Opt.WeightDecay != 0 {
		return Linearized{}, fmt.Errorf("dip: the linearized network is trained without weight decay (got %g); set it to 0", cfg.Opt.WeightDecay)
	}
	img := cfg.Problem.Target
	size, err := gridSize(cfg.Arch, img)
	if err != nil {
		return Linearized{}, err
	}
	n := len(img.Pix)
	meter, err := NewMeter(img, cfg.Bins)
	if err != nil {
		return Linearized{}, err
	}
	z, err := nn.NewInput(cfg.Arch, size, 1, cfg.Seed)
	if err != nil {
		return Linearized{}, err
	}
	net, err := nn.Build(cfg.Arch, size, cfg.Seed)
	if err != nil {
		return Linearized{}, err
	}
	// delta = theta - theta0, sharing the network's gradient storage.
	params := net.Params()
	delta := make([]*nn.Param, len(params))
	tangents := make([][]float32, len(params))
	for i, p := range params {
		d := *p
		d.Data = make([]float32, len(p.Data))
		delta[i] = &d
		tangents[i] = d.Data
	}
	opt := newStepper(cfg.Opt, delta, cfg.Seed, cfg.Arch)
	lin := Linearized{Note: fmt.Sprintf("%s on f(theta0) + J(theta0)(theta - theta0) at the fixed input", cfg.Opt.Kind)}
	if cfg.RegNoise > 0 {
		lin.Note += fmt.Sprintf("; the run perturbs its input (std %.3g), the linearization does not", cfg.RegNoise)
	}
	weights := cfg.Problem.Weights()
	target := img.Pix
	scale := 2 / float64(n)
	dyData := make([]float32, n)
	dy := tensor.New(tensor.WithShape(net.OutputShape(1)...), tensor.WithBacking(dyData))
	f := imageio.Image{W: img.W, H: img.H, C: img.C, Pix: make([]float64, n)}
	var stepSec float64
	var losses []float64
	steps := 0
	lin.EtaLambda = math.NaN()
	for t := 0; t <= cfg.Iters; t++ {
		if err := ctx.Err(); err != nil {
			return lin, err
		}
		t0 := time.Now()
		out, jv, err := net.JVP(z, tangents)
		if err != nil {
			return lin, err
		}
		od, jd := out.Data().([]float32), jv.Data().([]float32)
		loss := 0.0
		for i := range f.Pix {
			v := float64(od[i]) + float64(jd[i])
			f.Pix[i] = v
			r := weights[i] * (v - target[i])
			loss += r * r
		}
		loss /= float64(n)
		el := time.Since(t0).Seconds()
		if t > 0 && (math.IsNaN(loss) || math.IsInf(loss, 0) || loss > DivergenceFactor*losses[0]) {
			lin.diverge(cfg.Opt, t, losses)
			break
		}
		losses = append(losses, loss)
		if t == 0 {
			lin.Start = append([]float64(nil), f.Pix...)
			if err := meter.SetStart(f); err != nil {
				return lin, err
			}
		}
		if t%cfg.Every == 0 || t == cfg.Iters {
			clip := cfg.Problem.clips()
			m := Measurement{Iter: t, Loss: loss, PSNR: imageio.PSNRValues(f.Pix, cfg.Problem.Clean.Pix, clip), PSNRTarget: imageio.PSNRValues(f.Pix, target, clip),
				PSNRAvg: math.NaN(), PSNRMean: math.NaN(), Seconds: stepSec}
			if m.FBC, err = meter.FBC(f); err != nil {
				return lin, err
			}
			if m.Ratio, err = meter.Ratios(f); err != nil {
				return lin, err
			}
			lin.Measurements = append(lin.Measurements, m)
			lin.Outputs = append(lin.Outputs, append([]float64(nil), f.Pix...))
		}
		if t == cfg.Iters {
			break
		}
		t1 := time.Now()
		for i, v := range f.Pix {
			dyData[i] = float32(scale * weights[i] * weights[i] * (v - target[i]))
		}
		net.ZeroGrad()
		if err := net.Backward(dy); err != nil {
			return lin, err
		}
		if err := opt.step(t); err != nil {
			return lin, err
		}
		stepSec += el + time.Since(t1).Seconds()
		steps++
	}
	if steps > 0 {
		lin.StepSeconds = stepSec / float64(steps)
	}
	return lin, nil
}

// diverge records that training diverged at iteration t, with the finite
// losses of iterations 0 to t-1.
func (lin *Linearized) diverge(o Optimizer, t int, losses []float64) {
	lin.Diverged, lin.DivergedIter = true, t
	lin.Note += fmt.Sprintf("; DIVERGED at iteration %d (loss beyond %g times the initial or not finite)", t, DivergenceFactor)
	if o.Kind != GD {
		return
	}
	// The top mode dominates the growth: L_t / L_{t-1} = (1 - eta lambda)^2.
	if k := len(losses); k >= 2 && losses[k-2] > 0 {
		lin.EtaLambda = 1 + math.Sqrt(losses[k-1]/losses[k-2])
		lin.Note += fmt.Sprintf(" (eta_eff lambda_max = %.3g from the loss growth, beyond the stability limit 2: the finite network's empirical NTK "+
			"has a larger top eigenvalue than the step allows; choose the step from it, e.g. dipgp compare --lr-from empirical)", lin.EtaLambda)
	}
}
