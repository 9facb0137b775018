package gp

import (
	"errors"
	"fmt"
	"math"
)

var log2Pi = math.Log(2 * math.Pi)

// reml evaluates the restricted log marginal likelihood of data with a
// constant mean (flat prior) under the covariance s2 K + sig2 I, from
// modal energies. The modes are split into independent groups (one group
// for a whole grid; one per window for windowed fits); the result is the
// sum over groups and channels. For every group, with
// g_j = 1 / (s2 lam_j + sig2):
//
//	ll = -1/2 [ y'C^-1 y - (1'C^-1 y)^2 / (1'C^-1 1) + log det C
//	            + log(1'C^-1 1) + (n - 1) log 2 pi ]
//
// with y'C^-1 y = sum_j g_j eyy_j and so on, log det C = sum_j wt_j log(1/g_j).
// This is the exact log density of the data with its constant component
// projected out (REML), so the unknown mean never enters.
type reml struct {
	lam, wt []float64
	groups  []group
	eyy     [][]float64 // [channel][mode]: energy of y in the mode
	ey1     [][]float64 // [channel][mode]: cross energy of y and the constant
	e11     []float64   // energy of the constant
	workers int
}

type group struct{ lo, hi, n int }

// terms returns, per group and channel, Q = y'C^-1 y - (1'C^-1 y)^2/(1'C^-1 1),
// and the sums of log det C and log(1'C^-1 1) over groups and channels, and
// the degrees of freedom sum (n - 1).
func (r *reml) terms(s2, sig2 float64) (q, logdet, log11, dof float64) {
	nch := len(r.eyy)
	for _, g := range r.groups {
		// Sums over the group's modes in a fixed number of chunks, added in
		// order: the same result whatever the number of goroutines.
		const chunks = 8
		type part struct {
			ld, s11  float64
			syy, sy1 [4]float64
		}
		var parts [chunks]part
		n := g.hi - g.lo
		work := func(c int) {
			pt := &parts[c]
			lo, hi := g.lo+c*n/chunks, g.lo+(c+1)*n/chunks
			for j := lo; j < hi; j++ {
				v := s2*r.lam[j] + sig2
				pt.ld += r.wt[j] * math.Log(v)
				inv := 1 / v
				pt.s11 += r.e11[j] * inv
				for ch := 0; ch < nch && ch < 4; ch++ {
					pt.syy[ch] += r.eyy[ch][j] * inv
					pt.sy1[ch] += r.ey1[ch][j] * inv
				}
			}
		}
		if n >= 1<<14 {
			parallel(chunks, r.workers, func(lo, hi int) {
				for c := lo; c < hi; c++ {
					work(c)
				}
			})
		} else {
			for c := 0; c < chunks; c++ {
				work(c)
			}
		}
		var ld, s11 float64
		syy := make([]float64, nch)
		sy1 := make([]float64, nch)
		for c := range parts {
			ld += parts[c].ld
			s11 += parts[c].s11
			for ch := 0; ch < nch && ch < 4; ch++ {
				syy[ch] += parts[c].syy[ch]
				sy1[ch] += parts[c].sy1[ch]
			}
		}
		// Channels beyond 4 (rare) are summed directly.
		for ch := 4; ch < nch; ch++ {
			for j := g.lo; j < g.hi; j++ {
				inv := 1 / (s2*r.lam[j] + sig2)
				syy[ch] += r.eyy[ch][j] * inv
				sy1[ch] += r.ey1[ch][j] * inv
			}
		}
		for ch := 0; ch < nch; ch++ {
			q += syy[ch] - sy1[ch]*sy1[ch]/s11
		}
		logdet += float64(nch) * ld
		log11 += float64(nch) * math.Log(s11)
		dof += float64(nch * (g.n - 1))
	}
	return q, logdet, log11, dof
}

// logLik returns the restricted log marginal likelihood at (s2, sig2).
func (r *reml) logLik(s2, sig2 float64) float64 {
	q, ld, l11, dof := r.terms(s2, sig2)
	return -0.5 * (q + ld + l11 + dof*log2Pi)
}

// profile returns the likelihood maximized over s2 for a fixed noise ratio
// tau = sig2/s2, and the maximizing s2.
func (r *reml) profile(tau float64) (ll, s2 float64) {
	q, ld, l11, dof := r.terms(1, tau)
	s2 = q / dof
	// With C = s2 (K + tau I): Q scales as 1/s2, log det C gains
	// n log s2 and log(1'C^-1 1) loses log s2: net (n-1) log s2 per group
	// and channel.
	ll = -0.5 * (dof*math.Log(s2) + dof + ld + l11 + dof*log2Pi)
	return ll, s2
}

