package dip

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/nn"
)

// OptKind names an optimizer.
type OptKind string

// Optimizers.
const (
	// GD is plain gradient descent, p <- p - LR * grad (torch.optim.SGD
	// without momentum).
	GD OptKind = "gd"
	// Adam is torch.optim.Adam.
	Adam OptKind = "adam"
	// SGLD is textbook Langevin dynamics on the posterior (see the package
	// documentation).
	SGLD OptKind = "sgld"
	// SGLDCheng is Cheng et al.'s SGLD: an Adam step with weight decay,
	// then Gaussian noise of std ParamNoise*LR on the conv weights.
	SGLDCheng OptKind = "sgld-cheng"
)

// ParseOpt reads "gd", "adam", "sgld" or "sgld-cheng".
func ParseOpt(s string) (OptKind, error) {
	switch k := OptKind(strings.ToLower(strings.TrimSpace(s))); k {
	case GD, Adam, SGLD, SGLDCheng:
		return k, nil
	}
	return "", fmt.Errorf("dip: unknown optimizer %q; use gd, adam, sgld or sgld-cheng", s)
}

// FixedStep reports whether the optimizer has a fixed step, so that the
// kernel's time scale applies directly (gd and sgld); for Adam and
// sgld-cheng a time scale has to be fitted.
func (k OptKind) FixedStep() bool { return k == GD || k == SGLD }

// Optimizer configures the parameter updates.
type Optimizer struct {
	// Kind is GD, Adam, SGLD or SGLDCheng.
	Kind OptKind
	// LR is the learning rate (the step eps of SGLD).
	LR float64
	// Beta1, Beta2, Eps are Adam's (0 means PyTorch's 0.9, 0.999, 1e-8).
	Beta1, Beta2, Eps float64
	// WeightDecay is Adam's L2 term added to the gradient; sgld-cheng uses
	// it (Cheng et al.: 5e-8).
	WeightDecay float64
	// ParamNoise is sigma_p of sgld-cheng: noise of std ParamNoise*LR is
	// added to every conv weight after each Adam step (Cheng et al.: 2).
	ParamNoise float64
	// NoiseStd is s, the noise standard deviation of the Gaussian
	// likelihood of textbook SGLD (values in [0, 1] units).
	NoiseStd float64
	// PriorStd is p, the standard deviation of the Gaussian prior on every
	// raw parameter of textbook SGLD; 0 means the initialization's own
	// scale: 1 in the NTK parameterization, the init std of each conv
	// tensor in the standard one; batch norm scales get N(1, 1) and shifts
	// N(0, 1).
	PriorStd float64
}

func (o Optimizer) withDefaults() Optimizer {
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	return o
}

func (o Optimizer) validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || v < 0 }
	if _, err := ParseOpt(string(o.Kind)); err != nil {
		return err
	}
	if bad(o.LR) || o.LR == 0 {
		return fmt.Errorf("dip: learning rate %v must be finite and > 0", o.LR)
	}
	if !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) || bad(o.Eps) {
		return fmt.Errorf("dip: Adam betas (%v, %v) must be in [0, 1) and eps %v >= 0", o.Beta1, o.Beta2, o.Eps)
	}
	if bad(o.WeightDecay) || bad(o.ParamNoise) || bad(o.PriorStd) {
		return fmt.Errorf("dip: weight decay %v, parameter noise %v and prior std %v must be finite and >= 0", o.WeightDecay, o.ParamNoise, o.PriorStd)
	}
	if o.Kind == SGLD && (!(o.NoiseStd > 0) || math.IsInf(o.NoiseStd, 0)) {
		return fmt.Errorf("dip: textbook SGLD needs a likelihood noise std > 0 (got %v); give e.g. the task's sigma/255", o.NoiseStd)
	}
	return nil
}

// stepper updates the parameters after a backward pass. step is the index
// of the update (0 for the first); its random draws come from a stream
// derived from (seed, step) so that a resumed run draws the same noise.
type stepper interface {
	step(step int) error
	// state returns named float32 arrays to checkpoint (nil: stateless)
	// and the number of steps taken.
	state() (map[string][]float32, int)
	// setState restores what state returned.
	setState(arrays map[string][]float32, steps int) error
}

func newStepper(o Optimizer, params []*nn.Param, seed uint64, a arch.Arch) stepper {
	switch o.Kind {
	case GD:
		return &gdStep{sgd: nn.NewSGD(params, o.LR)}
	case SGLD:
		return newLangevin(o, params, seed, a)
	default:
		a := newAdamState(params, o)
		if o.Kind == SGLDCheng {
			a.noise = o.ParamNoise * o.LR
			a.seed = seed
		}
		return a
	}
}

type gdStep struct{ sgd *nn.SGD }

func (g *gdStep) step(int) error                           { return g.sgd.Step() }
func (g *gdStep) state() (map[string][]float32, int)       { return nil, 0 }
func (g *gdStep) setState(map[string][]float32, int) error { return nil }

// adamState is torch.optim.Adam (amsgrad off) with its moments exposed for
// checkpoints; it performs exactly nn.Adam's float32 operations (a test
// checks bit equality) and optionally adds Cheng et al.'s weight noise.
type adamState struct {
	params []*nn.Param
	o      Optimizer
	m, v   [][]float32
	steps  int
	noise  float64 // std of the noise added to conv weights (sgld-cheng)
	seed   uint64
}

func newAdamState(params []*nn.Param, o Optimizer) *adamState {
	a := &adamState{params: params, o: o}
	a.m = make([][]float32, len(params))
	a.v = make([][]float32, len(params))
	for i, p := range params {
		a.m[i] = make([]float32, len(p.Data))
		a.v[i] = make([]float32, len(p.Data))
	}
	return a
}

