package fft2

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sync"
	"testing"
)

// naiveDFT computes the 2-D (or 1-D when h == 1) DFT by direct summation.
func naiveDFT(x []complex128, h, w int, sign float64) []complex128 {
	out := make([]complex128, h*w)
	for ky := 0; ky < h; ky++ {
		for kx := 0; kx < w; kx++ {
			var s complex128
			for y := 0; y < h; y++ {
				for xx := 0; xx < w; xx++ {
					ph := sign * 2 * math.Pi * (float64(ky*y)/float64(h) + float64(kx*xx)/float64(w))
					s += x[y*w+xx] * cmplx.Exp(complex(0, ph))
				}
			}
			out[ky*w+kx] = s
		}
	}
	return out
}

func randComplex(r *rand.Rand, n int) []complex128 {
	x := make([]complex128, n)
	for i := range x {
		x[i] = complex(r.NormFloat64(), r.NormFloat64())
	}
	return x
}

func randReal(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

var shapes = [][]int{{1}, {2}, {7}, {12}, {17}, {1, 1}, {1, 5}, {3, 1}, {4, 4}, {5, 6}, {9, 16}, {7, 11}, {13, 8}}

func dims(s []int) (int, int) {
	if len(s) == 1 {
		return 1, s[0]
	}
	return s[0], s[1]
}

func maxAbsDiff(a, b []complex128) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, cmplx.Abs(a[i]-b[i]))
	}
	return m
}

func TestForwardInverseVsNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		h, w := dims(s)
		p := NewPlan(s)
		x := randComplex(r, h*w)
		want := naiveDFT(x, h, w, -1)
		got := make([]complex128, len(x))
		p.Forward(got, x)
		tol := 1e-10 * float64(h*w)
		if d := maxAbsDiff(got, want); d > tol {
			t.Errorf("shape %v forward: max diff %g", s, d)
		}
		// Inverse against naive (with 1/N).
		wantInv := naiveDFT(x, h, w, +1)
		for i := range wantInv {
			wantInv[i] /= complex(float64(h*w), 0)
		}
		p.Inverse(got, x)
		if d := maxAbsDiff(got, wantInv); d > tol {
			t.Errorf("shape %v inverse: max diff %g", s, d)
		}
		// In place round trip.
		y := append([]complex128(nil), x...)
		p.Forward(y, y)
		p.Inverse(y, y)
		if d := maxAbsDiff(y, x); d > tol {
			t.Errorf("shape %v round trip: max diff %g", s, d)
		}
	}
}

func TestRealHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range shapes {
		h, w := dims(s)
		p := NewPlan(s)
		x := randReal(r, h*w)
		xc := make([]complex128, len(x))
		for i, v := range x {
			xc[i] = complex(v, 0)
		}
		X := p.ForwardReal(x)
		if d := maxAbsDiff(X, naiveDFT(xc, h, w, -1)); d > 1e-10*float64(h*w) {
			t.Errorf("shape %v ForwardReal diff %g", s, d)
		}
		back := p.InverseReal(X)
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12*float64(h*w) {
				t.Fatalf("shape %v InverseReal[%d] = %v want %v", s, i, back[i], x[i])
			}
		}
	}
}

func TestInverseRealNonHermitian(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range shapes {
		h, w := dims(s)
		p := NewPlan(s)
		X := randComplex(r, h*w)
		want := naiveDFT(X, h, w, +1)
		got := p.InverseReal(X)
		for i := range got {
			if d := math.Abs(got[i] - real(want[i])/float64(h*w)); d > 1e-12*float64(h*w) {
				t.Fatalf("shape %v: InverseReal[%d] off by %g", s, i, d)
			}
		}
	}
}

