package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randomMask(n int, keep float64, seed uint64) ([]bool, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	mask := make([]bool, n)
	var obs []int
	for i := range mask {
		if rng.Float64() < keep {
			mask[i] = true
			obs = append(obs, i)
		}
	}
	return mask, obs
}

// TestInpaintMatchesDense compares the conjugate-gradient posterior mean
// and exact point variances with dense Cholesky kriging.
func TestInpaintMatchesDense(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			p, err := NewPrior(m, PriorOptions{Approx: Exact})
			if err != nil {
				t.Fatal(err)
			}
			n := p.Points()
			mask, obs := randomMask(n, 0.6, 1)
			y1 := gpData(p, 8, 2, 0.1, 0.5)
			y2 := gpData(p, 9, 2, 0.1, 0.3)
			var pts []int // every third point, observed or not
			for i := 0; i < n; i += 3 {
				pts = append(pts, i)
			}
			o := InpaintOptions{Scale: 2, Noise: 0.1, Tol: 1e-12, VarPoints: pts}
			res, err := p.Inpaint([][]float64{y1, y2}, mask, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Residual {
				if r > 1e-11 {
					t.Fatalf("residual %g", r)
				}
			}
			for ch, y := range [][]float64{y1, y2} {
				want, _, wantVar := denseGP(t, tc.cov, y, obs, 2, 0.01, ch == 0)
				for i := range want {
					if math.Abs(res.Mean[ch][i]-want[i]) > 1e-8*(1+maxAbs(want)) {
						t.Fatalf("channel %d point %d: %g vs dense %g", ch, i, res.Mean[ch][i], want[i])
					}
				}
				if ch == 0 {
					for k, i := range pts {
						if math.Abs(res.PointVar[k]-wantVar[i]) > 1e-8*maxAbs(wantVar) {
							t.Fatalf("variance at %d: %g vs dense %g", i, res.PointVar[k], wantVar[i])
						}
					}
				}
			}
		})
	}
}

// TestInpaintFullMaskIsDenoise: with every point observed inpainting is
// denoising.
func TestInpaintFullMaskIsDenoise(t *testing.T) {
	tc := testCases()[4]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{Approx: Exact})
	y := gpData(p, 1, 1, 0.2, 0.4)
	mask := make([]bool, p.Points())
	for i := range mask {
		mask[i] = true
	}
	a, err := p.Inpaint([][]float64{y}, mask, InpaintOptions{Scale: 1, Noise: 0.2, Tol: 1e-13})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Denoise([][]float64{y}, DenoiseOptions{Scale: 1, Noise: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range y {
		if math.Abs(a.Mean[0][i]-b.Mean[0][i]) > 1e-9 {
			t.Fatalf("point %d: inpaint %g, denoise %g", i, a.Mean[0][i], b.Mean[0][i])
		}
	}
}

// TestInpaintVarianceSamples checks the Monte Carlo variance map against
// the dense posterior variance within its standard error.
func TestInpaintVarianceSamples(t *testing.T) {
	tc := testCases()[2]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{Approx: Exact})
	mask, obs := randomMask(p.Points(), 0.5, 2)
	y := gpData(p, 2, 1, 0.1, 0)
	const ns = 1000
	res, err := p.Inpaint([][]float64{y}, mask, InpaintOptions{Scale: 1, Noise: 0.1, Tol: 1e-10, VarSamples: ns, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, _, want := denseGP(t, tc.cov, y, obs, 1, 0.01, true)
	maxZ := 0.0
	for i, v := range want {
		z := (res.Var[i] - v) / (v * math.Sqrt(2.0/ns))
		maxZ = math.Max(maxZ, math.Abs(z))
	}
	if maxZ > 5 {
		t.Fatalf("Monte Carlo variance off by %.1f standard errors", maxZ)
	}
}

// TestInpaintFit checks the windowed likelihood against dense REML on the
// same windows and that the fitted values maximize it.
func TestInpaintFit(t *testing.T) {
	tc := testCases()[7] // 16 x 16, period 4
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{Approx: Exact})
	mask, _ := randomMask(p.Points(), 0.7, 4)
	ys := [][]float64{gpData(p, 11, 2, 0.3, 0.5), gpData(p, 12, 2, 0.3, 0.1)}
	const side, count = 8, 4
	wins := windows(tc.size, side, count)
	if len(wins) != 4 {
		t.Fatalf("%d windows", len(wins))
	}
	dense := func(s2, sig2 float64) float64 {
		var s float64
		for _, w := range wins {
			var obs []int
			for _, i := range w {
				if mask[i] {
					obs = append(obs, i)
				}
			}
			for _, y := range ys {
				// Dense REML of the window's observed points alone.
				sub := make([]float64, len(obs)*len(obs))
				yo := make([]float64, len(obs))
				for a, i := range obs {
					yo[a] = y[i]
					for b, j := range obs {
						sub[a*len(obs)+b] = tc.cov[i*p.Points()+j]
					}
				}
				_, ll, _ := denseGP(t, sub, yo, nil, s2, sig2, false)
				s += ll
			}
		}
		return s
	}
	r, _, err := windowReml(m, ys, mask, side, count)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.logLik(1.3, 0.2), dense(1.3, 0.2); math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Fatalf("window likelihood %g, dense %g", got, want)
	}
	res, err := p.Inpaint(ys, mask, InpaintOptions{FitWindow: side, FitWindows: count})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Hyper
	best := dense(h.Scale, h.Noise*h.Noise)
	for _, f := range []float64{0.97, 1.03} {
		if dense(h.Scale*f, h.Noise*h.Noise) > best || dense(h.Scale, h.Noise*h.Noise*f) > best {
			t.Fatalf("fitted %+v is not a maximum", h)
		}
	}
}

