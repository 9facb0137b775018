package gp

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/kernel"
)

// Family is a baseline kernel family with a length scale, for comparing
// an architecture's kernel with the usual GP choices.
type Family int

// Baseline families. All are isotropic with unit variance, and periodized
// on the grid: K(x, x') = sum over n of k(|x' - x + n N|) (sum over the
// periodic images), which is exactly positive semidefinite on the torus
// and equals the plain kernel for length scales well below the grid size.
const (
	// RBF is exp(-r^2 / (2 l^2)).
	RBF Family = iota + 1
	// Matern32 is the Matern kernel with nu = 3/2:
	// (1 + sqrt(3) r/l) exp(-sqrt(3) r/l).
	Matern32
	// Matern52 is the Matern kernel with nu = 5/2:
	// (1 + sqrt(5) r/l + 5 r^2/(3 l^2)) exp(-sqrt(5) r/l).
	Matern52
)

// ParseFamily reads "rbf", "matern32" (or "matern-3/2", "matern1.5") and
// "matern52" (or "matern", "matern-5/2", "matern2.5").
func ParseFamily(s string) (Family, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "rbf", "gaussian", "se":
		return RBF, nil
	case "matern32", "matern-3/2", "matern1.5", "matern3/2":
		return Matern32, nil
	case "matern", "matern52", "matern-5/2", "matern2.5", "matern5/2":
		return Matern52, nil
	}
	return 0, fmt.Errorf("gp: unknown kernel family %q; use rbf, matern32 or matern52", s)
}

