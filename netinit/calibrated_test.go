package netinit

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/kernel"
	"gonum.org/v1/gonum/stat/distuv"
)

// knownMap is the period-2 covariance of knownField, from its dense matrix.
func knownMap(t *testing.T) kernel.Map {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	h := make([]float64, 25)
	for i := range h {
		h[i] = rng.Float64()
	}
	kf := knownField{coarse: []int{8, 8}, fine: []int{16, 16}, h: h}
	m, err := kernel.FromDense(kf.denseCov(), kf.fine, 2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHotellingCalibratedOnExactGP draws fields from the exact GP of a
// cyclostationary kernel and checks that the agreement test rejects at its
// nominal rate (200 runs: 2% to 9% at alpha = 0.05) on the whole grid,
// and near it (60 runs) on an interior region. The old entry-wise rule is logged for comparison.
func TestHotellingCalibratedOnExactGP(t *testing.T) {
	m := knownMap(t)
	for _, margin := range []int{0, 3} {
		runs := 200
		if margin > 0 || testing.Short() {
			runs = 60
		}
		// Four channels per field: a single channel's squares are too
		// skewed for 40 samples (real networks have dozens of channels).
		c, err := Calibrate(context.Background(), m, m, runs, 40, 4, margin, 7)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("margin %d: %d features; reject %.3f at 0.05, %.3f at 0.01, shape %.3f at 0.05; entry-wise rule rejects %.3f",
			margin, c.Features, c.Reject05, c.Reject01, c.ShapeReject05, c.EntrywiseReject)
		lo, hi := 0.02, 0.09
		if runs < 200 {
			lo, hi = 0, 0.15
		}
		if c.Reject05 < lo || c.Reject05 > hi || c.ShapeReject05 < lo || c.ShapeReject05 > hi {
			t.Errorf("margin %d: rejection rates %.3f (joint), %.3f (shape) at alpha 0.05, want %.2f to %.2f", margin, c.Reject05, c.ShapeReject05, lo, hi)
		}
	}
}

// TestHotellingPower checks that the test finds a 3% error in the width of
// the kernel (fields from a slightly narrower kernel than the one tested).
func TestHotellingPower(t *testing.T) {
	m := knownMap(t)
	wrong := m.Clone()
	n := m.Points()
	for i := range wrong.Data {
		if i%n != 0 {
			wrong.Data[i] *= 1.03
		}
	}
	c, err := Calibrate(context.Background(), m, wrong, 20, 40, 4, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reject05 < 0.8 {
		t.Errorf("a 3%% error in the off-diagonal kernel is found in %.0f%% of runs, want at least 80%%", 100*c.Reject05)
	}
}

// TestHotellingOneFeatureIsTTest compares the test of one feature with the
// two-sided Student t test computed directly.
func TestHotellingOneFeatureIsTTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([]float64, 25)
	var mean float64
	for i := range x {
		x[i] = 0.3 + rng.NormFloat64()
		mean += x[i]
	}
	mean /= float64(len(x))
	var v float64
	for _, xi := range x {
		v += (xi - mean) * (xi - mean)
	}
	v /= float64(len(x) - 1)
	tstat := mean / math.Sqrt(v/float64(len(x)))
	want := 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(x) - 1)}.Survival(math.Abs(tstat))
	h := HotellingTest([]float64{mean}, []float64{v}, []float64{0}, len(x), nil)
	if math.Abs(h.P-want) > 1e-9 || math.Abs(h.T2-tstat*tstat) > 1e-9 {
		t.Errorf("one feature: p %v, T2 %v; t test: p %v, t^2 %v", h.P, h.T2, want, tstat*tstat)
	}
}

// TestFeaturesMatchDirectCovariance checks the accumulated mean and
// covariance of the features against a direct two-pass computation.
func TestFeaturesMatchDirectCovariance(t *testing.T) {
	b, err := NewBasis(2, []int{8, 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	f := NewFeatures(b)
	var xs [][]float64
	est := make([]float64, 4*64)
	for s := 0; s < 30; s++ {
		for i := range est {
			est[i] = rng.NormFloat64() + float64(i%7)
		}
		f.Add(est)
		x := make([]float64, b.Len())
		// Direct projection: ring means over all phases, from the offsets.
		for k := 0; k < b.Rings; k++ {
			var sum float64
			var cnt int
			for i, v := range est {
				d := i % 64
				dy, dx := min(d/8, 8-d/8), min(d%8, 8-d%8)
				r := math.Sqrt(float64(dy*dy + dx*dx))
				ring := 0
				if r > 0 {
					ring = 1 + int(math.Floor(math.Log2(r)+1e-9))
				}
				if ring == k {
					sum += v
					cnt++
				}
			}
			x[k] = sum / float64(cnt)
		}
		for p := 1; p < 4; p++ {
			x[b.Rings+p-1] = est[p*64] - (est[0]+est[64]+est[128]+est[192])/4
		}
		xs = append(xs, x)
	}
	mean, cov := f.MeanCov()
	k := b.Len()
	for i := 0; i < k; i++ {
		var m float64
		for _, x := range xs {
			m += x[i]
		}
		m /= float64(len(xs))
		if math.Abs(m-mean[i]) > 1e-9 {
			t.Fatalf("feature %d (%s): mean %v, direct %v", i, b.Names[i], mean[i], m)
		}
		for j := 0; j < k; j++ {
			var mj, c float64
			for _, x := range xs {
				mj += x[j]
			}
			mj /= float64(len(xs))
			for _, x := range xs {
				c += (x[i] - m) * (x[j] - mj)
			}
			c /= float64(len(xs) - 1)
			if math.Abs(c-cov[i*k+j]) > 1e-9*(1+math.Abs(c)) {
				t.Fatalf("cov %d,%d: %v, direct %v", i, j, cov[i*k+j], c)
			}
		}
	}
}

// TestFitInverseWidth recovers a + b/width from exact points and covers
// the true intercept with its interval on noisy ones.
func TestFitInverseWidth(t *testing.T) {
	ws := []int{32, 64, 128, 256}
	exact := make([]float64, len(ws))
	for i, w := range ws {
		exact[i] = 0.5 / float64(w)
	}
	f := FitInverseWidth(ws, exact)
	if math.Abs(f.A) > 1e-12 || math.Abs(f.B-0.5) > 1e-12 || math.Abs(f.Slope+1) > 1e-9 {
		t.Errorf("exact 0.5/width: a %v, b %v, slope %v", f.A, f.B, f.Slope)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	covered := 0
	for r := 0; r < 200; r++ {
		ys := make([]float64, len(ws))
		for i, w := range ws {
			ys[i] = 0.01 + 0.5/float64(w) + 0.001*rng.NormFloat64()
		}
		f := FitInverseWidth(ws, ys)
		if f.ALo <= 0.01 && 0.01 <= f.AHi {
			covered++
		}
	}
	if covered < 180 || covered > 198 {
		t.Errorf("the 95%% interval of a covers the truth in %d of 200 sweeps", covered)
	}
}
