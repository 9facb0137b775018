package kernel

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

var testCovs = []struct{ a, b, rho float64 }{
	{1, 1, 0}, {1, 1, 1}, {1, 1, -1}, {1, 1, 0.999999}, {0.3, 2.5, 0.7},
	{2.5, 0.3, -0.4}, {0.01, 0.02, 0.9}, {4, 4, 0.95}, {1.7, 0.6, -0.999},
}

// The bivariate quadrature against the closed forms (relu and leakyrelu
// have kinks at 0, which fall on the sector boundaries; erf is smooth).
func TestQuadratureClosedForms(t *testing.T) {
	acts := []arch.Act{{Fn: arch.ReLU}, {Fn: arch.LeakyReLU, Slope: 0.2}, {Fn: arch.LeakyReLU, Slope: -0.5}, {Fn: arch.Erf}}
	for _, l := range acts {
		f := fnOf(l)
		for _, c := range testCovs {
			k12 := c.rho * math.Sqrt(c.a*c.b)
			q, qd, _ := closedForm(l, c.a, c.b, k12)
			gq, gqd := bivariate(f, c.a, c.b, k12, 128)
			if math.Abs(gq-q) > 1e-10*math.Max(1, math.Abs(q)) || math.Abs(gqd-qd) > 1e-10*math.Max(1, math.Abs(qd)) {
				t.Errorf("%s %+v: quadrature Q=%.15g Qdot=%.15g, closed form Q=%.15g Qdot=%.15g", l.Fn, c, gq, gqd, q, qd)
			}
		}
	}
}