func TestInpaintErrors(t *testing.T) {
	tc := testCases()[1]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{})
	y := [][]float64{make([]float64, p.Points())}
	if _, err := p.Inpaint(y, make([]bool, 3), InpaintOptions{}); err == nil {
		t.Fatal("short mask accepted")
	}
	if _, err := p.Inpaint(y, make([]bool, p.Points()), InpaintOptions{}); err == nil {
		t.Fatal("empty mask accepted")
	}
	mask, _ := randomMask(p.Points(), 0.5, 1)
	if _, err := p.Inpaint(y, mask, InpaintOptions{VarPoints: []int{-1}}); err == nil {
		t.Fatal("bad variance point accepted")
	}
}

// TestInpaintSmallNoise: with nearly noise-free observations (the usual
// case for inpainting) the solution still matches dense kriging, for every
// preconditioner.
func TestInpaintSmallNoise(t *testing.T) {
	tc := testCases()[7]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{Approx: Exact})
	mask, obs := randomMask(p.Points(), 0.5, 1)
	y := gpData(p, 8, 2, 0, 0.5)
	for _, noise := range []float64{1e-2, 1e-4} {
		want, _, _ := denseGP(t, tc.cov, y, obs, 2, noise*noise, false)
		for _, pre := range []string{Jacobi, Circulant, NoPrecond} {
			res, err := p.Inpaint([][]float64{y}, mask, InpaintOptions{Scale: 2, Noise: noise, Tol: 1e-9, Precond: pre})
			if err != nil {
				t.Fatal(err)
			}
			var e float64
			for i := range want {
				e = math.Max(e, math.Abs(want[i]-res.Mean[0][i]))
			}
			if e > 1e-6 {
				t.Fatalf("noise %g, %s: max error %g vs dense (iterations %v, residual %v)", noise, pre, e, res.Iterations, res.Residual)
			}
		}
	}
	if _, err := p.Inpaint([][]float64{y}, mask, InpaintOptions{Scale: 1, Noise: 1, Precond: "ilu"}); err == nil {
		t.Fatal("unknown preconditioner accepted")
	}
}
