package gp

import (
	"math"
	"testing"
)

// spectralDensity1D returns the 1-D spectral density S(xi) (xi in cycles
// per pixel) of the families, with k(r) = int S(xi) exp(2 pi i xi r) dxi.
func spectralDensity1D(f Family, l, xi float64) float64 {
	w := 2 * math.Pi * xi
	switch f {
	case RBF:
		return math.Sqrt(2*math.Pi) * l * math.Exp(-w*w*l*l/2)
	case Matern32:
		a := math.Sqrt(3) / l
		d := a*a + w*w
		return 4 * a * a * a / (d * d)
	default:
		a := math.Sqrt(5) / l
		d := a*a + w*w
		return 16.0 / 3 * math.Pow(a, 5) / (d * d * d)
	}
}

// TestFamilyMap1DPoisson checks the periodized 1-D kernels against
// Poisson summation of their spectral densities: the DFT of the
// periodized kernel is sum_m S(w/N + m).
func TestFamilyMap1DPoisson(t *testing.T) {
	const n = 16
	for _, f := range []Family{RBF, Matern32, Matern52} {
		for _, l := range []float64{0.4, 1.5, 6, 20} {
			m, err := f.Map([]int{n}, l)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Spectrum(m, false)
			if err != nil {
				t.Fatal(err)
			}
			for w := 0; w < n; w++ {
				var want float64
				for k := -20000; k <= 20000; k++ {
					want += spectralDensity1D(f, l, float64(w)/n+float64(k))
				}
				if math.Abs(s.Power[w]-want) > 1e-9*math.Max(1, want) {
					t.Fatalf("%s l=%g: eigenvalue at %d is %.12g, Poisson sum %.12g", f, l, w, s.Power[w], want)
				}
			}
		}
	}
}

// TestFamilyMap2D checks the 2-D maps against a brute-force sum over
// periodic images.
func TestFamilyMap2D(t *testing.T) {
	size := []int{6, 9}
	for _, f := range []Family{RBF, Matern32, Matern52} {
		for _, l := range []float64{0.7, 3} {
			m, err := f.Map(size, l)
			if err != nil {
				t.Fatal(err)
			}
			for dy := 0; dy < 6; dy++ {
				for dx := 0; dx < 9; dx++ {
					var want float64
					for ny := -30; ny <= 30; ny++ {
						for nx := -30; nx <= 30; nx++ {
							r := math.Hypot(float64(dy+6*ny), float64(dx+9*nx))
							var v float64
							switch f {
							case RBF:
								v = math.Exp(-r * r / (2 * l * l))
							case Matern32:
								v = (1 + math.Sqrt(3)*r/l) * math.Exp(-math.Sqrt(3)*r/l)
							default:
								a := math.Sqrt(5) * r / l
								v = (1 + a + a*a/3) * math.Exp(-a)
							}
							want += v
						}
					}
					if got := m.Data[dy*9+dx]; math.Abs(got-want) > 1e-12*want {
						t.Fatalf("%s l=%g offset (%d,%d): %.15g vs %.15g", f, l, dy, dx, got, want)
					}
				}
			}
		}
	}
	if _, err := RBF.Map(size, 0); err == nil {
		t.Fatal("zero length accepted")
	}
	if _, err := ParseFamily("cubic"); err == nil {
		t.Fatal("unknown family accepted")
	}
	for _, s := range []string{"rbf", "matern32", "matern52", "matern"} {
		if _, err := ParseFamily(s); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBaselineFit: data from an RBF with length 2 give a fitted length
// near 2 that maximizes the profile likelihood.
func TestBaselineFit(t *testing.T) {
	size := []int{24, 24}
	m, _ := RBF.Map(size, 2)
	p, _ := NewPrior(m, PriorOptions{})
	ys := [][]float64{gpData(p, 1, 0.04, 0.02, 0.5), gpData(p, 2, 0.04, 0.02, 0.5)}
	res, err := DenoiseBaseline(RBF, size, ys, 0, DenoiseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Hyper
	if math.Abs(h.Length-2) > 0.3 || len(h.AtEdge) > 0 {
		t.Fatalf("fitted %+v, want length about 2", h)
	}
	for _, f := range []float64{0.95, 1.05} {
		r2, err := DenoiseBaseline(RBF, size, ys, h.Length*f, DenoiseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r2.Hyper.LogML > h.LogML+1e-9 {
			t.Fatalf("length x%g has a higher likelihood: %g > %g", f, r2.Hyper.LogML, h.LogML)
		}
	}
	// Inpainting with a fitted Matern length runs and restores the
	// observed points closely.
	mask, _ := randomMask(24*24, 0.5, 3)
	ri, err := InpaintBaseline(Matern52, size, ys[:1], mask, 0, InpaintOptions{FitWindow: 12, FitWindows: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ri.Hyper.Length <= 0 || ri.Residual[0] > 1e-6 {
		t.Fatalf("inpaint baseline: %+v, residual %v", ri.Hyper, ri.Residual)
	}
	var mse, base float64
	for i, b := range mask {
		if !b {
			d := ri.Mean[0][i] - ys[0][i]
			mse += d * d
			e := ys[0][i] - ri.Hyper.Mean[0]
			base += e * e
		}
	}
	if mse > 0.5*base {
		t.Fatalf("inpainting error %g is not well below the constant predictor's %g", mse, base)
	}
}
