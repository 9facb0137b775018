package kernel

import (
	"math"
	"math/big"
	"sync"
	"testing"
)

// The table of fastAcos is the float64 rounding of its 300-bit derivation.
func TestAsinCoefficients(t *testing.T) {
	c, tail := asinPoly(len(asinP) - 1)
	if tail > 2e-17 {
		t.Errorf("truncation %g, want <= 2e-17", tail)
	}
	for i, x := range c {
		if f, _ := x.Float64(); f != asinP[i] {
			t.Errorf("asinP[%d] = %.17g, derivation gives %.17g", i, asinP[i], f)
		}
	}
}

// bigAsin returns asin(x) for |x| <= 1/2 by its Taylor series at 128 bits.
func bigAsin(x *big.Float) *big.Float {
	const prec = 128
	x2 := new(big.Float).SetPrec(prec).Mul(x, x)
	term := new(big.Float).SetPrec(prec).Set(x) // (2k)!/(4^k k!^2) x^(2k+1)
	sum := new(big.Float).SetPrec(prec).Set(x)
	for k := 1; k < 200; k++ {
		term.Mul(term, x2)
		term.Mul(term, big.NewFloat(float64(2*k-1)))
		term.Quo(term, big.NewFloat(float64(2*k)))
		t := new(big.Float).SetPrec(prec).Quo(term, big.NewFloat(float64(2*k+1)))
		if t.Sign() == 0 || t.MantExp(nil)-sum.MantExp(nil) < -prec {
			break
		}
		sum.Add(sum, t)
	}
	return sum
}

// bigPi returns pi = 6 asin(1/2) at 128 bits.
var bigPi = sync.OnceValue(func() *big.Float {
	pi := bigAsin(new(big.Float).SetPrec(128).SetFloat64(0.5))
	return pi.Mul(pi, big.NewFloat(6))
})

// bigAcos returns acos(x) to about 120 bits: pi/2 - asin(x) for
// |x| <= 1/2 (pi = 6 asin(1/2)), else 2 asin(sqrt((1-x)/2)) with the
// difference and the square root taken at 128 bits.
func bigAcos(x float64) float64 {
	const prec = 128
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	pi := bigPi()
	var r *big.Float
	switch {
	case math.Abs(x) <= 0.5:
		r = new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
		r.Sub(r, bigAsin(bx))
	default:
		ax := new(big.Float).SetPrec(prec).Abs(bx)
		z := new(big.Float).SetPrec(prec).Sub(big.NewFloat(1), ax)
		z.Quo(z, big.NewFloat(2))
		z.Sqrt(z)
		r = bigAsin(z)
		r.Mul(r, big.NewFloat(2))
		if x < 0 {
			r.Sub(pi, r)
		}
	}
	f, _ := r.Float64()
	return f
}

// ulps returns |got - want| in units of want's last place.
func ulps(got, want float64) float64 {
	if got == want {
		return 0
	}
	u := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
	return math.Abs(got-want) / u
}

// acosTestPoints returns a sweep of [-1, 1] (n points) plus the
// endpoints, the branch points +-1/2 and their neighbours, tiny
// arguments and arguments within a few ulp to 1e-3 of +-1.
func acosTestPoints(n int) []float64 {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 5e-324, -5e-324, 1e-300, 1e-17, -1e-17, 1e-8}
	for _, b := range []float64{0.5, -0.5, 1, -1} {
		x := b
		for range 4 {
			x = math.Nextafter(x, 0)
			xs = append(xs, x)
		}
		x = b
		for range 4 {
			x = math.Nextafter(x, math.Inf(1)*b)
			if math.Abs(x) <= 1 {
				xs = append(xs, x)
			}
		}
	}
	for e := 1e-16; e < 1e-3; e *= 3.7 {
		xs = append(xs, 1-e, -1+e)
	}
	for i := range n + 1 {
		xs = append(xs, -1+2*float64(i)/float64(n))
	}
	return xs
}

// fastAcos against a 128-bit reference: at most 2 ulp everywhere.
func TestFastAcosUlp(t *testing.T) {
	n := 8000
	if testing.Short() {
		n = 2000
	}
	worst, at := 0.0, 0.0
	for _, x := range acosTestPoints(n) {
		got, want := fastAcos(x), bigAcos(x)
		if u := ulps(got, want); u > worst {
			worst, at = u, x
		}
	}
	t.Logf("largest error %.2f ulp at x = %.17g", worst, at)
	if worst > 2 {
		t.Errorf("fastAcos: %.2f ulp at x = %.17g, want <= 2", worst, at)
	}
}

// fastAcos against math.Acos on a dense sweep: relative 1e-15 where
// math.Acos is accurate (|x| <= 0.9; nearer to 1 math.Acos, computed as
// pi/2 - asin(x), loses relative accuracy: 8 ulp at 0.96, 92 ulp at
// 0.999 against the 128-bit reference, which is the test above).
func TestFastAcosMath(t *testing.T) {
	n := 1 << 20
	if testing.Short() {
		n = 1 << 16
	}
	for i := 0; i <= n; i++ {
		x := -0.9 + 1.8*float64(i)/float64(n)
		got, want := fastAcos(x), math.Acos(x)
		if math.Abs(got-want) > 1e-15*want {
			t.Fatalf("fastAcos(%.17g) = %.17g, math.Acos %.17g", x, got, want)
		}
	}
	for _, x := range []float64{-1, 1, 0, 0.5, -0.5} {
		if got, want := fastAcos(x), math.Acos(x); math.Abs(got-want) > 1e-15*want {
			t.Errorf("fastAcos(%g) = %.17g, math.Acos %.17g", x, got, want)
		}
	}
}

// arcCos against the plain formula with math.Acos at moderate
// correlations (the brute-force and quadrature tests cover the rest).
func TestArcCosFormula(t *testing.T) {
	for _, a := range []float64{0, 0.2, -0.5} {
		for i := 0; i <= 2000; i++ {
			rho := -0.99 + 1.98*float64(i)/2000
			s := 1.7
			th := math.Acos(rho)
			j := math.Sqrt(1-rho*rho) + (math.Pi-th)*rho
			b := (1 - a) * (1 - a)
			wq, wqd := a*rho*s+b*s*j/(2*math.Pi), a+b*(math.Pi-th)/(2*math.Pi)
			q, qd := arcCos(a, rho*s, s)
			if math.Abs(q-wq) > 1e-14*s || math.Abs(qd-wqd) > 1e-15 {
				t.Fatalf("a=%g rho=%g: Q %.17g Qdot %.17g, formula %.17g %.17g", a, rho, q, qd, wq, wqd)
			}
		}
	}
}
