package gp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/kernel"
)

// InpaintOptions control Inpaint. Zero values select the defaults.
type InpaintOptions struct {
	// Scale is s^2 (prior covariance Scale * K) and Noise the noise
	// standard deviation of the observed values; 0 fits them.
	Scale, Noise float64
	// MinNoise is the smallest noise level a fit may return (for 8-bit
	// images, the quantization noise 1/(255 sqrt(12))); 0: no floor.
	MinNoise float64
	// Tol is the relative residual at which conjugate gradients stop
	// (default 1e-6) and MaxIter the iteration limit per solve (default
	// 5000).
	Tol     float64
	MaxIter int
	// VarSamples is the number of posterior draws used to estimate the
	// posterior variance map (Restoration.Var); 0 computes no map. The
	// relative standard error of the estimate is sqrt(2 / VarSamples).
	VarSamples int
	// Seed seeds the posterior draws.
	Seed uint64
	// VarPoints lists grid points at which the exact posterior variance is
	// computed (one solve each), returned in Restoration.PointVar.
	VarPoints []int
	// Precond is the preconditioner: Jacobi (default), Circulant or
	// NoPrecond.
	Precond string
	// FitWindow is the side in pixels of the windows on which the
	// hyperparameters are fitted (default 20; in 1-D windows hold
	// FitWindow^2 points) and FitWindows their number (default 9).
	FitWindow, FitWindows int
}

func (o *InpaintOptions) defaults() {
	if o.Tol <= 0 {
		o.Tol = 1e-6
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 5000
	}
	if o.FitWindow <= 0 {
		o.FitWindow = 20
	}
	if o.FitWindows <= 0 {
		o.FitWindows = 9
	}
}

func (o InpaintOptions) check(n int) error {
	if err := checkHyper(o.Scale, o.Noise); err != nil {
		return err
	}
	if err := checkHyper(0, o.MinNoise); err != nil {
		return err
	}
	if o.VarSamples < 0 {
		return fmt.Errorf("gp: VarSamples %d must be >= 0", o.VarSamples)
	}
	for _, x := range o.VarPoints {
		if x < 0 || x >= n {
			return fmt.Errorf("gp: variance point %d is outside the grid of %d points", x, n)
		}
	}
	return nil
}

// Inpaint returns the posterior mean of f on every grid point given the
// values y (channels) at the points where mask is true, with
// f ~ GP(mu, Scale K), observation noise N(0, Noise^2) and a constant mean
// mu with a flat prior (generalized least squares). Values of y where
// mask is false are ignored.
//
// Scale and Noise are used as given, or fitted by maximizing the composite
// restricted marginal likelihood of the observed points in FitWindows
// windows of FitWindow x FitWindow pixels spread over the grid (dense
// Cholesky-free eigendecompositions of the windows' covariances), jointly
// over channels.
//
// The linear systems (K_OO + tau I) a = v on the observed points O,
// tau = Noise^2/Scale, are solved by preconditioned conjugate gradients
// with K applied by FFT (or Fourier-block) products: one solve per channel
// plus one for the mean. The residual reported is that of these systems,
// so the error of the restored values on the observed points is about
// the residual times the data's size. (Whitened or precision forms of the
// same systems converge no faster after preconditioning and lose accuracy
// by a factor 1/tau when the noise is small.) The posterior variance
// includes the uncertainty of the mean.
func (p *Prior) Inpaint(y [][]float64, mask []bool, o InpaintOptions) (*Restoration, error) {
	return p.InpaintContext(context.Background(), y, mask, o)
}

