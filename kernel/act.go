package kernel

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/arch"
)

// Activation rule (docs/theory.md section 3). A pointwise activation phi maps a
// zero-mean Gaussian field with covariance K and NTK T to
//
//	M'(x, x') = Q(x, x') = E[phi(u) phi(u')],   T' = Qdot ⊙ T,
//	Qdot = E[phi'(u) phi'(u')],   (u, u') ~ N(0, [[K11, K12], [K12, K22]]).
//
// Closed forms: relu and leakyrelu (arc-cosine kernel), erf (arcsine
// kernel; Qdot = (4/pi) / sqrt((1+2K11)(1+2K22) - 4K12^2), which follows
// from E[exp(-u^2-u'^2)] = det(I + 2K)^(-1/2)), identity (Q = K, Qdot = 1,
// valid for any field, Gaussian or not).
//
// tanh and sigmoid have no closed form. They are evaluated with the Mehler
// (Hermite) series
//
//	Q = sum_k rho^k c_k(K11) c_k(K22),   rho = K12 / sqrt(K11 K22),
//	c_k(v) = E[phi(sqrt(v) z) He_k(z)] / sqrt(k!),
//	Qdot = dQ/dK12 = sum_k k rho^(k-1) c_k(K11) c_k(K22) / sqrt(K11 K22),
//
// with only the odd k (and k = 0) since tanh and sigmoid - 1/2 are odd.
// There are only P^2 distinct variances, so the coefficients are computed
// once per phase with a 1-D Gauss-Hermite rule of 8n nodes (n =
// Options.Quadrature). The truncation error is bounded rigorously: with
// tail(v) = E[phi(sqrt(v) z)^2] - sum_{k<=N} c_k(v)^2 (Parseval), Cauchy-
// Schwarz and |rho| <= 1 give |Q - Q_N| <= sqrt(tail(K11) tail(K22)), and
// the same with k c_k^2 and v E[phi'^2] for Qdot. The degree N is the
// smallest for which both relative tails are below seriesTol = 1e-12 at
// every phase, at most 4n. The series is tested against the bivariate
// quadrature below at high order and, with erf plugged in, against erf's
// closed form.
//
// The degree needed grows with the variance v (the coefficients decay like
// exp(-pi sqrt(2k/v)) for sigmoid, whose poles are at +-i pi; tanh(x) =
// 2 sigmoid(2x) - 1 behaves like sigmoid at 4v): for sigmoid about 30 at
// v = 1, 230 at v = 10, 650 at v = 30; for tanh 110 at v = 1. DIP's output
// sigmoid sees v ~ 0.2 (degree ~15).
//
// The degree is capped at 4n; where that does not suffice the cap is
// raised to 1024 (rule of 2048 nodes), then to seriesMaxDegree = 2048 (rule
// of 4096 nodes), which covers sigmoid up to v ~ 64 and tanh up to v ~ 16
// (tanh at v = 9 needs degree ~1500: its Qdot tail is 1.4e-12 at 1023).
// The series is far cheaper per entry than the quadrature below and, within
// its bound, far more accurate: at v = 9 the quadrature of order 64 is off
// by 1.9e-5 relative for tanh's Q. Beyond that, the layer falls
// back to a bivariate Gauss quadrature per entry: polar coordinates (u, u') = (sqrt(K11) r cos a,
// sqrt(K22) r cos(a - a0)), cos a0 = rho; the circle is cut into the
// sectors where the signs of u and u' are constant (so a kink of phi at 0,
// as in relu, falls on a sector boundary), with n Gauss-Legendre nodes per
// sector; the radial integral of r exp(-r^2/2) F(r) is split into its even
// and odd parts in r, which are generalized Gauss-Laguerre integrals
// (alpha = 0 and 1/2, n nodes each) in t = r^2/2. This rule is exact for
// relu and leakyrelu and converges exponentially for smooth activations of
// moderate variance; it is slow (about 16 n^2 evaluations per entry) and,
// at the large variances where it is used, less accurate: measured against
// a 600-point tensor Gauss-Hermite rule at correlation 0.8, with n = 64,
// errors of 3e-10 (Q) and 2e-9 (Qdot) for sigmoid at v = 10, 1e-6 and
// 3e-6 at v = 30; n = 128 gives 5e-9 and 3e-8 at v = 30. Raising
// Options.Quadrature raises the series degree cap instead, which is exact
// to the bound above.

