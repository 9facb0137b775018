package dip

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/internal/imageio"
)

// naiveDFT is the textbook O(N^2) 2-D DFT of a real h x w grid.
func naiveDFT(x []float64, h, w int) []complex128 {
	out := make([]complex128, h*w)
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			var s complex128
			for y := 0; y < h; y++ {
				for xx := 0; xx < w; xx++ {
					ph := -2 * math.Pi * (float64(v*y)/float64(h) + float64(u*xx)/float64(w))
					s += complex(x[y*w+xx], 0) * cmplx.Exp(complex(0, ph))
				}
			}
			out[v*w+u] = s
		}
	}
	return out
}

// fftshift moves index 0 to the centre as numpy.fft.fftshift does.
func fftshift(a []float64, h, w int) []float64 {
	out := make([]float64, len(a))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[((y+h/2)%h)*w+(x+w/2)%w] = a[y*w+x]
		}
	}
	return out
}

// fbcReference follows Shi et al.'s recipe literally: grey, naive DFT,
// fftshift, distance from the centre pixel (int(h/2), int(w/2)), bands by
// explicit comparisons.
func fbcReference(f, y imageio.Image) []float64 {
	h, w := f.H, f.W
	ff := naiveDFT(f.ToGray().Pix, h, w)
	fy := naiveDFT(y.ToGray().Pix, h, w)
	m := make([]float64, h*w)
	for i := range m {
		m[i] = math.Min(1, math.Max(0, cmplx.Abs(ff[i])/(cmplx.Abs(fy[i])+1e-8)))
	}
	m = fftshift(m, h, w)
	cy, cx := h/2, w/2
	out := make([]float64, 5)
	for b := 1; b <= 5; b++ {
		lo := float64(b-1) / 5 * float64(w/2)
		hi := float64(b) / 5 * float64(w/2)
		s, n := 0.0, 0
		for yy := 0; yy < h; yy++ {
			for xx := 0; xx < w; xx++ {
				d := math.Hypot(float64(yy-cy), float64(xx-cx))
				in := d > lo && d <= hi
				if b == 1 && d == 0 {
					in = true
				}
				if in {
					s += m[yy*w+xx]
					n++
				}
			}
		}
		out[b-1] = s / float64(n)
	}
	return out
}

// imageFromSpectrum builds a real image whose DFT has the given amplitude
// at (fy, fx) and (-fy, -fx) for each listed mode (real cosines).
func imageFromModes(h, w int, modes [][3]float64) []float64 {
	x := make([]float64, h*w)
	for _, md := range modes {
		fy, fx, a := md[0], md[1], md[2]
		for yy := 0; yy < h; yy++ {
			for xx := 0; xx < w; xx++ {
				x[yy*w+xx] += a * math.Cos(2*math.Pi*(fy*float64(yy)/float64(h)+fx*float64(xx)/float64(w)))
			}
		}
	}
	return x
}

func TestFBCConstructedSpectrum(t *testing.T) {
	// A 20x20 grey target with one cosine per band (plus DC), and an
	// output whose cosines have known fractions of the target's
	// amplitudes (one larger than 1, clipped to 1). Distances of the
	// modes: 0; (0,1) -> 1 in band 1 (r1 = 2); (2,2) -> 2.83 band 2;
	// (0,5) -> 5 band 3; (4,6) -> 7.2 band 4; (9,3) -> 9.49 band 5.
	const h, w = 20, 20
	type mode struct{ fy, fx, amp, frac float64 }
	modes := []mode{{0, 0, 0.5, 0.8}, {0, 1, 0.2, 0.5}, {2, 2, 0.1, 0.25}, {0, 5, 0.1, 2}, {4, 6, 0.05, 0.1}, {9, 3, 0.05, 0.6}}
	var ym, fm [][3]float64
	for _, m := range modes {
		ym = append(ym, [3]float64{m.fy, m.fx, m.amp})
		fm = append(fm, [3]float64{m.fy, m.fx, m.amp * m.frac})
	}
	y := imageio.Image{W: w, H: h, C: 1, Pix: imageFromModes(h, w, ym)}
	f := imageio.Image{W: w, H: h, C: 1, Pix: imageFromModes(h, w, fm)}
	got, err := FBC(f, y)
	if err != nil {
		t.Fatal(err)
	}
	// Closed form: each band's mean is the sum of the clipped fractions of
	// its modes (a cosine occupies w and -w, both in the same band) over
	// the band's size, counted by brute force.
	count := make([]int, 5)
	for yy := 0; yy < h; yy++ {
		for xx := 0; xx < w; xx++ {
			d := math.Hypot(float64(yy-h/2), float64(xx-w/2))
			for b := 1; b <= 5; b++ {
				if (d > float64(b-1)*2 && d <= float64(b)*2) || (b == 1 && d == 0) {
					count[b-1]++
				}
			}
		}
	}
	want := make([]float64, 5)
	bandOf := []int{0, 0, 1, 2, 3, 4}
	for i, m := range modes {
		k := 2.0
		if i == 0 {
			k = 1 // DC is one coefficient
		}
		want[bandOf[i]] += k * math.Min(1, m.frac) / float64(count[bandOf[i]])
	}
	ref := fbcReference(f, y)
	for b := range want {
		// Modes absent from both images give |F f| / 1e-8 of rounding
		// size (~1e-15/1e-8): well below 1e-5.
		if math.Abs(got[b]-want[b]) > 1e-5 {
			t.Errorf("band %d: FBC %.8f, closed form %.8f", b+1, got[b], want[b])
		}
		if math.Abs(got[b]-ref[b]) > 1e-5 {
			t.Errorf("band %d: FBC %.8f, literal reference %.8f", b+1, got[b], ref[b])
		}
	}
}

