package gp

import (
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
// The linear systems are solved in the whitened form
// (I + K^(1/2) D K^(1/2) / tau) u = b, tau = Noise^2/Scale, D the mask, by
// conjugate gradients with FFT (or Fourier-block) products, preconditioned
// by the diagonal (in the modes) I + rho K / tau, rho the observed
// fraction; one solve per channel plus one for the mean. The posterior
// variance includes the uncertainty of the mean.
func (p *Prior) Inpaint(y [][]float64, mask []bool, o InpaintOptions) (*Restoration, error) {
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
		fr, err = r.fit(o.Scale, o.Noise, dv)
		if err != nil {
			return nil, err
		}
	}
	res, err := p.inpaint(y, mask, o, fr.s2, fr.sig2)
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

// cgSolver solves (I + S D S / tau) u = b in mode coordinates, S = K^(1/2).
type cgSolver struct {
	p       *Prior
	mask    []bool
	tau     float64
	sq, pre []float64
	tol     float64
	maxIter int
}

func (p *Prior) newSolver(mask []bool, tau, tol float64, maxIter int) *cgSolver {
	nobs := 0
	for _, b := range mask {
		if b {
			nobs++
		}
	}
	rho := float64(nobs) / float64(p.n)
	s := &cgSolver{p: p, mask: mask, tau: tau, tol: tol, maxIter: maxIter,
		sq: make([]float64, len(p.lam)), pre: make([]float64, len(p.lam))}
	for j, l := range p.lam {
		s.sq[j] = math.Sqrt(l)
		s.pre[j] = 1 / (1 + rho*l/tau)
	}
	return s
}

// rhs returns S P^T v in modes for a grid v (values off the mask ignored).
func (s *cgSolver) rhs(v []float64) []complex128 {
	m := make([]float64, len(v))
	for i, x := range v {
		if s.mask[i] {
			m[i] = x
		}
	}
	c := s.p.coords(m)
	mulReal(c, s.sq)
	return c
}

func mulReal(c []complex128, f []float64) {
	for j, v := range f {
		c[j] = complex(real(c[j])*v, imag(c[j])*v)
	}
}

// apply returns A v.
func (s *cgSolver) apply(v []complex128) []complex128 {
	t := make([]complex128, len(v))
	copy(t, v)
	mulReal(t, s.sq)
	x := s.p.synth(t)
	for i := range x {
		if !s.mask[i] {
			x[i] = 0
		}
	}
	c := s.p.coords(x)
	inv := 1 / s.tau
	for j := range c {
		f := s.sq[j] * inv
		c[j] = v[j] + complex(real(c[j])*f, imag(c[j])*f)
	}
	return c
}

// solve runs preconditioned conjugate gradients from zero.
func (s *cgSolver) solve(b []complex128) (u []complex128, iters int, rel float64) {
	p := s.p
	u = make([]complex128, len(b))
	bn := math.Sqrt(p.dot(b, b))
	if bn == 0 {
		return u, 0, 0
	}
	r := append([]complex128(nil), b...)
	z := append([]complex128(nil), r...)
	mulReal(z, s.pre)
	d := append([]complex128(nil), z...)
	rz := p.dot(r, z)
	rel = 1
	for iters < s.maxIter {
		ad := s.apply(d)
		alpha := rz / p.dot(d, ad)
		ca := complex(alpha, 0)
		for j := range u {
			u[j] += ca * d[j]
			r[j] -= ca * ad[j]
		}
		iters++
		rel = math.Sqrt(p.dot(r, r)) / bn
		if rel <= s.tol {
			break
		}
		copy(z, r)
		mulReal(z, s.pre)
		rz2 := p.dot(r, z)
		beta := complex(rz2/rz, 0)
		rz = rz2
		for j := range d {
			d[j] = z[j] + beta*d[j]
		}
	}
	// Report the true residual, not the recursively updated one.
	au := s.apply(u)
	for j := range au {
		au[j] = b[j] - au[j]
	}
	rel = math.Sqrt(p.dot(au, au)) / bn
	return u, iters, rel
}

// inpaint solves for the posterior at given hyperparameters.
func (p *Prior) inpaint(y [][]float64, mask []bool, o InpaintOptions, s2, sig2 float64) (*Restoration, error) {
	if !(s2 > 0) || !(sig2 > 0) {
		return nil, fmt.Errorf("gp: inpainting needs positive scale and noise, got %g and %g", s2, math.Sqrt(sig2))
	}
	tau := sig2 / s2
	sv := p.newSolver(mask, tau, o.Tol, o.MaxIter)
	nobs := 0
	for _, b := range mask {
		if b {
			nobs++
		}
	}
	ones := make([]float64, p.n)
	for i := range ones {
		ones[i] = 1
	}
	// Solves: the constant, then every channel.
	nch := len(y)
	rhs := make([][]complex128, nch+1)
	rhs[0] = sv.rhs(ones)
	for c := range y {
		rhs[c+1] = sv.rhs(y[c])
	}
	sol := make([][]complex128, nch+1)
	iters := make([]int, nch+1)
	resid := make([]float64, nch+1)
	parallel(nch+1, p.workers, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			sol[k], iters[k], resid[k] = sv.solve(rhs[k])
		}
	})
	r1, u1 := rhs[0], sol[0]
	s11 := (float64(nobs) - p.dot(r1, u1)/tau) / sig2
	if !(s11 > 0) {
		return nil, fmt.Errorf("gp: the mean's precision 1'C^-1 1 = %g is not positive (solver did not converge: residual %g)", s11, resid[0])
	}
	res := &Restoration{
		Note: p.Note() + "; posterior by preconditioned conjugate gradients",
		Mean: make([][]float64, nch), Iterations: iters, Residual: resid,
		Hyper: Hyper{Scale: s2, Noise: math.Sqrt(sig2), Mean: make([]float64, nch)},
	}
	for c := range y {
		var sy float64
		for i, v := range y[c] {
			if mask[i] {
				sy += v
			}
		}
		mu := (sy - p.dot(r1, sol[c+1])/tau) / sig2 / s11
		res.Hyper.Mean[c] = mu
		res.Mean[c] = p.predict(sv, sol[c+1], u1, mu)
	}
	// Exact variance at the requested points.
	if len(o.VarPoints) > 0 {
		res.PointVar = make([]float64, len(o.VarPoints))
		parallel(len(o.VarPoints), p.workers, func(lo, hi int) {
			for k := lo; k < hi; k++ {
				e := make([]float64, p.n)
				e[o.VarPoints[k]] = 1
				rx := p.coords(e)
				mulReal(rx, sv.sq)
				ux, _, _ := sv.solve(rx)
				u := 1 - p.dot(r1, ux)/tau
				res.PointVar[k] = s2*p.dot(rx, ux) + u*u/s11
			}
		})
	}
	if o.VarSamples > 0 {
		res.Var = p.sampleVariance(sv, mask, u1, r1, s11, s2, sig2, o)
	}
	return res, nil
}