// naiveIRFFT2 implements numpy.fft.irfft2 semantics by direct summation:
// complex inverse DFT along y, then the real inverse along x that uses only
// the real parts of the kx = 0 and kx = W/2 coefficients.
func naiveIRFFT2(half []complex128, h, w int) []float64 {
	wh := w/2 + 1
	g := make([]complex128, h*wh)
	for y := 0; y < h; y++ {
		for kx := 0; kx < wh; kx++ {
			var s complex128
			for ky := 0; ky < h; ky++ {
				s += half[ky*wh+kx] * cmplx.Exp(complex(0, 2*math.Pi*float64(ky*y)/float64(h)))
			}
			g[y*wh+kx] = s / complex(float64(h), 0)
		}
	}
	out := make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s := real(g[y*wh])
			for k := 1; k < wh; k++ {
				e := cmplx.Exp(complex(0, 2*math.Pi*float64(k*x)/float64(w)))
				if 2*k == w {
					s += real(g[y*wh+k]) * real(e)
				} else {
					s += 2 * real(g[y*wh+k]*e)
				}
			}
			out[y*w+x] = s / float64(w)
		}
	}
	return out
}

func TestRealForwardInverse(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range shapes {
		h, w := dims(s)
		wh := w/2 + 1
		p := NewPlan(s)
		if p.HalfLen() != h*wh {
			t.Fatalf("HalfLen %d", p.HalfLen())
		}
		hs := p.HalfShape()
		if hs[len(hs)-1] != wh || len(hs) != len(s) {
			t.Fatalf("HalfShape %v", hs)
		}
		x := randReal(r, h*w)
		xc := make([]complex128, len(x))
		for i, v := range x {
			xc[i] = complex(v, 0)
		}
		full := naiveDFT(xc, h, w, -1)
		half := make([]complex128, h*wh)
		p.RealForward(half, x)
		for ky := 0; ky < h; ky++ {
			for kx := 0; kx < wh; kx++ {
				if d := cmplx.Abs(half[ky*wh+kx] - full[ky*w+kx]); d > 1e-10*float64(h*w) {
					t.Errorf("shape %v RealForward(%d,%d) off by %g", s, ky, kx, d)
				}
			}
		}
		back := make([]float64, h*w)
		saved := append([]complex128(nil), half...)
		p.RealInverse(back, half)
		for i := range half {
			if half[i] != saved[i] {
				t.Fatal("RealInverse modified its input")
			}
		}
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12*float64(h*w) {
				t.Fatalf("shape %v RealInverse round trip [%d] %v want %v", s, i, back[i], x[i])
			}
		}
		// Arbitrary (non-Hermitian) half spectrum: numpy irfft2 semantics.
		arb := randComplex(r, h*wh)
		p.RealInverse(back, arb)
		want := naiveIRFFT2(arb, h, w)
		for i := range want {
			if math.Abs(back[i]-want[i]) > 1e-12*float64(h*w) {
				t.Fatalf("shape %v RealInverse(arbitrary)[%d] = %v want %v", s, i, back[i], want[i])
			}
		}
	}
}

func TestAutocorrConvolveBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	mod := func(a, n int) int { return ((a % n) + n) % n }
	for _, s := range shapes {
		h, w := dims(s)
		p := NewPlan(s)
		a := randReal(r, h*w)
		b := randReal(r, h*w)
		ac := p.Autocorr(a)
		cv := p.Convolve(a, b)
		for dy := 0; dy < h; dy++ {
			for dx := 0; dx < w; dx++ {
				var sa, sc float64
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						sa += a[y*w+x] * a[mod(y+dy, h)*w+mod(x+dx, w)]
						sc += a[y*w+x] * b[mod(dy-y, h)*w+mod(dx-x, w)]
					}
				}
				if math.Abs(ac[dy*w+dx]-sa) > 1e-10*float64(h*w) {
					t.Errorf("shape %v autocorr(%d,%d) = %v want %v", s, dy, dx, ac[dy*w+dx], sa)
				}
				if math.Abs(cv[dy*w+dx]-sc) > 1e-10*float64(h*w) {
					t.Errorf("shape %v convolve(%d,%d) = %v want %v", s, dy, dx, cv[dy*w+dx], sc)
				}
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	s := []int{24, 30}
	p := NewPlan(s)
	r := rand.New(rand.NewPCG(7, 8))
	inputs := make([][]complex128, 16)
	wants := make([][]complex128, 16)
	for i := range inputs {
		inputs[i] = randComplex(r, 24*30)
		wants[i] = make([]complex128, 24*30)
		NewPlan(s).Forward(wants[i], inputs[i])
	}
	var wg sync.WaitGroup
	errs := make([]float64, len(inputs))
	for i := range inputs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got := make([]complex128, 24*30)
			for rep := 0; rep < 20; rep++ {
				p.Forward(got, inputs[i])
				errs[i] = math.Max(errs[i], maxAbsDiff(got, wants[i]))
			}
		}(i)
	}
	wg.Wait()
	for i, e := range errs {
		if e != 0 {
			t.Errorf("goroutine %d: results differ from serial by %g", i, e)
		}
	}
	q := p.Clone()
	got := make([]complex128, 24*30)
	q.Forward(got, inputs[0])
	if maxAbsDiff(got, wants[0]) != 0 {
		t.Error("Clone gives different result")
	}
	if q.Len() != 720 || q.Shape()[1] != 30 {
		t.Error("Clone shape")
	}
}