func checkGrads(ps []*nn.Param) error {
	for _, p := range ps {
		for _, g := range p.Grad {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				return fmt.Errorf("dip: the gradient of %s holds %v; the loss diverged: lower the learning rate", p.Name, g)
			}
		}
	}
	return nil
}

func (a *adamState) step(step int) error {
	if err := checkGrads(a.params); err != nil {
		return err
	}
	a.steps++
	t := float64(a.steps)
	bc1 := 1 - math.Pow(a.o.Beta1, t)
	bc2 := 1 - math.Pow(a.o.Beta2, t)
	stepSize := float32(a.o.LR / bc1)
	bc2s := float32(math.Sqrt(bc2))
	b1, b2 := float32(a.o.Beta1), float32(a.o.Beta2)
	omb1, omb2 := float32(1-a.o.Beta1), float32(1-a.o.Beta2)
	eps, wd := float32(a.o.Eps), float32(a.o.WeightDecay)
	for i, p := range a.params {
		m, v, data, grad := a.m[i], a.v[i], p.Data, p.Grad
		for j := range data {
			// The same float32 operations, in the same order, as nn.Adam
			// (PyTorch's), each product rounded before the sum.
			g := float32(wd*data[j]) + grad[j]
			mj := float32(b1*m[j]) + float32(omb1*g)
			vj := float32(b2*v[j]) + float32(omb2*float32(g*g))
			m[j], v[j] = mj, vj
			den := float32(float32(math.Sqrt(float64(vj)))/bc2s) + eps
			data[j] -= float32(stepSize * float32(mj/den))
		}
	}
	if a.noise > 0 {
		addConvNoise(a.params, a.noise, a.seed, step)
	}
	return nil
}

// addConvNoise adds N(0, std^2) to every conv weight (Cheng et al. add it
// to the 4-D parameters), from the stream (seed, step).
func addConvNoise(params []*nn.Param, std float64, seed uint64, step int) {
	rng := rand.New(rand.NewPCG(seed^0x53474c44, uint64(step))) // "SGLD"
	for _, p := range params {
		if p.Kind != nn.ConvWeight {
			continue
		}
		for j := range p.Data {
			p.Data[j] += float32(std * rng.NormFloat64())
		}
	}
}

func (a *adamState) state() (map[string][]float32, int) {
	s := map[string][]float32{}
	for i, p := range a.params {
		s[p.Name+".exp_avg"] = a.m[i]
		s[p.Name+".exp_avg_sq"] = a.v[i]
	}
	return s, a.steps
}

func (a *adamState) setState(s map[string][]float32, steps int) error {
	for i, p := range a.params {
		for _, k := range []struct {
			name string
			dst  []float32
		}{{p.Name + ".exp_avg", a.m[i]}, {p.Name + ".exp_avg_sq", a.v[i]}} {
			src, ok := s[k.name]
			if !ok || len(src) != len(k.dst) {
				return fmt.Errorf("dip: the checkpoint's optimizer state lacks %s (or has the wrong size); it was written by another optimizer or architecture", k.name)
			}
			copy(k.dst, src)
		}
	}
	a.steps = steps
	return nil
}

// langevin is textbook SGLD: theta <- theta - (eps/2) grad U + N(0, eps),
// U = ||m(f - y)||^2/(2 s^2) + sum (theta - mu)^2/(2 p^2). The data term's
// gradient is what Backward left in Grad (Train back-propagates
// m(f - y)/s^2 for SGLD).
type langevin struct {
	params []*nn.Param
	eps    float64
	mu     []float32 // prior mean per tensor
	prec   []float64 // 1/p^2 per tensor
	seed   uint64
}

func newLangevin(o Optimizer, params []*nn.Param, seed uint64, a arch.Arch) *langevin {
	l := &langevin{params: params, eps: o.LR, seed: seed}
	for _, p := range params {
		mu, std := float32(0), o.PriorStd
		switch p.Kind {
		case nn.BNWeight:
			mu = 1
			if std == 0 {
				std = 1
			}
		case nn.BNBias:
			if std == 0 {
				std = 1
			}
		default:
			if std == 0 {
				std = initStd(p, a)
			}
		}
		l.mu = append(l.mu, mu)
		l.prec = append(l.prec, 1/(std*std))
	}
	return l
}

// initStd returns the standard deviation of a conv parameter's raw
// initialization: 1 in the NTK parameterization (w, b ~ N(0, 1) or unit-
// variance uniform), sqrt(s_w^2/fan_in) for weights and s_b for biases in
// the standard one (PyTorch's uniform: 1/sqrt(3 fan_in)). A zero bias
// scale falls back to 1.
func initStd(p *nn.Param, a arch.Arch) float64 {
	if a.Param == arch.NTK || p.FanIn < 1 {
		return 1
	}
	sw2, sb2 := a.Init.Variances(p.FanIn)
	v := sw2 / float64(p.FanIn)
	if p.Kind == nn.ConvBias {
		v = sb2
	}
	if !(v > 0) {
		return 1
	}
	return math.Sqrt(v)
}

func (l *langevin) step(step int) error {
	if err := checkGrads(l.params); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(l.seed^0x4c414e47, uint64(step))) // "LANG"
	half := l.eps / 2
	sq := math.Sqrt(l.eps)
	for i, p := range l.params {
		mu, prec := float64(l.mu[i]), l.prec[i]
		for j, g := range p.Grad {
			th := float64(p.Data[j])
			th += -half*(float64(g)+prec*(th-mu)) + sq*rng.NormFloat64()
			p.Data[j] = float32(th)
		}
	}
	return nil
}

func (l *langevin) state() (map[string][]float32, int)       { return nil, 0 }
func (l *langevin) setState(map[string][]float32, int) error { return nil }
