package netinit

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dipgp/dipgp/kernel"
)

// knownField draws fields f = U (h * w): white noise w filtered circularly
// by h on a coarse grid, then nearest up-sampled by 2 (U). Its covariance
// is known in closed form as a dense matrix, which we turn into a period-2
// Map independently of the estimator.
type knownField struct {
	coarse, fine []int
	h            []float64 // filter taps on the coarse grid, offsets -2..2 per axis
}

func (k knownField) denseCov() []float64 {
	// Coarse covariance c(d) = sum_t h(t) h(t+d) (circular), then
	// K(y, y') = c(floor(y/2) - floor(y'/2)).
	ch, cw := k.coarse[0], k.coarse[1]
	hc := func(dy, dx int) float64 {
		var s float64
		for ty := -2; ty <= 2; ty++ {
			for tx := -2; tx <= 2; tx++ {
				uy, ux := ty+dy, tx+dx
				for _, wy := range []int{uy - ch, uy, uy + ch} {
					for _, wx := range []int{ux - cw, ux, ux + cw} {
						if wy >= -2 && wy <= 2 && wx >= -2 && wx <= 2 {
							s += k.h[(ty+2)*5+tx+2] * k.h[(wy+2)*5+wx+2]
						}
					}
				}
			}
		}
		return s
	}
	fh, fw := k.fine[0], k.fine[1]
	n := fh * fw
	cov := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			dy := ((b/fw)/2 - (a/fw)/2 + ch) % ch
			dx := ((b%fw)/2 - (a%fw)/2 + cw) % cw
			if dy > ch/2 {
				dy -= ch
			}
			if dx > cw/2 {
				dx -= cw
			}
			cov[a*n+b] = hc(dy, dx)
		}
	}
	return cov
}

func (k knownField) sample(rng *rand.Rand, channels int) []float32 {
	ch, cw := k.coarse[0], k.coarse[1]
	fh, fw := k.fine[0], k.fine[1]
	out := make([]float32, channels*fh*fw)
	for c := 0; c < channels; c++ {
		w := make([]float64, ch*cw)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		g := make([]float64, ch*cw)
		for y := 0; y < ch; y++ {
			for x := 0; x < cw; x++ {
				var s float64
				for ty := -2; ty <= 2; ty++ {
					for tx := -2; tx <= 2; tx++ {
						s += k.h[(ty+2)*5+tx+2] * w[((y+ty+ch)%ch)*cw+(x+tx+cw)%cw]
					}
				}
				g[y*cw+x] = s
			}
		}
		for y := 0; y < fh; y++ {
			for x := 0; x < fw; x++ {
				out[c*fh*fw+y*fw+x] = float32(g[(y/2)*cw+x/2])
			}
		}
	}
	return out
}

func TestFieldUnbiasedOnKnownGP(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := make([]float64, 25)
	for i := range h {
		h[i] = rng.Float64()
	}
	kf := knownField{coarse: []int{8, 8}, fine: []int{16, 16}, h: h}
	truth, err := kernel.FromDense(kf.denseCov(), kf.fine, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, margin := range []int{0, 3} {
		f, err := NewField(2, kf.fine, margin)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := NewStats(2, kf.fine, f.Valid())
		est := make([]float64, f.Len())
		const samples, channels = 400, 3
		for s := 0; s < samples; s++ {
			if err := f.Estimate(est, kf.sample(rng, channels), channels); err != nil {
				t.Fatal(err)
			}
			if err := st.Add(est); err != nil {
				t.Fatal(err)
			}
		}
		mean, se, err := st.Estimate()
		if err != nil {
			t.Fatal(err)
		}
		var in2, total int
		var zsum float64
		for i, m := range mean.Data {
			if math.IsNaN(m) {
				continue
			}
			z := (m - truth.Data[i]) / se.Data[i]
			zsum += z
			total++
			if math.Abs(z) < 2 {
				in2++
			}
		}
		share := float64(in2) / float64(total)
		// The z-scores of an unbiased estimate are about N(0,1): 95% within 2.
		if share < 0.9 || math.Abs(zsum/float64(total)) > 0.5 {
			t.Errorf("margin %d: share within 2 SE = %.3f, mean z = %.3f: estimate looks biased", margin, share, zsum/float64(total))
		}
		// A wrong period must be detected: estimating the period-2 field as
		// stationary and comparing with one phase of the truth fails.
		if margin == 0 {
			var worst float64
			st1 := mean.Stationary()
			for i := range st1.Data {
				worst = math.Max(worst, math.Abs(st1.Data[i]-truth.Data[i]))
			}
			if worst < 10*se.Data[0] {
				t.Errorf("phase-averaged map indistinguishable from phase 0 (%v): the test cannot fail", worst)
			}
		}
	}
}

func TestStatsMergeOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	samples := make([][]float64, 50)
	for i := range samples {
		samples[i] = make([]float64, 16)
		for j := range samples[i] {
			samples[i][j] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(8)))
		}
	}
	all, _ := NewStats(1, []int{16}, nil)
	for _, s := range samples {
		all.Add(s)
	}
	// Three shards taking every third sample, merged in another order.
	var parts [3]*Stats
	for k := range parts {
		parts[k], _ = NewStats(1, []int{16}, nil)
	}
	for i := len(samples) - 1; i >= 0; i-- {
		parts[i%3].Add(samples[i])
	}
	merged := parts[2].Clone()
	merged.Merge(parts[0])
	merged.Merge(parts[1])
	m1, s1, _ := all.Estimate()
	m2, s2, _ := merged.Estimate()
	for i := range m1.Data {
		if m1.Data[i] != m2.Data[i] || s1.Data[i] != s2.Data[i] {
			t.Fatalf("entry %d: unsharded %v±%v, merged %v±%v", i, m1.Data[i], s1.Data[i], m2.Data[i], s2.Data[i])
		}
	}
	if merged.N != 50 {
		t.Errorf("N = %d", merged.N)
	}
	bad, _ := NewStats(2, []int{16}, nil)
	if bad.Merge(all) == nil {
		t.Error("merging different periods succeeded")
	}
}