func TestFreq(t *testing.T) {
	// numpy.fft.fftfreq(n)*n, written out by hand.
	want := map[int][]int{
		1: {0},
		2: {0, -1},
		4: {0, 1, -2, -1},
		5: {0, 1, 2, -2, -1},
		6: {0, 1, 2, -3, -2, -1},
	}
	for n, w := range want {
		for i := range w {
			if got := Freq(i, n); got != w[i] {
				t.Errorf("Freq(%d,%d) = %d want %d", i, n, got, w[i])
			}
		}
	}
}

func TestRadius(t *testing.T) {
	// 4x4 grid: fx, fy in {0, .25, -.5, -.25}.
	r := Radius([]int{4, 4})
	f := []float64{0, 0.25, -0.5, -0.25}
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			want := math.Hypot(f[y], f[x])
			if math.Abs(r[y*4+x]-want) > 1e-15 {
				t.Errorf("Radius(%d,%d) = %v want %v", y, x, r[y*4+x], want)
			}
		}
	}
	// Non-square: 2x3, fy in {0,-.5}, fx in {0,1/3,-1/3}.
	r = Radius([]int{2, 3})
	want := []float64{0, 1.0 / 3, 1.0 / 3, 0.5, math.Hypot(0.5, 1.0/3), math.Hypot(0.5, 1.0/3)}
	for i := range want {
		if math.Abs(r[i]-want[i]) > 1e-15 {
			t.Errorf("2x3 Radius[%d] = %v want %v", i, r[i], want[i])
		}
	}
	r = Radius([]int{5})
	want = []float64{0, 0.2, 0.4, 0.4, 0.2}
	for i := range want {
		if math.Abs(r[i]-want[i]) > 1e-15 {
			t.Errorf("1-D Radius[%d] = %v want %v", i, r[i], want[i])
		}
	}
}