// predict returns mu + (1/tau) S (u - mu u1) on the grid.
func (p *Prior) predict(sv *cgSolver, u, u1 []complex128, mu float64) []float64 {
	c := make([]complex128, len(u))
	cm := complex(mu, 0)
	inv := 1 / sv.tau
	for j := range c {
		d := u[j] - cm*u1[j]
		f := sv.sq[j] * inv
		c[j] = complex(real(d)*f, imag(d)*f)
	}
	f := p.synth(c)
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
func (p *Prior) sampleVariance(sv *cgSolver, mask []bool, u1, r1 []complex128, s11, s2, sig2 float64, o InpaintOptions) []float64 {
	ns := o.VarSamples
	devs := make([][]float64, ns)
	s, sig := math.Sqrt(s2), math.Sqrt(sig2)
	parallel(ns, p.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f := p.draw(o.Seed, 2*uint64(i), s)
			rng := rand.New(rand.NewPCG(o.Seed, 2*uint64(i)+1))
			yp := make([]float64, p.n)
			var sy float64
			for k := range yp {
				if mask[k] {
					yp[k] = f[k] + sig*rng.NormFloat64()
					sy += yp[k]
				}
			}
			up, _, _ := sv.solve(sv.rhs(yp))
			mu := (sy - p.dot(r1, up)/sv.tau) / sig2 / s11
			pred := p.predict(sv, up, u1, mu)
			for k := range pred {
				d := f[k] - pred[k]
				pred[k] = d * d
			}
			devs[i] = pred
		}
	})
	v := make([]float64, p.n)
	for _, d := range devs {
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
	p, err := NewPrior(m, PriorOptions{})
	if err != nil {
		return nil, err
	}
	return p.Inpaint(y, mask, o)
}