// seriesTol is the relative truncation bound of the Hermite series.
const seriesTol = 1e-12

// seriesMaxDegree is the largest degree of the Hermite series before the
// quadrature fallback (see Options.Quadrature). Its rule has 2 seriesMaxDegree
// = 4096 nodes; gonum's Gauss-Hermite rule of 8192 nodes underflows.
const seriesMaxDegree = 2048

// seriesCaps returns the ascending degree caps the series tries: first, then
// 1024, then last (each at most last), without repeats.
func seriesCaps(first, last int) []int {
	caps := []int{min(first, last)}
	for _, c := range []int{1024, last} {
		if c > caps[len(caps)-1] && c <= last {
			caps = append(caps, c)
		}
	}
	return caps
}

// actFn describes an activation for the series and the quadrature: its
// analytic branches for u >= 0 and u <= 0 (equal for smooth functions) and
// their derivatives, and its parity.
type actFn struct {
	name       string
	pos, neg   func(float64) float64
	dpos, dneg func(float64) float64
	// odd is set when phi(u) - phi(0) is odd, so that only c_0 and the odd
	// Hermite coefficients are non-zero.
	odd bool
}

func (f actFn) value(u float64) float64 {
	if u >= 0 {
		return f.pos(u)
	}
	return f.neg(u)
}

func (f actFn) deriv(u float64) float64 {
	if u >= 0 {
		return f.dpos(u)
	}
	return f.dneg(u)
}

func sigmoid(u float64) float64 {
	if u >= 0 {
		return 1 / (1 + math.Exp(-u))
	}
	e := math.Exp(u)
	return e / (1 + e)
}

func dsigmoid(u float64) float64 {
	s := sigmoid(u)
	return s * (1 - s)
}

func dtanh(u float64) float64 {
	t := math.Tanh(u)
	return 1 - t*t
}

func derf(u float64) float64 { return 2 / math.SqrtPi * math.Exp(-u*u) }

func smoothFn(name string, f, df func(float64) float64) actFn {
	return actFn{name: name, pos: f, neg: f, dpos: df, dneg: df, odd: true}
}

func leakyFn(a float64) actFn {
	return actFn{
		name: "leakyrelu",
		pos:  func(u float64) float64 { return u },
		neg:  func(u float64) float64 { return a * u },
		dpos: func(float64) float64 { return 1 },
		dneg: func(float64) float64 { return a },
	}
}

// fnOf returns the description of an activation (for the series and the
// quadrature).
func fnOf(l arch.Act) actFn {
	switch l.Fn {
	case arch.Tanh:
		return smoothFn("tanh", math.Tanh, dtanh)
	case arch.Sigmoid:
		return smoothFn("sigmoid", sigmoid, dsigmoid)
	case arch.Erf:
		return smoothFn("erf", math.Erf, derf)
	case arch.ReLU:
		return leakyFn(0)
	case arch.LeakyReLU:
		return leakyFn(l.Slope)
	}
	return smoothFn("identity", func(u float64) float64 { return u }, func(float64) float64 { return 1 })
}

// arcCos returns, for leakyrelu with slope a (relu: a = 0), Q and Qdot from
// K12 and s = sqrt(K11 K22), by arcCosRow on one entry.
func arcCos(a, c, s float64) (q, qd float64) {
	var buf [3]float64
	m, t := [1]float64{c}, [1]float64{1}
	arcCosRow(a, []float64{s}, []int{0}, m[:], t[:], false, buf[:])
	return m[0], t[0]
}

