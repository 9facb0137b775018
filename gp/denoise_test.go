package gp

import (
	"math"
	"testing"
)

// TestDenoiseMatchesDense compares the modal posterior mean and restricted
// likelihood with dense Cholesky on every test map.
func TestDenoiseMatchesDense(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			p, err := NewPrior(m, PriorOptions{Approx: Exact})
			if err != nil {
				t.Fatal(err)
			}
			y1 := gpData(p, 3, 2, 0.3, 0.5)
			y2 := gpData(p, 4, 2, 0.3, -1)
			res, err := p.Denoise([][]float64{y1, y2}, DenoiseOptions{Scale: 1.7, Noise: 0.4})
			if err != nil {
				t.Fatal(err)
			}
			var llSum float64
			for ch, y := range [][]float64{y1, y2} {
				want, ll, _ := denseGP(t, tc.cov, y, nil, 1.7, 0.16, false)
				llSum += ll
				for i := range want {
					if math.Abs(res.Mean[ch][i]-want[i]) > 1e-9*(1+maxAbs(want)) {
						t.Fatalf("channel %d point %d: %g vs dense %g", ch, i, res.Mean[ch][i], want[i])
					}
				}
			}
			if math.Abs(res.Hyper.LogML-llSum) > 1e-8*(1+math.Abs(llSum)) {
				t.Fatalf("log ML %.12g vs dense %.12g", res.Hyper.LogML, llSum)
			}
		})
	}
}

// TestDenoiseFit checks that fitted hyperparameters maximize the dense
// restricted likelihood: perturbing either one lowers it.
func TestDenoiseFit(t *testing.T) {
	for _, idx := range []int{0, 2, 7} {
		tc := testCases()[idx]
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			p, err := NewPrior(m, PriorOptions{Approx: Exact})
			if err != nil {
				t.Fatal(err)
			}
			ys := [][]float64{gpData(p, 5, 3, 0.5, 0.2), gpData(p, 6, 3, 0.5, 0.1)}
			dense := func(s2, sig2 float64) float64 {
				var s float64
				for _, y := range ys {
					_, ll, _ := denseGP(t, tc.cov, y, nil, s2, sig2, false)
					s += ll
				}
				return s
			}
			for _, o := range []DenoiseOptions{{}, {Noise: 0.5}, {Scale: 3}} {
				res, err := p.Denoise(ys, o)
				if err != nil {
					t.Fatal(err)
				}
				h := res.Hyper
				if len(h.AtEdge) > 0 {
					t.Fatalf("fit on the edge: %+v", h)
				}
				if o.Noise > 0 && h.Noise != o.Noise || o.Scale > 0 && h.Scale != o.Scale {
					t.Fatal("given hyperparameter changed")
				}
				best := dense(h.Scale, h.Noise*h.Noise)
				if math.Abs(best-h.LogML) > 1e-8*(1+math.Abs(best)) {
					t.Fatalf("reported log ML %g, dense %g", h.LogML, best)
				}
				for _, f := range []float64{0.97, 1.03} {
					if o.Scale == 0 && dense(h.Scale*f, h.Noise*h.Noise) > best {
						t.Fatalf("scale %g is not a maximum (x%g is better)", h.Scale, f)
					}
					if o.Noise == 0 && dense(h.Scale, h.Noise*h.Noise*f) > best {
						t.Fatalf("noise %g is not a maximum (x%g is better)", h.Noise, f)
					}
				}
			}
		})
	}
}

func TestDenoiseErrors(t *testing.T) {
	tc := testCases()[1]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{})
	if _, err := p.Denoise([][]float64{make([]float64, 3)}, DenoiseOptions{}); err == nil {
		t.Fatal("wrong length accepted")
	}
	y := make([]float64, p.Points())
	y[2] = math.NaN()
	if _, err := p.Denoise([][]float64{y}, DenoiseOptions{}); err == nil {
		t.Fatal("NaN accepted")
	}
	if _, err := p.Denoise([][]float64{make([]float64, p.Points())}, DenoiseOptions{Noise: -1}); err == nil {
		t.Fatal("negative noise accepted")
	}
	if _, err := p.Denoise(nil, DenoiseOptions{}); err == nil {
		t.Fatal("no channels accepted")
	}
}

// TestDenoiseMinNoise: noise-free data drive the fitted noise to the floor,
// where the scale is still the likelihood's maximizer.
func TestDenoiseMinNoise(t *testing.T) {
	tc := testCases()[0]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{})
	y := gpData(p, 3, 1, 0, 0.5)
	res, err := p.Denoise([][]float64{y}, DenoiseOptions{MinNoise: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Hyper
	if h.Noise != 0.05 || len(h.AtEdge) != 1 {
		t.Fatalf("noise %g, at edge %v; want the floor 0.05", h.Noise, h.AtEdge)
	}
	dense := func(s2 float64) float64 {
		_, ll, _ := denseGP(t, tc.cov, y, nil, s2, 0.0025, false)
		return ll
	}
	best := dense(h.Scale)
	if dense(h.Scale*0.97) > best || dense(h.Scale*1.03) > best {
		t.Fatal("scale is not the maximizer at the noise floor")
	}
}
