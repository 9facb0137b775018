package gp

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/dipgp/dipgp/kernel"
)

// Hyper holds the hyperparameters of a GP regression.
type Hyper struct {
	// Scale is s^2: the prior covariance is Scale * K.
	Scale float64 `json:"scale"`
	// Noise is the noise standard deviation, in the units of the data.
	Noise float64 `json:"noise"`
	// Length is the length scale in pixels of a baseline kernel (0 for
	// an architecture's kernel).
	Length float64 `json:"length,omitempty"`
	// Mean is the generalized least squares estimate of the constant
	// mean, per channel.
	Mean []float64 `json:"mean"`
	// LogML is the restricted log marginal likelihood at these values,
	// summed over channels (for windowed fits, the composite likelihood
	// summed over the windows).
	LogML float64 `json:"log_marginal_likelihood"`
	// Fitted lists the hyperparameters that were fitted ("scale",
	// "noise", "length"); AtEdge those whose optimum was on the edge of the
	// search range.
	Fitted []string `json:"fitted"`
	AtEdge []string `json:"at_edge,omitempty"`
}

// Restoration is the result of Denoise or Inpaint.
type Restoration struct {
	// Mean is the posterior mean per channel (the restored signal).
	Mean [][]float64
	// Var is the posterior variance per grid point, shared by all
	// channels (same kernel, same hyperparameters, same mask), estimated
	// from posterior draws; nil if not computed.
	Var []float64
	// PointVar is the exact posterior variance at the requested points.
	PointVar []float64
	// Hyper are the hyperparameters used.
	Hyper Hyper
	// Note describes the kernel representation and method.
	Note string
	// Iterations and Residual are the conjugate-gradient iterations and
	// final relative residual of every linear solve (inpainting only).
	Iterations []int
	Residual   []float64
}

// DenoiseOptions control Denoise. Zero values mean "fit".
type DenoiseOptions struct {
	// Scale is s^2 (prior covariance Scale * K); 0 fits it.
	Scale float64
	// Noise is the noise standard deviation; 0 fits it.
	Noise float64
	// MinNoise is the smallest noise level a fit may return (for 8-bit
	// images, the quantization noise 1/(255 sqrt(12))); 0: no floor.
	MinNoise float64
}

// checkData validates channels of grid values.
func checkData(y [][]float64, n int) error {
	if len(y) == 0 {
		return errors.New("gp: no data channels")
	}
	for c, ch := range y {
		if len(ch) != n {
			return fmt.Errorf("gp: channel %d has %d values for a grid of %d points", c, len(ch), n)
		}
		for i, v := range ch {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("gp: channel %d value %d is %v", c, i, v)
			}
		}
	}
	return nil
}

func checkHyper(scale, noise float64) error {
	if scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return fmt.Errorf("gp: scale %g must be >= 0 (0 fits it)", scale)
	}
	if noise < 0 || math.IsNaN(noise) || math.IsInf(noise, 0) {
		return fmt.Errorf("gp: noise %g must be >= 0 (0 fits it)", noise)
	}
	return nil
}

// dataVariance returns the mean over channels of the sample variance.
func dataVariance(y [][]float64) float64 {
	var v float64
	for _, ch := range y {
		var m, s float64
		for _, x := range ch {
			m += x
		}
		m /= float64(len(ch))
		for _, x := range ch {
			s += (x - m) * (x - m)
		}
		v += s / float64(len(ch))
	}
	return v / float64(len(y))
}

// Denoise returns the posterior mean of f given y = f + e per channel, with
// f ~ GP(mu, Scale K), e ~ N(0, Noise^2 I) and a constant mean mu with a flat
// prior (estimated by generalized least squares). Scale and Noise are used
// as given or fitted by maximizing the restricted log marginal likelihood,
// jointly over channels. Everything is computed in the Prior's modes
// (Fourier space for stationary maps), exactly.
func (p *Prior) Denoise(y [][]float64, o DenoiseOptions) (*Restoration, error) {
	return p.DenoiseContext(context.Background(), y, o)
}