// String returns the family's name as ParseFamily reads it.
func (f Family) String() string {
	switch f {
	case RBF:
		return "rbf"
	case Matern32:
		return "matern32"
	case Matern52:
		return "matern52"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// k returns the kernel at distance r for length l, and the distance
// beyond which it is below 1e-17.
func (f Family) k(r, l float64) float64 {
	a := r / l
	switch f {
	case RBF:
		return math.Exp(-a * a / 2)
	case Matern32:
		b := math.Sqrt(3) * a
		return (1 + b) * math.Exp(-b)
	default:
		b := math.Sqrt(5) * a
		return (1 + b + b*b/3) * math.Exp(-b)
	}
}

func (f Family) cutoff(l float64) float64 {
	switch f {
	case RBF:
		return 9 * l
	case Matern32:
		return 26 * l
	default:
		return 22 * l
	}
}

// LengthRange is the range of length scales, in pixels, over which
// DenoiseBaseline and InpaintBaseline fit: [0.25, min(size)/4].
func LengthRange(size []int) (lo, hi float64) {
	m := size[0]
	for _, s := range size {
		m = min(m, s)
	}
	return 0.25, math.Max(0.5, float64(m)/4)
}

// Map returns the family's periodized kernel with length scale l (pixels)
// as a stationary map on a grid of the given size.
func (f Family) Map(size []int, l float64) (kernel.Map, error) {
	if f < RBF || f > Matern52 {
		return kernel.Map{}, fmt.Errorf("gp: unknown kernel family %d", int(f))
	}
	if !(l > 0) || math.IsInf(l, 0) {
		return kernel.Map{}, fmt.Errorf("gp: length scale %g must be positive and finite", l)
	}
	m, err := kernel.NewMap(1, size)
	if err != nil {
		return kernel.Map{}, err
	}
	rc := f.cutoff(l)
	// images is the number of periodic images per side that can be within
	// the cutoff.
	images := func(n int) int { return int(math.Ceil(rc/float64(n))) + 1 }
	if len(size) == 1 || f == RBF {
		// 1-D, or the separable RBF: a product of 1-D periodized kernels.
		per := func(n int) []float64 {
			out := make([]float64, n)
			k := images(n)
			for d := 0; d < n; d++ {
				var s float64
				for j := -k; j <= k; j++ {
					s += f.k(math.Abs(float64(d+j*n)), l)
				}
				out[d] = s
			}
			return out
		}
		if len(size) == 1 {
			copy(m.Data, per(size[0]))
			return m, nil
		}
		ky, kx := per(size[0]), per(size[1])
		for y, a := range ky {
			for x, b := range kx {
				m.Data[y*size[1]+x] = a * b
			}
		}
		return m, nil
	}
	h, w := size[0], size[1]
	iy, ix := images(h), images(w)
	for dy := 0; dy <= h/2; dy++ {
		for dx := 0; dx <= w/2; dx++ {
			var s float64
			for ny := -iy; ny <= iy; ny++ {
				yy := float64(dy + ny*h)
				if math.Abs(yy) > rc {
					continue
				}
				for nx := -ix; nx <= ix; nx++ {
					xx := float64(dx + nx*w)
					r := math.Hypot(yy, xx)
					if r > rc {
						continue
					}
					s += f.k(r, l)
				}
			}
			for _, y := range []int{dy, (h - dy) % h} {
				for _, x := range []int{dx, (w - dx) % w} {
					m.Data[y*w+x] = s
				}
			}
		}
	}
	return m, nil
}

// DenoiseBaseline is Denoise with the family's kernel on a grid of the
// given size. A length of 0 is fitted (with Scale and Noise, as in
// Denoise) by maximizing the restricted marginal likelihood over
// LengthRange(size).
func DenoiseBaseline(f Family, size []int, y [][]float64, length float64, o DenoiseOptions) (*Restoration, error) {
	return DenoiseBaselineContext(context.Background(), f, size, y, length, o)
}

// DenoiseBaselineContext is DenoiseBaseline that stops when ctx is done
// (see Prior.DenoiseContext).
func DenoiseBaselineContext(ctx context.Context, f Family, size []int, y [][]float64, length float64, o DenoiseOptions) (*Restoration, error) {
	if length < 0 {
		return nil, fmt.Errorf("gp: length %g must be >= 0 (0 fits it)", length)
	}
	if err := checkHyper(o.Scale, o.Noise); err != nil {
		return nil, err
	}
	prior := func(l float64) (*Prior, error) {
		m, err := f.Map(size, l)
		if err != nil {
			return nil, err
		}
		return NewPrior(m, PriorOptions{})
	}
	if length > 0 {
		p, err := prior(length)
		if err != nil {
			return nil, err
		}
		res, err := p.DenoiseContext(ctx, y, o)
		if res != nil {
			res.Hyper.Length = length
			res.Note = fmt.Sprintf("%s baseline (periodized), length %.4g px; %s", f, length, res.Note)
		}
		return res, err
	}
	// The modes (Fourier frequencies) do not depend on the length, so the
	// data's coordinates are computed once.
	p0, err := prior(1)
	if err != nil {
		return nil, err
	}
	if err := checkData(y, p0.n); err != nil {
		return nil, err
	}
	cy := make([][]complex128, len(y))
	for c := range y {
		cy[c] = p0.coords(y[c])
	}
	ones := make([]float64, p0.n)
	for i := range ones {
		ones[i] = 1
	}
	c1 := p0.coords(ones)
	dv := dataVariance(y)
	var ferr error
	lo, hi := LengthRange(size)
	score := func(x float64) float64 {
		p, err := prior(math.Exp(x))
		if err != nil {
			ferr = err
			return math.Inf(-1)
		}
		fr, err := p.remlOf(cy, c1).fit(o.Scale, o.Noise, o.MinNoise, dv)
		if err != nil {
			return math.Inf(-1)
		}
		return fr.ll
	}
	x, _, edge := maximize(score, math.Log(lo), math.Log(hi), 16)
	if ferr != nil {
		return nil, ferr
	}
	l := math.Exp(x)
	p, err := prior(l)
	if err != nil {
		return nil, err
	}
	res, err := p.DenoiseContext(ctx, y, o)
	if err != nil {
		return nil, err
	}
	res.Hyper.Length = l
	res.Hyper.Fitted = append([]string{"length"}, res.Hyper.Fitted...)
	if edge {
		res.Hyper.AtEdge = append(res.Hyper.AtEdge, "length")
	}
	res.Note = fmt.Sprintf("%s baseline (periodized), fitted length %.4g px; %s", f, l, res.Note)
	return res, nil
}

// InpaintBaseline is Inpaint with the family's kernel on a grid of the
// given size. A length of 0 is fitted with Scale and Noise on the fit
// windows of Inpaint, over LengthRange(size).
func InpaintBaseline(f Family, size []int, y [][]float64, mask []bool, length float64, o InpaintOptions) (*Restoration, error) {
	return InpaintBaselineContext(context.Background(), f, size, y, mask, length, o)
}

// InpaintBaselineContext is InpaintBaseline that stops when ctx is done
// (see Prior.InpaintContext).
func InpaintBaselineContext(ctx context.Context, f Family, size []int, y [][]float64, mask []bool, length float64, o InpaintOptions) (*Restoration, error) {
	if length < 0 {
		return nil, fmt.Errorf("gp: length %g must be >= 0 (0 fits it)", length)
	}
	prior := func(l float64) (*Prior, error) {
		m, err := f.Map(size, l)
		if err != nil {
			return nil, err
		}
		return NewPrior(m, PriorOptions{})
	}
	if length > 0 {
		p, err := prior(length)
		if err != nil {
			return nil, err
		}
		res, err := p.InpaintContext(ctx, y, mask, o)
		if res != nil {
			res.Hyper.Length = length
			res.Note = fmt.Sprintf("%s baseline (periodized), length %.4g px; %s", f, length, res.Note)
		}
		return res, err
	}
	p0, err := prior(1)
	if err != nil {
		return nil, err
	}
	if err := p0.checkInpaint(y, mask, o); err != nil {
		return nil, err
	}
	o.defaults()
	var ferr error
	lo, hi := LengthRange(size)
	score := func(x float64) float64 {
		m, err := f.Map(size, math.Exp(x))
		if err != nil {
			ferr = err
			return math.Inf(-1)
		}
		r, dv, err := windowReml(m, y, mask, o.FitWindow, o.FitWindows)
		if err != nil {
			ferr = err
			return math.Inf(-1)
		}
		fr, err := r.fit(o.Scale, o.Noise, o.MinNoise, dv)
		if err != nil {
			return math.Inf(-1)
		}
		return fr.ll
	}
	x, _, edge := maximize(score, math.Log(lo), math.Log(hi), 16)
	if ferr != nil {
		return nil, ferr
	}
	l := math.Exp(x)
	p, err := prior(l)
	if err != nil {
		return nil, err
	}
	res, err := p.InpaintContext(ctx, y, mask, o)
	if err != nil {
		return nil, err
	}
	res.Hyper.Length = l
	res.Hyper.Fitted = append([]string{"length"}, res.Hyper.Fitted...)
	if edge {
		res.Hyper.AtEdge = append(res.Hyper.AtEdge, "length")
	}
	res.Note = fmt.Sprintf("%s baseline (periodized), fitted length %.4g px; %s", f, l, res.Note)
	return res, nil
}