// arcCosRow applies the arc-cosine rule of leakyrelu with slope a (relu:
// a = 0) in place to one row of a map: mr holds K12 and becomes Q; tr, when
// not nil, holds the NTK and is multiplied by Qdot (with gamma, tr becomes
// Qdot (tr - K12) + Q; see actPart). sr[qs[dx]] is sqrt(K11 K22) for entry
// dx; buf has room for 3 len(mr) values.
//
// With rho = K12 / s, theta = acos(rho) and phi = pi - theta = acos(-rho):
// J = sin(theta) + phi rho, Q = a K12 + (1-a)^2 s J / (2 pi), Qdot = a +
// (1-a)^2 phi / (2 pi); sin(theta) is formed from the exact factors 1 - rho
// and 1 + rho. It divides (rather than multiplying by 1/s) so that rho is
// exactly 1 on the diagonal: acos amplifies an error e in rho near 1 to
// sqrt(2e).
func arcCosRow(a float64, sr []float64, qs []int, mr, tr []float64, gamma bool, buf []float64) {
	n := len(mr)
	sv, nr, phi := buf[:n], buf[n:2*n], buf[2*n:3*n]
	qs = qs[:n]
	for dx, c := range mr {
		s := sr[qs[dx]]
		sv[dx] = s
		rho := 0.0
		if s > 0 {
			rho = min(max(c/s, -1), 1)
		}
		nr[dx] = -rho
	}
	acosInto(phi, nr)
	b := (1 - a) * (1 - a) * (1 / (2 * math.Pi))
	for dx, c := range mr {
		rho, ph := -nr[dx], phi[dx]
		qq := a*c + b*sv[dx]*(math.Sqrt((1-rho)*(1+rho))+ph*rho)
		mr[dx] = qq
		if tr == nil {
			continue
		}
		qd := a + b*ph
		if gamma {
			// Gamma's direction is the batch norm's output u itself:
			// E[phi'(u) u phi'(u') u'] = E[phi(u) phi(u')] for a
			// positively homogeneous phi (docs/batchnorm.md section 2).
			tr[dx] = qd*(tr[dx]-c) + qq
		} else {
			tr[dx] *= qd
		}
	}
}

// erfQ returns Q and Qdot of erf(u).
func erfQ(k11, k22, c float64) (q, qd float64) {
	den := (1 + 2*k11) * (1 + 2*k22)
	x := min(max(2*c/math.Sqrt(den), -1), 1)
	return 2 / math.Pi * math.Asin(x), 4 / math.Pi / math.Sqrt(den-4*c*c)
}

// closedForm returns Q and Qdot of an activation with a closed form; ok is
// false for tanh and sigmoid.
func closedForm(l arch.Act, k11, k22, c float64) (q, qd float64, ok bool) {
	switch l.Fn {
	case arch.Identity:
		return c, 1, true
	case arch.ReLU, arch.LeakyReLU:
		a := 0.0
		if l.Fn == arch.LeakyReLU {
			a = l.Slope
		}
		q, qd = arcCos(a, c, math.Sqrt(k11*k22))
		return q, qd, true
	case arch.Erf:
		q, qd = erfQ(k11, k22, c)
		return q, qd, true
	}
	return 0, 0, false
}

// ---- Gauss rules ----

type rule struct{ x, w []float64 }

var (
	rulesMu sync.Mutex
	rules   = map[string]rule{}
)

// cachedRule returns the rule named key, building it with mk once.
func cachedRule(key string, mk func() rule) rule {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	if r, ok := rules[key]; ok {
		return r
	}
	r := mk()
	rules[key] = r
	return r
}

// normalRule returns the m-point Gauss-Hermite rule for the standard
// normal density: E[f(z)] ~ sum_i w_i f(x_i).
func normalRule(m int) rule {
	return cachedRule(fmt.Sprint("normal", m), func() rule {
		x := make([]float64, m)
		w := make([]float64, m)
		quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
		for i := range x {
			x[i] *= math.Sqrt2
			w[i] /= math.SqrtPi
		}
		return rule{x, w}
	})
}

// legendreRule returns the n-point Gauss-Legendre rule on [-1, 1].
func legendreRule(n int) rule {
	return cachedRule(fmt.Sprint("legendre", n), func() rule {
		x := make([]float64, n)
		w := make([]float64, n)
		quad.Legendre{}.FixedLocations(x, w, -1, 1)
		return rule{x, w}
	})
}