// InpaintContext is Inpaint that stops when ctx is done: the conjugate
// gradient solves check ctx at every iteration, and the error is then
// ctx's.
func (p *Prior) InpaintContext(ctx context.Context, y [][]float64, mask []bool, o InpaintOptions) (*Restoration, error) {
	if err := p.checkInpaint(y, mask, o); err != nil {
		return nil, err
	}
	o.defaults()
	var fr fitResult
	if o.Scale > 0 && o.Noise > 0 {
		fr = fitResult{s2: o.Scale, sig2: o.Noise * o.Noise}
	} else {
		r, dv, err := windowReml(p.m, y, mask, o.FitWindow, o.FitWindows)
		if err != nil {
			return nil, err
		}
		fr, err = r.fit(o.Scale, o.Noise, o.MinNoise, dv)
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := p.inpaint(ctx, y, mask, o, fr.s2, fr.sig2)
	if err != nil {
		return nil, err
	}
	res.Hyper.LogML = fr.ll
	res.Hyper.Fitted = fr.fitted
	res.Hyper.AtEdge = fr.edge
	return res, nil
}

func (p *Prior) checkInpaint(y [][]float64, mask []bool, o InpaintOptions) error {
	if err := checkData(y, p.n); err != nil {
		return err
	}
	if len(mask) != p.n {
		return fmt.Errorf("gp: mask has %d values for a grid of %d points", len(mask), p.n)
	}
	nobs := 0
	for _, b := range mask {
		if b {
			nobs++
		}
	}
	if nobs < 2 {
		return fmt.Errorf("gp: the mask observes %d points; at least 2 are needed", nobs)
	}
	return o.check(p.n)
}

// Preconditioners of the inpainting solves.
const (
	// Jacobi divides by the diagonal of K_OO + tau I (the kernel's
	// variance at each observed point's phase): free, and the default.
	Jacobi = "jacobi"
	// Circulant applies P (rho K + tau I)^-1 P^T (rho the observed
	// fraction) with FFT (or Fourier-block) products: fewer iterations,
	// twice the work per iteration.
	Circulant = "circulant"
	// NoPrecond runs plain conjugate gradients.
	NoPrecond = "none"
)

// cgSolver solves (K_OO + tau I) a = v on the observed points O by
// preconditioned conjugate gradients, K applied through the Prior's
// modes (FFT or Fourier blocks).
type cgSolver struct {
	ctx     context.Context // solves stop early when it is done
	p       *Prior
	obs     []int
	tau     float64
	pre     string
	diag    []float64 // K_OO diagonal + tau
	rho     float64
	tol     float64
	maxIter int
}

func (p *Prior) newSolver(ctx context.Context, mask []bool, tau float64, o InpaintOptions) (*cgSolver, error) {
	s := &cgSolver{ctx: ctx, p: p, tau: tau, tol: o.Tol, maxIter: o.MaxIter, pre: o.Precond}
	switch s.pre {
	case "":
		s.pre = Jacobi
	case Jacobi, Circulant, NoPrecond:
	default:
		return nil, fmt.Errorf("gp: unknown preconditioner %q; use %q, %q or %q", o.Precond, Jacobi, Circulant, NoPrecond)
	}
	for i, b := range mask {
		if b {
			s.obs = append(s.obs, i)
		}
	}
	s.rho = float64(len(s.obs)) / float64(p.n)
	vars := p.m.Variance()
	s.diag = make([]float64, len(s.obs))
	for k, i := range s.obs {
		s.diag[k] = vars[p.m.Phase(i)] + tau
	}
	return s, nil
}

// embed returns the grid with a on the observed points and 0 elsewhere.
func (s *cgSolver) embed(a []float64) []float64 {
	x := make([]float64, s.p.n)
	for k, i := range s.obs {
		x[i] = a[k]
	}
	return x
}

// restrict returns x on the observed points.
func (s *cgSolver) restrict(x []float64) []float64 {
	a := make([]float64, len(s.obs))
	for k, i := range s.obs {
		a[k] = x[i]
	}
	return a
}

// kernelGrid returns g(K) x on the grid.
func (p *Prior) kernelGrid(x []float64, g func(float64) float64) []float64 {
	c := p.coords(x)
	p.scale(c, g)
	return p.synth(c)
}

func identity(l float64) float64 { return l }

// apply returns (K_OO + tau I) a.
func (s *cgSolver) apply(a []float64) []float64 {
	out := s.restrict(s.p.kernelGrid(s.embed(a), identity))
	for k, v := range a {
		out[k] += s.tau * v
	}
	return out
}

func (s *cgSolver) precond(r []float64) []float64 {
	switch s.pre {
	case Jacobi:
		z := make([]float64, len(r))
		for k, v := range r {
			z[k] = v / s.diag[k]
		}
		return z
	case Circulant:
		rho, tau := s.rho, s.tau
		return s.restrict(s.p.kernelGrid(s.embed(r), func(l float64) float64 { return 1 / (rho*l + tau) }))
	}
	return append([]float64(nil), r...)
}

func dotv(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// solve runs preconditioned conjugate gradients from zero and returns the
// solution, the iterations and the true relative residual. It stops early
// when s.ctx is done (the caller checks s.ctx.Err()).
func (s *cgSolver) solve(v []float64) (a []float64, iters int, rel float64) {
	a = make([]float64, len(v))
	bn := math.Sqrt(dotv(v, v))
	if bn == 0 {
		return a, 0, 0
	}
	r := append([]float64(nil), v...)
	z := s.precond(r)
	d := append([]float64(nil), z...)
	rz := dotv(r, z)
	for iters < s.maxIter && s.ctx.Err() == nil {
		ad := s.apply(d)
		alpha := rz / dotv(d, ad)
		for k := range a {
			a[k] += alpha * d[k]
			r[k] -= alpha * ad[k]
		}
		iters++
		if math.Sqrt(dotv(r, r))/bn <= s.tol {
			break
		}
		z = s.precond(r)
		rz2 := dotv(r, z)
		beta := rz2 / rz
		rz = rz2
		for k := range d {
			d[k] = z[k] + beta*d[k]
		}
	}
	// The true residual, not the recursively updated one.
	ra := s.apply(a)
	for k := range ra {
		ra[k] = v[k] - ra[k]
	}
	return a, iters, math.Sqrt(dotv(ra, ra)) / bn
}

// inpaint solves for the posterior at given hyperparameters. With
// C = s2 (K_OO + tau I): alpha_v = (K_OO + tau I)^-1 v, the mean is
// mu = 1'alpha_y / 1'alpha_1 and f = mu + K P^T (alpha_y - mu alpha_1).
func (p *Prior) inpaint(ctx context.Context, y [][]float64, mask []bool, o InpaintOptions, s2, sig2 float64) (*Restoration, error) {
	if !(s2 > 0) || !(sig2 > 0) {
		return nil, fmt.Errorf("gp: inpainting needs positive scale and noise, got %g and %g", s2, math.Sqrt(sig2))
	}
	tau := sig2 / s2
	sv, err := p.newSolver(ctx, mask, tau, o)
	if err != nil {
		return nil, err
	}
	nch := len(y)
	rhs := make([][]float64, nch+1)
	rhs[0] = make([]float64, len(sv.obs))
	for k := range rhs[0] {
		rhs[0][k] = 1
	}
	for c := range y {
		rhs[c+1] = sv.restrict(y[c])
	}
	sol := make([][]float64, nch+1)
	iters := make([]int, nch+1)
	resid := make([]float64, nch+1)
	parallel(nch+1, p.workers, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			sol[k], iters[k], resid[k] = sv.solve(rhs[k])
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a1 := sol[0]
	s11 := sum(a1)
	if !(s11 > 0) {
		return nil, fmt.Errorf("gp: 1'(K_OO + tau I)^-1 1 = %g is not positive (solver residual %g); the problem is too ill-conditioned, give a larger noise level", s11, resid[0])
	}
	res := &Restoration{
		Note: p.Note() + "; posterior by conjugate gradients (" + sv.pre + " preconditioner)",
		Mean: make([][]float64, nch), Iterations: iters, Residual: resid,
		Hyper: Hyper{Scale: s2, Noise: math.Sqrt(sig2), Mean: make([]float64, nch)},
	}
	for c := range y {
		mu := sum(sol[c+1]) / s11
		res.Hyper.Mean[c] = mu
		res.Mean[c] = sv.predict(sol[c+1], a1, mu)
	}
	if len(o.VarPoints) > 0 {
		res.PointVar = make([]float64, len(o.VarPoints))
		parallel(len(o.VarPoints), p.workers, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				x := o.VarPoints[k]
				e := make([]float64, p.n)
				e[x] = 1
				kx := p.kernelGrid(e, identity)
				ko := sv.restrict(kx)
				beta, _, _ := sv.solve(ko)
				u := 1 - sum(beta)
				res.PointVar[k] = s2 * (kx[x] - dotv(ko, beta) + u*u/s11)
			}
		})
	}
	if o.VarSamples > 0 {
		res.Var = p.sampleVariance(sv, a1, s11, s2, sig2, o)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// predict returns mu + K P^T (a - mu a1) on the grid.
func (s *cgSolver) predict(a, a1 []float64, mu float64) []float64 {
	d := make([]float64, len(a))
	for k := range d {
		d[k] = a[k] - mu*a1[k]
	}
	f := s.p.kernelGrid(s.embed(d), identity)
	for i := range f {
		f[i] += mu
	}
	return f
}

// sampleVariance estimates the posterior variance map from posterior
// draws by Matheron's rule: for a prior draw f' and noise e',
// f' - W (f' + e') has the posterior covariance, W being the (linear,
// mean-estimating) posterior-mean map. Draw i uses the PCG streams
// (seed, 2i) and (seed, 2i+1).
func (p *Prior) sampleVariance(sv *cgSolver, a1 []float64, s11, s2, sig2 float64, o InpaintOptions) []float64 {
	ns := o.VarSamples
	devs := make([][]float64, ns)
	s, sig := math.Sqrt(s2), math.Sqrt(sig2)
	parallel(ns, p.workers, func(lo, hi int) {
		for i := lo; i < hi && sv.ctx.Err() == nil; i++ {
			f := p.draw(o.Seed, 2*uint64(i), s)
			rng := rand.New(rand.NewPCG(o.Seed, 2*uint64(i)+1))
			yp := sv.restrict(f)
			for k := range yp {
				yp[k] += sig * rng.NormFloat64()
			}
			ap, _, _ := sv.solve(yp)
			pred := sv.predict(ap, a1, sum(ap)/s11)
			for k := range pred {
				d := f[k] - pred[k]
				pred[k] = d * d
			}
			devs[i] = pred
		}
	})
	v := make([]float64, p.n)
	for _, d := range devs { // nil for draws skipped after cancellation
		for k, x := range d {
			v[k] += x
		}
	}
	for k := range v {
		v[k] /= float64(ns)
	}
	return v
}

// windowReml builds the composite restricted likelihood of the observed
// points of up to count windows of side x side pixels (1-D: side^2
// points) spread evenly over the grid, each diagonalized densely. It also
// returns the variance of the observed values.
func windowReml(m kernel.Map, y [][]float64, mask []bool, side, count int) (*reml, float64, error) {
	wins := windows(m.Size, side, count)
	r := &reml{eyy: make([][]float64, len(y)), ey1: make([][]float64, len(y))}
	for _, pts := range wins {
		var obs []int
		for _, i := range pts {
			if mask[i] {
				obs = append(obs, i)
			}
		}
		no := len(obs)
		if no < 3 {
			continue
		}
		k := mat.NewSymDense(no, nil)
		for a, i := range obs {
			for b := a; b < no; b++ {
				k.SetSym(a, b, m.Cov(i, obs[b]))
			}
		}
		var es mat.EigenSym
		if !es.Factorize(k, true) {
			return nil, 0, errors.New("gp: the eigensolver failed on a fit window; give the scale and noise")
		}
		lam := es.Values(nil)
		var v mat.Dense
		es.VectorsTo(&v)
		lo := len(r.lam)
		for j, l := range lam {
			var s1 float64
			for a := 0; a < no; a++ {
				s1 += v.At(a, j)
			}
			r.lam = append(r.lam, math.Max(l, 0))
			r.wt = append(r.wt, 1)
			r.e11 = append(r.e11, s1*s1)
			for c := range y {
				var sy float64
				for a, i := range obs {
					sy += v.At(a, j) * y[c][i]
				}
				r.eyy[c] = append(r.eyy[c], sy*sy)
				r.ey1[c] = append(r.ey1[c], sy*s1)
			}
		}
		r.groups = append(r.groups, group{lo, len(r.lam), no})
	}
	if len(r.groups) == 0 {
		return nil, 0, errors.New("gp: no fit window holds 3 observed points; give the scale and noise, or a larger FitWindow")
	}
	var obsY [][]float64
	for c := range y {
		var v []float64
		for i, b := range mask {
			if b {
				v = append(v, y[c][i])
			}
		}
		obsY = append(obsY, v)
	}
	return r, dataVariance(obsY), nil
}

// windows returns the grid points of up to count windows of side x side
// pixels (1-D: side^2 points), placed on an even grid of positions and
// clipped to the grid; duplicates are dropped.
func windows(size []int, side, count int) [][]int {
	k := int(math.Ceil(math.Sqrt(float64(count))))
	pos := func(n, s, k int) []int {
		if k <= 1 || n == s {
			return []int{(n - s) / 2}
		}
		var out []int
		for i := 0; i < k; i++ {
			out = append(out, int(math.Round(float64(i)*float64(n-s)/float64(k-1))))
		}
		return out
	}
	seen := map[[2]int]bool{}
	var wins [][]int
	if len(size) == 1 {
		n := size[0]
		s := min(side*side, n)
		for _, x0 := range pos(n, s, count) {
			if seen[[2]int{0, x0}] {
				continue
			}
			seen[[2]int{0, x0}] = true
			var pts []int
			for x := x0; x < x0+s; x++ {
				pts = append(pts, x)
			}
			wins = append(wins, pts)
		}
		return wins
	}
	h, w := size[0], size[1]
	sy, sx := min(side, h), min(side, w)
	for _, y0 := range pos(h, sy, k) {
		for _, x0 := range pos(w, sx, k) {
			if len(wins) == count || seen[[2]int{y0, x0}] {
				continue
			}
			seen[[2]int{y0, x0}] = true
			var pts []int
			for y := y0; y < y0+sy; y++ {
				for x := x0; x < x0+sx; x++ {
					pts = append(pts, y*w+x)
				}
			}
			wins = append(wins, pts)
		}
	}
	return wins
}

// Inpaint is NewPrior(m, PriorOptions{}) followed by Prior.Inpaint.
func Inpaint(m kernel.Map, y [][]float64, mask []bool, o InpaintOptions) (*Restoration, error) {
	return InpaintContext(context.Background(), m, y, mask, o)
}

// InpaintContext is Inpaint that stops when ctx is done (see
// Prior.InpaintContext).
func InpaintContext(ctx context.Context, m kernel.Map, y [][]float64, mask []bool, o InpaintOptions) (*Restoration, error) {
	p, err := NewPrior(m, PriorOptions{})
	if err != nil {
		return nil, err
	}
	return p.InpaintContext(ctx, y, mask, o)
}