// meanLambda is the mean eigenvalue over all modes (weighted).
func (r *reml) meanLambda() float64 {
	var s, w float64
	for j, l := range r.lam {
		s += r.wt[j] * l
		w += r.wt[j]
	}
	return s / w
}

// Fit says which hyperparameters were fitted and whether a fitted value
// ended on the edge of its search range.
type fitResult struct {
	s2, sig2, ll float64
	fitted       []string
	edge         []string
}

// fit returns the hyperparameters: scale and noise (standard deviation)
// are used as given when positive and fitted otherwise; a fitted noise is
// not below minNoise (the optimum under that constraint). dataVar is the
// data variance, which sets the search ranges.
func (r *reml) fit(scale, noise, minNoise, dataVar float64) (fitResult, error) {
	res, err := r.fit1(scale, noise, dataVar)
	if err != nil || noise > 0 || minNoise <= 0 || math.Sqrt(res.sig2) >= minNoise {
		return res, err
	}
	// The unconstrained optimum is below the floor: with a unimodal
	// likelihood the constrained one has the noise on the floor.
	res2, err := r.fit1(scale, minNoise, dataVar)
	if err != nil {
		return res, err
	}
	res2.fitted = res.fitted
	res2.edge = append(res2.edge, "noise (at the minimum noise)")
	return res2, nil
}

func (r *reml) fit1(scale, noise, dataVar float64) (fitResult, error) {
	lbar := r.meanLambda()
	if !(lbar > 0) {
		return fitResult{}, errors.New("gp: the covariance has no positive eigenvalue on these data")
	}
	if !(dataVar > 0) {
		dataVar = lbar
	}
	var res fitResult
	switch {
	case scale > 0 && noise > 0:
		res.s2, res.sig2 = scale, noise*noise
	case noise > 0:
		// Fit s2 with the noise known.
		sig2 := noise * noise
		c := math.Log(dataVar / lbar)
		x, _, edge := maximize(func(x float64) float64 { return r.logLik(math.Exp(x), sig2) }, c-18, c+14, 33)
		res.s2, res.sig2 = math.Exp(x), sig2
		res.fitted = []string{"scale"}
		if edge {
			res.edge = []string{"scale"}
		}
	case scale > 0:
		c := math.Log(dataVar)
		x, _, edge := maximize(func(x float64) float64 { return r.logLik(scale, math.Exp(x)) }, c-30, c+5, 36)
		res.s2, res.sig2 = scale, math.Exp(x)
		res.fitted = []string{"noise"}
		if edge {
			res.edge = []string{"noise"}
		}
	default:
		c := math.Log(lbar)
		x, _, edge := maximize(func(x float64) float64 { ll, _ := r.profile(math.Exp(x)); return ll }, c-23, c+9, 33)
		_, s2 := r.profile(math.Exp(x))
		res.s2, res.sig2 = s2, s2*math.Exp(x)
		res.fitted = []string{"scale", "noise"}
		if edge {
			res.edge = []string{"noise"}
		}
	}
	res.ll = r.logLik(res.s2, res.sig2)
	if math.IsNaN(res.ll) || math.IsInf(res.ll, 0) {
		return fitResult{}, fmt.Errorf("gp: the log marginal likelihood is %v at scale %g, noise %g; give a positive noise level", res.ll, res.s2, math.Sqrt(res.sig2))
	}
	return res, nil
}

// maximize returns an approximate maximizer of f on [lo, hi]: the best of
// n equally spaced points, refined by golden-section search between its
// neighbours. edge reports that the best grid point is an end point.
// NaN values count as -Inf.
func maximize(f func(float64) float64, lo, hi float64, n int) (x, fx float64, edge bool) {
	val := func(x float64) float64 {
		v := f(x)
		if math.IsNaN(v) {
			return math.Inf(-1)
		}
		return v
	}
	step := (hi - lo) / float64(n-1)
	best, bv := 0, math.Inf(-1)
	for i := 0; i < n; i++ {
		if v := val(lo + float64(i)*step); v > bv {
			best, bv = i, v
		}
	}
	if best == 0 || best == n-1 {
		return lo + float64(best)*step, bv, true
	}
	a, b := lo+float64(best-1)*step, lo+float64(best+1)*step
	const gr = 0.6180339887498949
	c, d := b-gr*(b-a), a+gr*(b-a)
	fc, fd := val(c), val(d)
	for b-a > 1e-5 {
		if fc >= fd {
			b, d, fd = d, c, fc
			c = b - gr*(b-a)
			fc = val(c)
		} else {
			a, c, fc = c, d, fd
			d = a + gr*(b-a)
			fd = val(d)
		}
	}
	x = (a + b) / 2
	fx = val(x)
	if bv > fx {
		return lo + float64(best)*step, bv, false
	}
	return x, fx, false
}