// laguerreRule returns the n-point generalized Gauss-Laguerre rule for the
// weight t^alpha exp(-t) on [0, inf), by Golub-Welsch from the three-term
// recurrence (diagonal 2k+alpha+1, off-diagonal sqrt(k(k+alpha))).
func laguerreRule(n int, alpha float64) rule {
	return cachedRule(fmt.Sprint("laguerre", n, alpha), func() rule {
		j := mat.NewSymDense(n, nil)
		for k := 0; k < n; k++ {
			j.SetSym(k, k, float64(2*k)+alpha+1)
			if k > 0 {
				j.SetSym(k, k-1, math.Sqrt(float64(k)*(float64(k)+alpha)))
			}
		}
		var e mat.EigenSym
		if !e.Factorize(j, true) {
			panic("kernel: Gauss-Laguerre eigen-decomposition failed")
		}
		var v mat.Dense
		e.VectorsTo(&v)
		mu0 := math.Gamma(alpha + 1)
		r := rule{x: e.Values(nil), w: make([]float64, n)}
		for i := range r.w {
			v0 := v.At(0, i)
			r.w[i] = mu0 * v0 * v0
		}
		return r
	})
}

// bivariate returns Q = E[phi(u) phi(u')] and Qdot = E[phi'(u) phi'(u')]
// for (u, u') ~ N(0, [[k11, c], [c, k22]]) with the polar-sector Gauss
// rule of order n described at the top of this file.
func bivariate(f actFn, k11, k22, c float64, n int) (q, qd float64) {
	a, b := math.Sqrt(k11), math.Sqrt(k22)
	rho := 0.0
	if a > 0 && b > 0 {
		rho = min(max(c/(a*b), -1), 1)
	}
	th0 := math.Acos(rho)
	bounds := []float64{math.Pi / 2, 3 * math.Pi / 2, math.Mod(th0+math.Pi/2, 2*math.Pi), math.Mod(th0+3*math.Pi/2, 2*math.Pi)}
	// sort the four boundaries
	for i := 1; i < 4; i++ {
		for j := i; j > 0 && bounds[j] < bounds[j-1]; j-- {
			bounds[j], bounds[j-1] = bounds[j-1], bounds[j]
		}
	}
	leg := legendreRule(n)
	l0 := laguerreRule(n, 0)
	lh := laguerreRule(n, 0.5)
	var sq, sd float64
	for i := 0; i < 4; i++ {
		t1 := bounds[i]
		t2 := bounds[(i+1)%4]
		if i == 3 {
			t2 += 2 * math.Pi
		}
		if t2-t1 <= 0 {
			continue
		}
		tm := (t1 + t2) / 2
		s1 := math.Cos(tm) >= 0
		s2 := math.Cos(tm-th0) >= 0
		f1, f2, d1, d2 := f.neg, f.neg, f.dneg, f.dneg
		if s1 {
			f1, d1 = f.pos, f.dpos
		}
		if s2 {
			f2, d2 = f.pos, f.dpos
		}
		h := (t2 - t1) / 2
		for k, xk := range leg.x {
			th := tm + h*xk
			A := a * math.Cos(th)
			B := b * math.Cos(th-th0)
			var rq, rd float64
			for i, t := range l0.x {
				r := math.Sqrt(2 * t)
				rq += l0.w[i] * (f1(A*r)*f2(B*r) + f1(-A*r)*f2(-B*r)) / 2
				rd += l0.w[i] * (d1(A*r)*d2(B*r) + d1(-A*r)*d2(-B*r)) / 2
			}
			for i, t := range lh.x {
				r := math.Sqrt(2 * t)
				rq += math.Sqrt2 * lh.w[i] * (f1(A*r)*f2(B*r) - f1(-A*r)*f2(-B*r)) / (2 * r)
				rd += math.Sqrt2 * lh.w[i] * (d1(A*r)*d2(B*r) - d1(-A*r)*d2(-B*r)) / (2 * r)
			}
			sq += h * leg.w[k] * rq
			sd += h * leg.w[k] * rd
		}
	}
	return sq / (2 * math.Pi), sd / (2 * math.Pi)
}

// ---- Hermite series ----

// hermite holds, for one variance v, the Hermite coefficients c_k(v),
// k = 0..len(c)-1, and the moments used for the tail bounds.
type hermite struct {
	v      float64
	c      []float64
	e2     float64 // E[phi(sqrt(v) z)^2]
	ed2    float64 // v E[phi'(sqrt(v) z)^2]
	d0     float64 // E[phi'(sqrt(v) z)]
	tail   float64 // e2 - sum c_k^2, relative to e2
	tailD  float64 // ed2 - sum k c_k^2, relative to ed2
	rule   rule
	fv, sw []float64 // phi(sqrt(v) x_i) and sqrt(w_i) at the nodes
	p0, p1 []float64 // the last two scaled Hermite functions at the nodes
}