func TestFBCRandomRGBAgainstReference(t *testing.T) {
	// RGB and odd, non-square sizes: grey conversion, odd fftshift and
	// corners beyond W/2 against the literal recipe.
	for _, sz := range [][2]int{{16, 16}, {15, 13}, {12, 18}} {
		w, h := sz[0], sz[1]
		r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
		f, y := imageio.New(w, h, 3), imageio.New(w, h, 3)
		for i := range f.Pix {
			y.Pix[i] = r.Float64()
			f.Pix[i] = y.Pix[i] + 0.3*r.NormFloat64()
		}
		got, err := FBC(f, y)
		if err != nil {
			t.Fatal(err)
		}
		ref := fbcReference(f, y)
		for b := range ref {
			if math.Abs(got[b]-ref[b]) > 1e-12 {
				t.Errorf("%dx%d band %d: %.15f, reference %.15f", w, h, b+1, got[b], ref[b])
			}
		}
	}
}

func TestFBCIdentityIsOne(t *testing.T) {
	y := imageio.Synthetic(32, 32, 3)
	got, err := FBC(y, y)
	if err != nil {
		t.Fatal(err)
	}
	for b, v := range got {
		if math.Abs(v-1) > 1e-6 {
			t.Errorf("band %d: FBC(y, y) = %v, want 1", b+1, v)
		}
	}
}

func TestResidualRatioKnownFilter(t *testing.T) {
	// f_t - y = h * (f_0 - y) with h the circular filter [1/4, 1/2, 1/4]
	// along x and [0.1, 0.8, 0.1] along y: the ratio at every mode is
	// |H(w)| = |0.5 + 0.5 cos(2 pi fx)| * |0.8 + 0.2 cos(2 pi fy)|, and the
	// bin mean is the mean of that closed form over the bin's modes.
	const w, h = 24, 20
	r := rand.New(rand.NewPCG(3, 4))
	y := imageio.New(w, h, 3)
	f0 := imageio.New(w, h, 3)
	for i := range y.Pix {
		y.Pix[i] = r.Float64()
		f0.Pix[i] = r.Float64()
	}
	ft := y.Clone()
	n := w * h
	for c := 0; c < 3; c++ {
		for yy := 0; yy < h; yy++ {
			for xx := 0; xx < w; xx++ {
				s := 0.0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						wy := map[int]float64{-1: 0.1, 0: 0.8, 1: 0.1}[dy]
						wx := map[int]float64{-1: 0.25, 0: 0.5, 1: 0.25}[dx]
						j := c*n + ((yy+dy+h)%h)*w + (xx+dx+w)%w
						s += wy * wx * (f0.Pix[j] - y.Pix[j])
					}
				}
				ft.Pix[c*n+yy*w+xx] += s
			}
		}
	}
	const bins = 6
	m, err := NewMeter(y, bins)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetStart(f0); err != nil {
		t.Fatal(err)
	}
	got, err := m.Ratios(ft)
	if err != nil {
		t.Fatal(err)
	}
	sum := make([]float64, bins)
	cnt := make([]float64, bins)
	for v := 0; v < h; v++ {
		fy := float64(v) / h
		if v >= (h+1)/2 {
			fy = float64(v-h) / h
		}
		for u := 0; u < w; u++ {
			fx := float64(u) / w
			if u >= (w+1)/2 {
				fx = float64(u-w) / w
			}
			rad := math.Hypot(fx, fy)
			if rad > 0.5 {
				continue
			}
			k := min(int(rad/(0.5/bins)), bins-1)
			hv := math.Abs(0.5+0.5*math.Cos(2*math.Pi*fx)) * math.Abs(0.8+0.2*math.Cos(2*math.Pi*fy))
			sum[k] += 3 * hv
			cnt[k] += 3
		}
	}
	for k := range got {
		want := sum[k] / cnt[k]
		if math.Abs(got[k]-want) > 1e-9 {
			t.Errorf("bin %d: ratio %.12f, closed form %.12f", k, got[k], want)
		}
	}
	if c := m.BinCounts(); c[0] == 0 {
		t.Errorf("bin counts %v", c)
	}
}