// DenoiseContext is Denoise that stops when ctx is done (checked between
// the transforms, the hyperparameter fit and the per-channel posterior
// means); the error is then ctx's.
func (p *Prior) DenoiseContext(ctx context.Context, y [][]float64, o DenoiseOptions) (*Restoration, error) {
	if err := checkData(y, p.n); err != nil {
		return nil, err
	}
	if err := checkHyper(o.Scale, o.Noise); err != nil {
		return nil, err
	}
	if err := checkHyper(0, o.MinNoise); err != nil {
		return nil, err
	}
	cy := make([][]complex128, len(y))
	parallel(len(y), p.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			cy[c] = p.coords(y[c])
		}
	})
	ones := make([]float64, p.n)
	for i := range ones {
		ones[i] = 1
	}
	c1 := p.coords(ones)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := p.remlOf(cy, c1)
	fr, err := r.fit(o.Scale, o.Noise, o.MinNoise, dataVariance(y))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Restoration{Note: p.Note(), Mean: make([][]float64, len(y))}
	res.Hyper = Hyper{Scale: fr.s2, Noise: math.Sqrt(fr.sig2), LogML: fr.ll, Fitted: fr.fitted, AtEdge: fr.edge, Mean: make([]float64, len(y))}
	g := make([]float64, len(p.lam))
	h := make([]float64, len(p.lam))
	for j, l := range p.lam {
		c := fr.s2*l + fr.sig2
		g[j] = 1 / c
		h[j] = fr.s2 * l / c
	}
	parallel(len(y), p.workers, func(lo, hi int) {
		for ch := lo; ch < hi && ctx.Err() == nil; ch++ {
			var s1y, s11 float64
			for j := range g {
				s1y += g[j] * r.ey1[ch][j]
				s11 += g[j] * r.e11[j]
			}
			mu := s1y / s11
			c := make([]complex128, len(h))
			for j, v := range cy[ch] {
				d := v - complex(mu, 0)*c1[j]
				c[j] = complex(real(d)*h[j], imag(d)*h[j])
			}
			f := p.synth(c)
			for i := range f {
				f[i] += mu
			}
			res.Mean[ch] = f
			res.Hyper.Mean[ch] = mu
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// remlOf returns the likelihood evaluator for whole-grid data with mode
// coordinates cy (per channel) and c1 (the constant grid).
func (p *Prior) remlOf(cy [][]complex128, c1 []complex128) *reml {
	nm := len(p.lam)
	r := &reml{lam: p.lam, wt: p.wt, groups: []group{{0, nm, p.n}}, e11: make([]float64, nm), workers: p.workers}
	for j, e := range p.ef {
		r.e11[j] = e * (real(c1[j])*real(c1[j]) + imag(c1[j])*imag(c1[j]))
	}
	for _, c := range cy {
		yy := make([]float64, nm)
		y1 := make([]float64, nm)
		for j, e := range p.ef {
			yy[j] = e * (real(c[j])*real(c[j]) + imag(c[j])*imag(c[j]))
			y1[j] = e * (real(c[j])*real(c1[j]) + imag(c[j])*imag(c1[j]))
		}
		r.eyy = append(r.eyy, yy)
		r.ey1 = append(r.ey1, y1)
	}
	return r
}

// LogML returns the restricted log marginal likelihood of the data y
// (channels) under Scale K + Noise^2 I with a constant mean, summed over
// channels.
func (p *Prior) LogML(y [][]float64, scale, noise float64) (float64, error) {
	if err := checkData(y, p.n); err != nil {
		return 0, err
	}
	if !(scale > 0) || !(noise > 0) {
		return 0, fmt.Errorf("gp: LogML needs positive scale and noise, got %g and %g", scale, noise)
	}
	ones := make([]float64, p.n)
	for i := range ones {
		ones[i] = 1
	}
	cy := make([][]complex128, len(y))
	for c := range y {
		cy[c] = p.coords(y[c])
	}
	return p.remlOf(cy, p.coords(ones)).logLik(scale, noise*noise), nil
}

// Denoise is NewPrior(m, PriorOptions{}) followed by Prior.Denoise.
func Denoise(m kernel.Map, y [][]float64, o DenoiseOptions) (*Restoration, error) {
	return DenoiseContext(context.Background(), m, y, o)
}

// DenoiseContext is Denoise that stops when ctx is done (see
// Prior.DenoiseContext).
func DenoiseContext(ctx context.Context, m kernel.Map, y [][]float64, o DenoiseOptions) (*Restoration, error) {
	p, err := NewPrior(m, PriorOptions{})
	if err != nil {
		return nil, err
	}
	return p.DenoiseContext(ctx, y, o)
}