// newHermite starts the expansion of phi(sqrt(v) z) with the m-point rule.
func newHermite(f actFn, v float64, m int) *hermite {
	r := normalRule(m)
	h := &hermite{v: v, rule: r, fv: make([]float64, m), sw: make([]float64, m), p0: make([]float64, m), p1: make([]float64, m)}
	sv := math.Sqrt(v)
	var c0 float64
	for i, x := range r.x {
		y := f.value(sv * x)
		d := f.deriv(sv * x)
		h.fv[i] = y
		h.sw[i] = math.Sqrt(r.w[i])
		h.e2 += r.w[i] * y * y
		h.ed2 += r.w[i] * d * d
		h.d0 += r.w[i] * d
		c0 += r.w[i] * y
	}
	h.ed2 *= v
	h.c = []float64{c0}
	h.tail = h.e2 - c0*c0
	h.tailD = h.ed2
	return h
}

// extend computes coefficients up to degree k (inclusive).
func (h *hermite) extend(k int) {
	for len(h.c) <= k {
		n := len(h.c) // next degree
		var c float64
		for i, x := range h.rule.x {
			var p float64
			switch n {
			case 1:
				// psi_1 = sqrt(w) x; psi_0 = sqrt(w)
				h.p0[i] = h.sw[i]
				p = x * h.sw[i]
			default:
				p = (x*h.p1[i] - math.Sqrt(float64(n-1))*h.p0[i]) / math.Sqrt(float64(n))
				h.p0[i] = h.p1[i]
			}
			h.p1[i] = p
			c += h.sw[i] * h.fv[i] * p
		}
		h.c = append(h.c, c)
		h.tail -= c * c
		h.tailD -= float64(n) * c * c
	}
}

// ok reports whether the tails are below the tolerance.
func (h *hermite) ok() bool {
	return h.tail <= seriesTol*h.e2 && h.tailD <= seriesTol*max(h.ed2, 1e-300)
}

// seriesTables builds the Hermite coefficients, up to a common degree, for
// the variances v (one per phase) of an odd activation, with a rule of
// 2 capDeg nodes. Equal variances share one expansion; distinct ones are
// expanded in parallel. It returns nil when some variance would need a
// degree above capDeg.
func (r *run) seriesTables(f actFn, v []float64, capDeg int) ([]*hermite, error) {
	m := 2 * capDeg
	idx := map[float64]int{}
	var uniq []float64
	for _, x := range v {
		if _, ok := idx[x]; !ok {
			idx[x] = len(uniq)
			uniq = append(uniq, x)
		}
	}
	hu := make([]*hermite, len(uniq))
	if err := r.parallel(len(uniq), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			h := newHermite(f, uniq[i], m)
			h.extend(1)
			for !h.ok() && len(h.c)-1 < capDeg {
				h.extend(len(h.c) + 1) // odd degrees only matter; step by 2
			}
			hu[i] = h
		}
	}); err != nil {
		return nil, err
	}
	deg := 1
	for _, h := range hu {
		if !h.ok() {
			return nil, nil
		}
		deg = max(deg, len(h.c)-1)
	}
	if deg%2 == 0 {
		deg++
	}
	if err := r.parallel(len(uniq), func(lo, hi int) {
		for _, h := range hu[lo:hi] {
			h.extend(deg)
		}
	}); err != nil {
		return nil, err
	}
	hs := make([]*hermite, len(v))
	for i, x := range v {
		hs[i] = hu[idx[x]]
	}
	return hs, nil
}

// ---- the layer ----

func (r *run) act(l arch.Act, s state, where string) (state, error) {
	if l.Fn == arch.Identity {
		return s, nil
	}
	for i := range s.parts {
		if !s.parts[i].gauss {
			after := s.after
			if after == "" {
				after = "a layer that is not a conv"
			}
			return s, fmt.Errorf("kernel: %s: the activation's input is not a Gaussian field: it comes from %s with no conv in between; the infinite-width rule needs a pre-activation (the output of a conv, possibly followed by linear layers), so put a conv before this activation", where, after)
		}
	}
	for i, p := range s.parts {
		n := p.g.n()
		p.m = r.pool.owned(p.m, n)
		if r.o.NTK {
			p.t = r.pool.owned(p.t, n)
		}
		// Tables of the closed forms and the series (estimate).
		r.extra = max(r.extra, 2*8*int64(p.g.phases())*int64(p.g.phases()))
		p.gauss = false
		if !r.dry {
			if err := r.actPart(l, p, where); err != nil {
				return s, err
			}
		}
		p.gamma, p.pre, p.half = false, nil, r.half
		s.parts[i] = p
	}
	s.after = where
	return s, nil
}