func TestSSE(t *testing.T) {
	a := imageio.Image{W: 2, H: 1, C: 1, Pix: []float64{1, 2}}
	b := imageio.Image{W: 2, H: 1, C: 1, Pix: []float64{0.5, 4}}
	s, err := SSE(a, b)
	if err != nil || s != 0.25+4 {
		t.Fatalf("SSE = %v, %v; want 4.25", s, err)
	}
	if _, err := SSE(a, imageio.New(3, 1, 1)); err == nil {
		t.Fatal("SSE of different sizes did not fail")
	}
}

func TestSpearmanTextbook(t *testing.T) {
	// Hours of TV against IQ (a standard worked example): rho = -29/165.
	iq := []float64{106, 100, 86, 101, 99, 103, 97, 113, 112, 110}
	tv := []float64{7, 27, 2, 50, 28, 29, 20, 12, 6, 17}
	if got, want := Spearman(iq, tv), -29.0/165; math.Abs(got-want) > 1e-12 {
		t.Errorf("Spearman = %v, want %v", got, want)
	}
	// Ties: x = [1,2,2,3], y = [1,3,2,4]: ranks x = [1,2.5,2.5,4],
	// y = [1,3,2,4]; Pearson of those by hand = 4.5/sqrt(4.5*5).
	if got, want := Spearman([]float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}), 4.5/math.Sqrt(4.5*5); math.Abs(got-want) > 1e-12 {
		t.Errorf("Spearman with ties = %v, want %v", got, want)
	}
	// +Inf ranks last.
	if got := Spearman([]float64{1, 2, math.Inf(1)}, []float64{3, 4, 5}); math.Abs(got-1) > 1e-12 {
		t.Errorf("Spearman with +Inf = %v, want 1", got)
	}
}

func TestHalfFitExponential(t *testing.T) {
	// r(t) = 0.99^t sampled every 10 steps: half at ln 2 / -ln 0.99 exactly
	// (log-linear interpolation is exact for an exponential).
	var it, r []float64
	for s := 0; s <= 200; s += 10 {
		it = append(it, float64(s))
		r = append(r, math.Pow(0.99, float64(s)))
	}
	want := math.Log(2) / -math.Log(0.99)
	if got := HalfFit(it, r, 0.5); math.Abs(got-want) > 1e-9 {
		t.Errorf("HalfFit = %v, want %v", got, want)
	}
	if got := HalfFit(it[:3], r[:3], 0.5); !math.IsInf(got, 1) {
		t.Errorf("HalfFit never reached = %v, want +Inf", got)
	}
}

func TestNewProblem(t *testing.T) {
	x := imageio.Synthetic(16, 16, 3)
	p, err := NewProblem(x, TaskOptions{Task: Denoise, Sigma: 25, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	// Noise on the 0..255 scale: the sample std of y - x is near 25/255.
	s := 0.0
	for i := range x.Pix {
		d := p.Target.Pix[i] - x.Pix[i]
		s += d * d
	}
	std := math.Sqrt(s / float64(len(x.Pix)))
	if math.Abs(std-25.0/255) > 0.1*25/255 {
		t.Errorf("noise std %v, want about %v", std, 25.0/255)
	}
	q, _ := NewProblem(x, TaskOptions{Task: Denoise, Sigma: 25, Seed: 7})
	for i := range q.Target.Pix {
		if q.Target.Pix[i] != p.Target.Pix[i] {
			t.Fatal("same seed gave different noise")
		}
	}
	ip, err := NewProblem(x, TaskOptions{Task: Inpaint, Keep: 0.5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f := ip.Observed(); f < 0.4 || f > 0.6 {
		t.Errorf("observed fraction %v with keep 0.5", f)
	}
	wts := ip.Weights()
	for i, m := range ip.Mask {
		for c := 0; c < 3; c++ {
			j := c*256 + i
			if m != (wts[j] == 1) || (!m && ip.Target.Pix[j] != 0) {
				t.Fatalf("mask/weights/target disagree at pixel %d channel %d", i, c)
			}
		}
	}
	if _, err := NewProblem(x, TaskOptions{Task: Inpaint, Keep: 0}); err == nil {
		t.Error("keep 0 did not fail")
	}
	if _, err := NewProblem(x, TaskOptions{Task: "blur"}); err == nil {
		t.Error("unknown task did not fail")
	}
}