func TestRadialAverage(t *testing.T) {
	// 4x4 grid, 2 bins of width 0.25. With fy, fx in {0, .25, -.5, -.25}
	// (index order), the radii <= 0.5 are, by hand:
	//   r = 0    : (0,0)                      -> bin 0
	//   r = .25  : (0,1) (0,3) (1,0) (3,0)    -> bin 1
	//   r = .354 : (1,1) (1,3) (3,1) (3,3)    -> bin 1
	//   r = .5   : (0,2) (2,0)                -> bin 1 (closed at 0.5)
	// everything else has r > 0.5 and is dropped.
	vals := make([]float64, 16)
	for i := range vals {
		vals[i] = float64(i)
	}
	c, m, n := RadialAverage(vals, []int{4, 4}, 2)
	if c[0] != 0.125 || c[1] != 0.375 {
		t.Errorf("centers %v", c)
	}
	if n[0] != 1 || n[1] != 10 {
		t.Fatalf("counts %v want [1 10]", n)
	}
	wantMean := float64(1+3+4+12+5+7+13+15+2+8) / 10
	if m[0] != 0 || math.Abs(m[1]-wantMean) > 1e-14 {
		t.Errorf("means %v want [0 %v]", m, wantMean)
	}

	// Empty bins give NaN with count 0: 1-D N=4 has radii {0,.25,.5,.25}.
	_, m, n = RadialAverage([]float64{1, 2, 3, 4}, []int{4}, 4)
	// bins width .125: r=0 -> 0, r=.25 -> 2, r=.5 -> 3 (closed).
	if n[0] != 1 || n[1] != 0 || n[2] != 2 || n[3] != 1 {
		t.Errorf("1-D counts %v", n)
	}
	if !math.IsNaN(m[1]) || m[2] != 3 || m[3] != 3 {
		t.Errorf("1-D means %v", m)
	}

	// Larger grid: values equal to radius => each bin mean lies inside its
	// bin, and the total count equals the number of radii <= 0.5.
	s := []int{32, 48}
	r := Radius(s)
	c, m, n = RadialAverage(r, s, 16)
	total, inside := 0, 0
	for _, v := range r {
		if v <= 0.5 {
			inside++
		}
	}
	for k := range c {
		total += n[k]
		lo, hi := c[k]-1.0/64, c[k]+1.0/64
		if n[k] == 0 || m[k] < lo || m[k] > hi {
			t.Errorf("bin %d: mean %v count %d not in [%v,%v]", k, m[k], n[k], lo, hi)
		}
	}
	if total != inside {
		t.Errorf("counted %d, want %d", total, inside)
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"3-D shape":  func() { NewPlan([]int{2, 2, 2}) },
		"zero dim":   func() { NewPlan([]int{0, 3}) },
		"bad length": func() { NewPlan([]int{4}).Forward(make([]complex128, 4), make([]complex128, 3)) },
		"Freq range": func() { Freq(5, 5) },
		"nbins":      func() { RadialAverage(make([]float64, 4), []int{4}, 0) },
		"values len": func() { RadialAverage(make([]float64, 3), []int{4}, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func BenchmarkForward512(b *testing.B) {
	p := NewPlan([]int{512, 512})
	r := rand.New(rand.NewPCG(1, 1))
	x := randComplex(r, 512*512)
	y := make([]complex128, len(x))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Forward(y, x)
	}
}

func BenchmarkRealForward512(b *testing.B) {
	p := NewPlan([]int{512, 512})
	r := rand.New(rand.NewPCG(1, 1))
	x := randReal(r, 512*512)
	dst := make([]complex128, p.HalfLen())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.RealForward(dst, x)
	}
}

func BenchmarkAutocorr512(b *testing.B) {
	p := NewPlan([]int{512, 512})
	r := rand.New(rand.NewPCG(1, 1))
	x := randReal(r, 512*512)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Autocorr(x)
	}
}

func BenchmarkForwardReal512(b *testing.B) {
	p := NewPlan([]int{512, 512})
	r := rand.New(rand.NewPCG(1, 1))
	x := randReal(r, 512*512)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.ForwardReal(x)
	}
}

func TestShift(t *testing.T) {
	// numpy.fft.fftshift results, written out by hand.
	eq := func(a, b []int) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return len(a) == len(b)
	}
	if got := Shift([]int{0, 1, 2, 3, 4}, []int{5}); !eq(got, []int{3, 4, 0, 1, 2}) {
		t.Errorf("odd 1-D: %v", got)
	}
	if got := Shift([]int{0, 1, 2, 3}, []int{4}); !eq(got, []int{2, 3, 0, 1}) {
		t.Errorf("even 1-D: %v", got)
	}
	// 2x3: fftshift(arange(6).reshape(2,3)) = [[5,3,4],[2,0,1]] (checked with NumPy).
	if got := Shift([]int{0, 1, 2, 3, 4, 5}, []int{2, 3}); !eq(got, []int{5, 3, 4, 2, 0, 1}) {
		t.Errorf("2x3: %v", got)
	}
	// Unshift inverts Shift for odd and even sizes, and the centre holds
	// the zero frequency.
	for _, s := range [][]int{{5}, {4}, {3, 4}, {5, 7}} {
		h, w := dims(s)
		d := make([]float64, h*w)
		for i := range d {
			d[i] = float64(i)
		}
		sh := Shift(d, s)
		if sh[(h/2)*w+w/2] != 0 {
			t.Errorf("shape %v: centre holds %v, want the zero-frequency element", s, sh[(h/2)*w+w/2])
		}
		back := Unshift(sh, s)
		for i := range d {
			if back[i] != d[i] {
				t.Fatalf("shape %v: Unshift(Shift) differs at %d", s, i)
			}
		}
	}
}