// actPart applies the activation in place to one part.
func (r *run) actPart(l arch.Act, p part, where string) error {
	g := p.g
	npts := g.points()
	n := g.n()
	m := p.m.data[:n]
	var t []float64
	if p.t != nil {
		t = p.t.data[:n]
	}
	nph := g.phases()
	v := make([]float64, nph)
	for q := range v {
		v[q] = m[q*npts]
		if p.pre != nil {
			d := [1]float64{v[q]}
			p.pre(q, 0, 0, d[:], nil)
			v[q] = d[0]
		}
		if v[q] < 0 || math.IsNaN(v[q]) || math.IsInf(v[q], 0) {
			return fmt.Errorf("kernel: %s: the pre-activation variance is %v; the kernel has become invalid (check the init scales)", where, v[q])
		}
	}
	// Per-entry rule on a row: phase p, the variances of x' for every dx
	// given by qphase, values in place.
	var kernel func(ph int, qs []int, mr, tr, buf []float64)
	switch l.Fn {
	case arch.ReLU, arch.LeakyReLU:
		a := 0.0
		if l.Fn == arch.LeakyReLU {
			a = l.Slope
		}
		sq := make([]float64, nph*nph)
		for i := range v {
			for j := range v {
				sq[i*nph+j] = math.Sqrt(v[i] * v[j])
			}
		}
		gamma := p.gamma
		kernel = func(ph int, qs []int, mr, tr, buf []float64) {
			arcCosRow(a, sq[ph*nph:][:nph], qs, mr, tr, gamma, buf)
		}
	case arch.Erf:
		kernel = func(ph int, qs []int, mr, tr, _ []float64) {
			for dx, c := range mr {
				qq, qd := erfQ(v[ph], v[qs[dx]], c)
				mr[dx] = qq
				if tr != nil {
					tr[dx] *= qd
				}
			}
		}
	default:
		var err error
		if kernel, err = r.seriesKernel(l, v); err != nil {
			return err
		}
	}
	if kernel == nil {
		// Fallback: bivariate quadrature per entry.
		f := fnOf(l)
		nq := r.o.quadrature()
		r.note = fmt.Sprintf(" (pre-activation variance up to %.3g: Hermite series beyond degree %d, slow bivariate quadrature of order %d used instead)", maxOf(v), max(4*nq, r.maxDegree), nq)
		kernel = func(ph int, qs []int, mr, tr, _ []float64) {
			for dx, c := range mr {
				qq, qd := bivariate(f, v[ph], v[qs[dx]], c, nq)
				mr[dx] = qq
				if tr != nil {
					tr[dx] *= qd
				}
			}
		}
	}
	return r.actRows(g, m, t, p.pre, !r.half, kernel)
}

