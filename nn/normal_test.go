package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The layer tables match math/rand/v2's (whose kn values are copied here
// as the check), and the draws follow the normal distribution: a
// Kolmogorov-Smirnov test on 400000 draws against the normal CDF
// (erfc), the tail frequency beyond zigR, and the first four moments.
func TestZigguratNormal(t *testing.T) {
	for i, want := range map[int]uint32{0: 0x76ad2212, 1: 0, 2: 0x600f1b53, 3: 0x6ce447a6, 4: 0x725b46a2} {
		if zigK[i] != want {
			t.Errorf("zigK[%d] = %#x, math/rand/v2 has %#x", i, zigK[i], want)
		}
	}
	n := 400000
	if testing.Short() {
		n = 100000
	}
	src := rand.NewPCG(3, 4)
	x := make([]float64, n)
	var m [5]float64
	tail := 0
	for i := range x {
		v := zigNormal(src)
		x[i] = v
		p := 1.0
		for k := 1; k <= 4; k++ {
			p *= v
			m[k] += p / float64(n)
		}
		if math.Abs(v) > zigR {
			tail++
		}
	}
	slices.Sort(x)
	d := 0.0
	for i, v := range x {
		c := 0.5 * math.Erfc(-v/math.Sqrt2)
		d = max(d, math.Abs(c-float64(i)/float64(n)), math.Abs(c-float64(i+1)/float64(n)))
	}
	// 1.95/sqrt(n) is the KS bound at 0.1% significance.
	if d > 1.95/math.Sqrt(float64(n)) {
		t.Errorf("KS distance %.3g over %d draws, bound %.3g", d, n, 1.95/math.Sqrt(float64(n)))
	}
	pt := math.Erfc(zigR / math.Sqrt2)
	if got := float64(tail) / float64(n); math.Abs(got-pt) > 4*math.Sqrt(pt/float64(n)) {
		t.Errorf("tail beyond %g: frequency %.3g, want %.3g", zigR, got, pt)
	}
	se := []float64{0, 1, math.Sqrt(2), math.Sqrt(15), math.Sqrt(96)} // sd of x^k
	for k, want := range []float64{0, 0, 1, 0, 3} {
		if k == 0 {
			continue
		}
		if math.Abs(m[k]-want) > 4.5*se[k]/math.Sqrt(float64(n)) {
			t.Errorf("moment %d = %.4f, want %g", k, m[k], want)
		}
	}
}

// zigNormal draws the same values as math/rand/v2's NormFloat64 on the
// same stream, up to the float32 rounding of math/rand/v2's tables.
func TestZigguratMatchesNormFloat64(t *testing.T) {
	a, b := rand.NewPCG(5, 6), rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100000; i++ {
		x, y := zigNormal(a), b.NormFloat64()
		if math.Abs(x-y) > 1e-6*math.Max(1, math.Abs(y)) {
			t.Fatalf("draw %d: %v, NormFloat64 %v", i, x, y)
		}
	}
}