// seriesAt evaluates the production row rule of the Hermite series for
// one covariance.
func seriesAt(t *testing.T, l arch.Act, a, b, c float64, n int) (q, qd float64) {
	t.Helper()
	r := &run{ctx: context.Background(), o: Options{Quadrature: n}, workers: 1, pool: &pool{}, maxDegree: 4 * n}
	k, err := r.seriesKernel(l, []float64{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if k == nil {
		t.Fatalf("%s: series does not converge for variances %g, %g", l.Fn, a, b)
	}
	mr, tr := []float64{c}, []float64{1}
	k(0, []int{1}, mr, tr, nil)
	return mr[0], tr[0]
}

// With erf plugged in, the series must reproduce erf's closed forms.
func TestSeriesErfClosedForm(t *testing.T) {
	l := arch.Act{Fn: arch.Erf}
	for _, c := range testCovs {
		if c.a > 2 || c.b > 2 {
			continue // erf(sqrt(v) z) for large v needs a high degree
		}
		k12 := c.rho * math.Sqrt(c.a*c.b)
		q, qd, _ := closedForm(l, c.a, c.b, k12)
		sq, sqd := seriesAt(t, l, c.a, c.b, k12, DefaultQuadrature)
		if math.Abs(sq-q) > 1e-12 || math.Abs(sqd-qd) > 1e-12*math.Max(1, qd) {
			t.Errorf("erf %+v: series Q=%.15g Qdot=%.15g, closed form Q=%.15g Qdot=%.15g", c, sq, sqd, q, qd)
		}
	}
}

// cartesianGH is an independent reference: a plain m x m tensor
// Gauss-Hermite rule over (z1, z2) with u = sqrt(a) z1,
// u' = sqrt(b) (rho z1 + sqrt(1-rho^2) z2).
func cartesianGH(f actFn, a, b, c float64, m int) (q, qd float64) {
	r := normalRule(m)
	rho := c / math.Sqrt(a*b)
	s := math.Sqrt(math.Max(0, 1-rho*rho))
	for i, z1 := range r.x {
		u := math.Sqrt(a) * z1
		for j, z2 := range r.x {
			u2 := math.Sqrt(b) * (rho*z1 + s*z2)
			w := r.w[i] * r.w[j]
			q += w * f.value(u) * f.value(u2)
			qd += w * f.deriv(u) * f.deriv(u2)
		}
	}
	return q, qd
}

// The series for tanh and sigmoid against two high-order quadratures.
func TestSeriesVsQuadrature(t *testing.T) {
	for _, fn := range []arch.ActFn{arch.Sigmoid, arch.Tanh} {
		l := arch.Act{Fn: fn}
		for _, c := range testCovs {
			k12 := c.rho * math.Sqrt(c.a*c.b)
			n := DefaultQuadrature
			if fn == arch.Tanh {
				n = 160 // tanh at variance 4 needs degree ~400
			}
			sq, sqd := seriesAt(t, l, c.a, c.b, k12, n)
			nb := 128
			if fn == arch.Tanh && math.Max(c.a, c.b) >= 2.5 {
				nb = 256 // tanh at variance 4 is steep in polar coordinates
			}
			bq, bqd := bivariate(fnOf(l), c.a, c.b, k12, nb)
			gq, gqd := cartesianGH(fnOf(l), c.a, c.b, k12, 600)
			for _, ref := range [][2]float64{{bq, bqd}, {gq, gqd}} {
				if math.Abs(sq-ref[0]) > 1e-11 || math.Abs(sqd-ref[1]) > 1e-11 {
					t.Errorf("%s %+v: series Q=%.15g Qdot=%.15g, quadrature Q=%.15g Qdot=%.15g (diff %.2g, %.2g)",
						fn, c, sq, sqd, ref[0], ref[1], sq-ref[0], sqd-ref[1])
				}
			}
		}
	}
}

// Large variances need a higher degree: refused with a low cap, exact with
// a high one.
func TestSeriesLargeVariance(t *testing.T) {
	l := arch.Act{Fn: arch.Sigmoid}
	r := &run{ctx: context.Background(), workers: 1, pool: &pool{}}
	if hs, _ := r.seriesTables(fnOf(l), []float64{30}, 256); hs != nil {
		t.Fatalf("degree %d accepted with n = 16 (cap 256)", len(hs[0].c)-1)
	}
	k12 := 0.8 * 30
	sq, sqd := seriesAt(t, l, 30, 30, k12, 256)
	gq, gqd := cartesianGH(fnOf(l), 30, 30, k12, 800)
	if math.Abs(sq-gq) > 1e-9 || math.Abs(sqd-gqd) > 1e-9 {
		t.Errorf("sigmoid at variance 30: series Q=%.15g Qdot=%.15g, quadrature %.15g %.15g", sq, sqd, gq, gqd)
	}
}

// Gauss-Hermite rules from gonum: the moments of the standard normal.
func TestNormalRule(t *testing.T) {
	for _, m := range []int{48, 512} {
		r := normalRule(m)
		mom := []float64{1, 0, 1, 0, 3, 0, 15, 0, 105}
		for k, want := range mom {
			var s float64
			for i, x := range r.x {
				s += r.w[i] * math.Pow(x, float64(k))
			}
			if math.Abs(s-want) > 1e-12*math.Max(1, want) {
				t.Errorf("m=%d: E[z^%d] = %.15g, want %g", m, k, s, want)
			}
		}
	}
}

// The per-entry quadrature fallback (series degree above the cap) is used
// when the cap is low, and agrees with the series within its accuracy.
func TestActivationFallback(t *testing.T) {
	a, err := arch.Parse("conv-stack:dims=1,depth=2,act=sigmoid,sw=3,channels=4")
	if err != nil {
		t.Fatal(err)
	}
	compute := func(maxDeg, n int) (Map, Map) {
		r := newRun(context.Background(), a, Options{NTK: true, Quadrature: n}, false)
		r.maxDegree = maxDeg
		k, th, err := r.compute([]int{16})
		if err != nil {
			t.Fatal(err)
		}
		return k, th
	}
	k1, t1 := compute(8, 64) // fallback: variance ~9 needs degree ~200
	k2, t2 := compute(1024, 64)
	var dk, dt float64
	for i := range k1.Data {
		dk = math.Max(dk, math.Abs(k1.Data[i]-k2.Data[i]))
		dt = math.Max(dt, math.Abs(t1.Data[i]-t2.Data[i])/t2.Data[i])
	}
	if dk > 1e-8 || dt > 1e-7 || dk == 0 {
		t.Errorf("fallback vs series: NNGP differs by %.3g, NTK by %.3g relative (want > 0, below 1e-8 and 1e-7)", dk, dt)
	}
}

// tanh at pre-activation variance 9 needs a series degree above 1024 (its
// Qdot tail is 1.4e-12 there); it must still be evaluated by the series, to
// 1e-11 of an independent 1-D trapezoid rule on the diagonal, not by the
// quadrature fallback (off by 1.9e-5 at order 64).
func TestSeriesTanhVariance9(t *testing.T) {
	const v = 9.0
	r := &run{ctx: context.Background(), workers: 1, pool: &pool{}, maxDegree: seriesMaxDegree}
	k, err := r.seriesKernel(arch.Act{Fn: arch.Tanh}, []float64{v, v})
	if err != nil || k == nil {
		t.Fatalf("series at variance %g: err %v, converged %v", v, err, k != nil)
	}
	mr, tr := []float64{v}, []float64{1}
	k(0, []int{1}, mr, tr, make([]float64, 3))
	// E[tanh(3z)^2] and E[tanh'(3z)^2] by the trapezoid rule (spectrally
	// accurate for an analytic integrand decaying like exp(-z^2/2)).
	var q, qd float64
	const h = 1e-3
	for i := -12000; i <= 12000; i++ {
		z := float64(i) * h
		w := math.Exp(-z*z/2) * h / math.Sqrt(2*math.Pi)
		y := math.Tanh(3 * z)
		q += w * y * y
		qd += w * (1 - y*y) * (1 - y*y)
	}
	if math.Abs(mr[0]-q) > 1e-11*q || math.Abs(tr[0]-qd) > 1e-11*qd {
		t.Errorf("tanh at v=9: series Q=%.15g Qdot=%.15g, trapezoid %.15g %.15g", mr[0], tr[0], q, qd)
	}
}

func TestSeriesCaps(t *testing.T) {
	for _, c := range []struct {
		first, last int
		want        string
	}{{256, 2048, "[256 1024 2048]"}, {4096, 2048, "[2048]"}, {1024, 2048, "[1024 2048]"}, {32, 8, "[8]"}, {256, 512, "[256 512]"}} {
		if got := fmt.Sprint(seriesCaps(c.first, c.last)); got != c.want {
			t.Errorf("seriesCaps(%d, %d) = %s, want %s", c.first, c.last, got, c.want)
		}
	}
}