// actRows applies a row rule to every row (phase, dy) of a map and its NTK
// (t, or nil) in place, after the pending rule pre (when not nil) on the
// same row; without full it leaves the rows dy > H/2 to unhalf. It reads
// the rows dy <= H/2 only (its input may be half written). A map is
// symmetric, K[p][d] = K[p+d][-d] (phases per axis mod the period,
// offsets mod the grid), and so is every rule
// (Q and Qdot are symmetric in the two points), so only the rows with
// dy <= H/2 are computed: those with 0 < dy < H/2 (2 dy != H) also
// write their values into the partner entries, in rows H - dy, which are
// never read. The work is split into groups (py, dy): the px rows of one
// group write into the px partner rows of one phase row (py + dy) mod py;
// the workers take (group, column block) pairs, blocks of a multiple of px
// columns, so that what a block reads and writes stays in cache.
func (r *run) actRows(g geom, m, t []float64, pre rowPre, full bool, kernel func(ph int, qs []int, mr, tr, buf []float64)) error {
	H, W := g.h, g.w
	npts := g.points()
	hh := H/2 + 1
	blk := min(W, (actBlock+g.px-1)/g.px*g.px)
	nb := (W + blk - 1) / blk
	// Each worker's phase indices and scratch, made once per call (not
	// per chunk: chunks are 16 per worker, and their garbage would add to
	// the peak).
	qsW := make([][]int, r.workers)
	bufW := make([][]float64, r.workers)
	return r.parallelW(g.py*hh*nb, func(w, lo, hi int) {
		if qsW[w] == nil {
			qsW[w], bufW[w] = make([]int, g.px*blk), make([]float64, 3*blk)
		}
		qs, buf := qsW[w], bufW[w]
		for i := lo; i < hi; i++ {
			if r.ctx.Err() != nil {
				return // a block of bivariate quadrature can take a while: stop on cancel
			}
			b0 := (i % nb) * blk
			b1 := min(b0+blk, W)
			dy, py := (i/nb)%hh, i/(nb*hh)
			qy := (py + dy) % g.py
			self := dy == 0 || 2*dy == H
			for px := 0; px < g.px; px++ {
				ph := py*g.px + px
				o := ph*npts + dy*W
				q := qs[px*blk : px*blk+b1-b0]
				qx := (px + b0) % g.px
				for j := range q {
					q[j] = qy*g.px + qx
					if qx++; qx == g.px {
						qx = 0
					}
				}
				mr := m[o+b0 : o+b1]
				var tr []float64
				if t != nil {
					tr = t[o+b0 : o+b1]
				}
				if pre != nil {
					pre(ph, dy, b0, mr, tr)
				}
				kernel(ph, q, mr, tr, buf)
			}
			if self || !full {
				continue
			}
			mirror(m, g, py, dy, b0, b1)
			if t != nil {
				mirror(t, g, py, dy, b0, b1)
			}
		}
	})
}

// actBlock is the number of columns actRows does at once per row.
const actBlock = 64

// mirror copies the columns [b0, b1) of the rows dy of phase row py of a
// map k (geometry g; 0 < dy < H/2) into their partners: entry (p, dy, dx)
// goes to (q, H - dy, (W - dx) mod W), q the phase of x + d, which is in
// phase row (py + dy) mod g.py. It writes one partner row after the other
// (each contiguous), reading the px source rows in turn.
func mirror(k []float64, g geom, py, dy, b0, b1 int) {
	P, W, npts := g.px, g.w, g.points()
	qy := (py + dy) % g.py
	src := k[py*P*npts+dy*W:]
	for qx := 0; qx < P; qx++ {
		dst := k[(qy*P+qx)*npts+(g.h-dy)*W:][:W]
		// Column dx comes from px = (qx - dx) mod P.
		px := mod(qx-b0, P)
		for dx := b0; dx < b1; dx++ {
			c := W - dx
			if dx == 0 {
				c = 0
			}
			dst[c] = src[px*npts+dx]
			if px == 0 {
				px = P
			}
			px--
		}
	}
}