// Estimate against the direct sum over pairs, on grids with a margin,
// several channels and periods whose sub-lattices are or are not powers
// of 2 (the two ways Estimate computes).
func TestEstimateDirect(t *testing.T) {
	for _, tc := range []struct {
		size           []int
		period, margin int
	}{
		{[]int{12, 16}, 4, 2}, {[]int{12, 18}, 3, 0}, {[]int{24}, 3, 0}, {[]int{20}, 4, 3}, {[]int{8, 8}, 1, 1},
		// Sub-lattices with sides powers of 2: the estimate by pairs of
		// phases (fieldpairs.go), down to single points.
		{[]int{16, 16}, 4, 2}, {[]int{16, 32}, 4, 0}, {[]int{32}, 4, 3}, {[]int{8, 16}, 8, 0}, {[]int{8, 8}, 8, 1}, {[]int{16}, 2, 0},
	} {
		f, err := NewField(tc.period, tc.size, tc.margin)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := kernel.NewMap(tc.period, tc.size)
		n := m.Points()
		const channels = 3
		rng := rand.New(rand.NewPCG(7, 8))
		x := make([]float32, channels*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		got := make([]float64, f.Len())
		if err := f.Clone().Estimate(got, x, channels); err != nil {
			t.Fatal(err)
		}
		// The pairs' cross spectra in blocks of at most 3 vectors give the
		// same estimate.
		small := make([]float64, f.Len())
		saved := pairBlock
		pairBlock = 3 * m.Points() / m.Phases()
		err = f.Clone().Estimate(small, x, channels)
		pairBlock = saved
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(small, got) {
			t.Fatalf("size %v period %d margin %d: blocks of 3 pairs change the estimate", tc.size, tc.period, tc.margin)
		}
		in := func(i int) bool { return tc.margin == 0 || f.interior(i) }
		sum := make([]float64, len(got))
		cnt := make([]float64, len(got))
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if !in(i) || !in(j) {
					continue
				}
				k := m.Phase(i)*n + m.Offset(i, j)
				cnt[k]++
				for c := 0; c < channels; c++ {
					sum[k] += float64(x[c*n+i]) * float64(x[c*n+j])
				}
			}
		}
		for k := range got {
			want := 0.0
			if cnt[k] > 0 {
				want = sum[k] / cnt[k] / channels
			}
			if math.Abs(got[k]-want) > 1e-12 {
				t.Fatalf("size %v period %d margin %d: entry %d is %.15g, direct sum %.15g", tc.size, tc.period, tc.margin, k, got[k], want)
			}
		}
	}
}

// The estimate by pairs of phases is as accurate as the one by whole-grid
// transforms, against a direct double-double sum over all pairs of points,
// at the check's setting (64 x 64, period 8, 3 channels).
func TestEstimatePairsAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("direct sum over 50 million products")
	}
	size := []int{64, 64}
	f, err := NewField(8, size, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !f.pairsOK() {
		t.Fatal("64 x 64 with period 8 should go by pairs")
	}
	m, _ := kernel.NewMap(8, size)
	n := m.Points()
	const channels = 3
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, channels*n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	pairs := make([]float64, f.Len())
	f.Clone().estimatePairs(pairs, x, channels)
	full := make([]float64, f.Len())
	f.Clone().estimateFull(full, x, channels)
	hi := make([]float64, f.Len())
	lo := make([]float64, f.Len())
	for i := 0; i < n; i++ {
		row := m.Phase(i) * n
		for j := 0; j < n; j++ {
			k := row + m.Offset(i, j)
			for c := 0; c < channels; c++ {
				ddAdd(&hi[k], &lo[k], float64(x[c*n+i])*float64(x[c*n+j]))
			}
		}
	}
	var errPairs, errFull, scale float64
	for k := range hi {
		want := hi[k] + lo[k]
		errPairs = max(errPairs, math.Abs(pairs[k]-want))
		errFull = max(errFull, math.Abs(full[k]-want))
		scale = max(scale, math.Abs(want))
	}
	t.Logf("largest error / largest sum: pairs %.3g, whole grid %.3g", errPairs/scale, errFull/scale)
	if errPairs > 1e-13*scale || errPairs > 2*errFull {
		t.Errorf("pairs: largest error %.3g of %.3g (whole grid: %.3g)", errPairs, scale, errFull)
	}
}
