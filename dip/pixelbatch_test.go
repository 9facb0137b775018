package dip

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPixelBatchGrad checks the minibatch gradient against central
// differences of the minibatch loss written out: the drawn pixels listed
// one by one (with repeats), every channel, (m (f - y))^2, mean or sum.
func TestPixelBatchGrad(t *testing.T) {
	const w, h, c, batch = 5, 4, 3, 7
	rng := rand.New(rand.NewPCG(1, 2))
	n := w * h * c
	f, y, m := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range f {
		f[i], y[i], m[i] = rng.Float64(), rng.Float64(), float64(rng.IntN(2))+0.5
	}
	counts := make([]float64, w*h)
	pixelCounts(counts, batch, 9, 3)
	var drawn []int
	for p, k := range counts {
		for range int(k) {
			drawn = append(drawn, p)
		}
	}
	if len(drawn) != batch {
		t.Fatalf("%d pixels drawn, want %d", len(drawn), batch)
	}
	for _, sum := range []bool{false, true} {
		loss := func() float64 {
			var s float64
			for _, p := range drawn {
				for ch := 0; ch < c; ch++ {
					r := m[p*c+ch] * (f[p*c+ch] - y[p*c+ch])
					s += r * r
				}
			}
			if !sum {
				s /= float64(batch * c)
			}
			return s
		}
		dy := make([]float32, n)
		pixelBatchGrad(dy, f, y, m, counts, c, sum)
		for i := range f {
			old := f[i]
			f[i] = old + 1e-6
			lp := loss()
			f[i] = old - 1e-6
			lm := loss()
			f[i] = old
			if fd := (lp - lm) / 2e-6; math.Abs(fd-float64(dy[i])) > 1e-5*(1+math.Abs(fd)) {
				t.Errorf("sum %v, value %d: gradient %g, finite difference %g", sum, i, dy[i], fd)
			}
		}
	}
}

// TestPixelCounts checks that the draws repeat for the same seed and step,
// change with the step, and are uniform: over many steps each pixel's mean
// count is batch / pixels within 5 standard errors.
func TestPixelCounts(t *testing.T) {
	const pixels, batch, steps = 16, 8, 4000
	a, b := make([]float64, pixels), make([]float64, pixels)
	pixelCounts(a, batch, 4, 10)
	pixelCounts(b, batch, 4, 10)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 4 step 10 draws differ between calls")
		}
	}
	total := make([]float64, pixels)
	same := true
	for s := range steps {
		pixelCounts(b, batch, 4, s)
		for i, k := range b {
			total[i] += k
			same = same && (s != 11 || k == a[i])
		}
	}
	if same {
		t.Errorf("step 11 draws the same pixels as step 10")
	}
	p := 1.0 / pixels
	mean, se := batch*p, math.Sqrt(batch*p*(1-p)/steps)
	for i, s := range total {
		if d := s/steps - mean; math.Abs(d) > 5*se {
			t.Errorf("pixel %d drawn %.4f times per step, want %.4f ± %.4f", i, s/steps, mean, se)
		}
	}
}