// unhalf writes the rows dy > H/2 of the half-written parts of s (see
// part.half) from their partners.
func (r *run) unhalf(s state) error {
	for i := range s.parts {
		p := &s.parts[i]
		if !p.half {
			continue
		}
		p.half = false
		if r.dry {
			continue
		}
		g := p.g
		H := g.h
		hh := H/2 + 1
		m := p.m.data[:g.n()]
		var t []float64
		if p.t != nil {
			t = p.t.data[:g.n()]
		}
		if err := r.parallel(g.py*hh, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dy, py := i%hh, i/hh
				if dy == 0 || 2*dy == H {
					continue
				}
				mirror(m, g, py, dy, 0, g.w)
				if t != nil {
					mirror(t, g, py, dy, 0, g.w)
				}
			}
		}); err != nil {
			return err
		}
	}
	return nil
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// seriesKernel returns the row rule of the Hermite series for an odd
// activation (tanh, sigmoid), or nil when the series would need a degree
// above max(4n, r.maxDegree) at some phase.
func (r *run) seriesKernel(l arch.Act, v []float64) (func(ph int, qs []int, mr, tr, buf []float64), error) {
	f := fnOf(l)
	var hs []*hermite
	for _, capDeg := range seriesCaps(4*r.o.quadrature(), r.maxDegree) {
		var err error
		if hs, err = r.seriesTables(f, v, capDeg); err != nil || hs != nil {
			if err != nil {
				return nil, err
			}
			break
		}
		if capDeg >= r.maxDegree {
			break
		}
	}
	if hs == nil {
		return nil, nil
	}
	nph := len(v)
	deg := len(hs[0].c) - 1
	J := (deg + 1) / 2 // odd coefficients 1, 3, ..., deg
	dphi0 := f.deriv(0)
	// odd[p] holds phase p's odd coefficients c_1, c_3, ..., c_deg; the
	// products c_k(a) c_k(b) of the series are formed as they are used
	// (rounded to float64 as a table of them would hold them), so that no
	// table grows with the degree.
	odd := make([][]float64, nph)
	for p, h := range hs {
		odd[p] = make([]float64, J)
		for j := range odd[p] {
			odd[p][j] = h.c[2*j+1]
		}
	}
	// Per phase pair (p, q): the c0 product, 1/sqrt(ab), and Qdot where a
	// variance is 0. Built lazily by each worker for a phase p and the
	// phases q in [qlo, qhi) that a row needs (one phase row), indexed by
	// q - qlo; a worker keeps the tables of the last phases it saw (the
	// rows of one (py, dy) group of actRows).
	type tab struct {
		ph, qlo, qhi int
		c0, inv      []float64
		qd0          []float64 // Qdot where a variance is 0 (else NaN)
	}
	build := func(tb *tab, ph, qlo, qhi int) {
		tb.ph, tb.qlo, tb.qhi = ph, qlo, qhi
		nq := qhi - qlo
		if cap(tb.c0) < nq {
			*tb = tab{ph: ph, qlo: qlo, qhi: qhi, c0: make([]float64, nq), inv: make([]float64, nq), qd0: make([]float64, nq)}
		}
		a := hs[ph]
		for i := range nq {
			b := hs[qlo+i]
			tb.c0[i] = a.c[0] * b.c[0]
			s := math.Sqrt(a.v * b.v)
			tb.inv[i] = 0
			tb.qd0[i] = math.NaN()
			switch {
			case a.v == 0 && b.v == 0:
				tb.qd0[i] = dphi0 * dphi0
			case a.v == 0:
				tb.qd0[i] = dphi0 * b.d0
			case b.v == 0:
				tb.qd0[i] = a.d0 * dphi0
			default:
				tb.inv[i] = 1 / s
			}
		}
	}
	pool := sync.Pool{New: func() any { return map[int]*tab{} }}
	return func(ph int, qs []int, mr, tr, _ []float64) {
		tabs := pool.Get().(map[int]*tab)
		qlo, qhi := nph, 0
		for _, q := range qs {
			qlo, qhi = min(qlo, q), max(qhi, q+1)
		}
		tb := tabs[ph]
		if tb == nil {
			if len(tabs) >= 64 {
				clear(tabs)
			}
			tb = &tab{ph: -1}
			tabs[ph] = tb
		}
		if tb.ph != ph || tb.qlo != qlo || tb.qhi != qhi {
			build(tb, ph, qlo, qhi)
		}
		ca := odd[ph][:J]
		for dx, c := range mr {
			q := qs[dx] - qlo
			cb := odd[qs[dx]][:J]
			inv := tb.inv[q]
			rho := min(max(c*inv, -1), 1)
			x := rho * rho
			h := float64(ca[J-1] * cb[J-1])
			for j := J - 2; j >= 0; j-- {
				h = h*x + float64(ca[j]*cb[j])
			}
			mr[dx] = tb.c0[q] + rho*h
			if tr != nil {
				qd := tb.qd0[q]
				if qd != qd { // not a zero-variance pair
					// B_j = (2j+1) c_k(a) c_k(b) / sqrt(ab), in that order.
					qd = float64(float64(2*J-1)*float64(ca[J-1]*cb[J-1])) * inv
					for j := J - 2; j >= 0; j-- {
						qd = qd*x + float64(float64(float64(2*j+1)*float64(ca[j]*cb[j]))*inv)
					}
				}
				tr[dx] *= qd
			}
		}
		pool.Put(tabs)
	}, nil
}
