package gp

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// naiveDFT is the unnormalized forward DFT by the definition.
func naiveDFT(x []float64, size []int) []complex128 {
	h, w := 1, size[0]
	if len(size) == 2 {
		h, w = size[0], size[1]
	}
	out := make([]complex128, h*w)
	for ky := 0; ky < h; ky++ {
		for kx := 0; kx < w; kx++ {
			var s complex128
			for y := 0; y < h; y++ {
				for xx := 0; xx < w; xx++ {
					ph := -2 * math.Pi * (float64(ky*y)/float64(h) + float64(kx*xx)/float64(w))
					s += complex(x[y*w+xx], 0) * cmplx.Exp(complex(0, ph))
				}
			}
			out[ky*w+kx] = s
		}
	}
	return out
}

// TestPredictMatchesGradientDescent runs gradient descent with the dense
// kernel and compares PSNR, FBC bands, residual ratios and the expected
// PSNR with Predict.
func TestPredictMatchesGradientDescent(t *testing.T) {
	for _, idx := range []int{0, 2, 5} {
		tc := testCases()[idx]
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			p, err := NewPrior(m, PriorOptions{Approx: Exact})
			if err != nil {
				t.Fatal(err)
			}
			n := p.Points()
			nch := 3
			if len(tc.size) == 1 {
				nch = 1
			}
			rng := rand.New(rand.NewPCG(uint64(idx), 1))
			const sigma = 0.1
			clean := make([][]float64, nch)
			y := make([][]float64, nch)
			f0 := make([][]float64, nch)
			for c := range clean {
				clean[c] = make([]float64, n)
				y[c] = make([]float64, n)
				f0[c] = make([]float64, n)
				for i := range clean[c] {
					clean[c][i] = 0.5 + 0.3*math.Sin(0.7*float64(i)+float64(c))
					y[c][i] = clean[c][i] + sigma*rng.NormFloat64()
					f0[c][i] = 0.05 * rng.NormFloat64()
				}
			}
			lmax := denseEig(t, tc.cov)[0]
			eta := 1.2 / lmax
			const T = 25
			pr, err := p.Predict(y, PredictOptions{LR: eta, Iters: T, F0: f0, Clean: clean, Noise: sigma})
			if err != nil {
				t.Fatal(err)
			}
			if len(pr.Iters) != T+1 || math.Abs(pr.LambdaMax-lmax) > 1e-9*lmax {
				t.Fatalf("iters %d, lambda max %g vs %g", len(pr.Iters), pr.LambdaMax, lmax)
			}
			// Dense S = I - eta K and its powers.
			k := mat.NewDense(n, n, tc.cov)
			s := mat.NewDense(n, n, nil)
			s.Scale(-eta, k)
			for i := 0; i < n; i++ {
				s.Set(i, i, s.At(i, i)+1)
			}
			st := mat.NewDense(n, n, nil)
			for i := 0; i < n; i++ {
				st.Set(i, i, 1)
			}
			f := make([][]float64, nch)
			for c := range f {
				f[c] = append([]float64(nil), f0[c]...)
			}
			gy := gray(y)
			fy := naiveDFT(gy, tc.size)
			r0 := make([]float64, n)
			g0 := gray(f0)
			for i := range r0 {
				r0[i] = g0[i] - gy[i]
			}
			fr0 := naiveDFT(r0, tc.size)
			band := p.bandOf()
			for it := 0; it <= T; it++ {
				// Realized PSNR.
				var se float64
				for c := range f {
					for i := range f[c] {
						d := f[c][i] - clean[c][i]
						se += d * d
					}
				}
				want := 10 * math.Log10(float64(n*nch)/se)
				if math.Abs(pr.PSNRRealized[it]-want) > 1e-8 {
					t.Fatalf("t=%d realized PSNR %g vs gradient descent %g", it, pr.PSNRRealized[it], want)
				}
				// Expected PSNR from dense S^t.
				var ee float64
				for c := range f {
					d := make([]float64, n)
					for i := range d {
						d[i] = clean[c][i] - f0[c][i]
					}
					var v mat.VecDense
					v.MulVec(st, mat.NewVecDense(n, d))
					ee += mat.Dot(&v, &v)
				}
				for i := 0; i < n; i++ {
					for j := 0; j < n; j++ {
						u := -st.At(i, j)
						if i == j {
							u += 1
						}
						ee += float64(nch) * sigma * sigma * u * u
					}
				}
				wantE := 10 * math.Log10(float64(n*nch)/ee)
				if math.Abs(pr.PSNRExpected[it]-wantE) > 1e-8 {
					t.Fatalf("t=%d expected PSNR %g vs dense %g", it, pr.PSNRExpected[it], wantE)
				}
				// FBC bands and residual ratios on the gray images.
				gf := gray(f)
				ff := naiveDFT(gf, tc.size)
				var sum [5]float64
				var cnt [5]int
				ratio := make([]float64, n)
				for w := range ff {
					if b := band[w]; b >= 0 {
						m := cmplx.Abs(ff[w]) / (cmplx.Abs(fy[w]) + 1e-8)
						sum[b] += math.Min(1, m)
						cnt[b]++
					}
					ratio[w] = cmplx.Abs(ff[w]-fy[w]) / cmplx.Abs(fr0[w])
				}
				for b := 0; b < 5; b++ {
					if cnt[b] == 0 {
						continue
					}
					if got := pr.FBC[it][b]; math.Abs(got-sum[b]/float64(cnt[b])) > 1e-9 {
						t.Fatalf("t=%d band %d: %g vs %g", it, b+1, got, sum[b]/float64(cnt[b]))
					}
				}
				rr, _ := RadialProfile(ratio, tc.size)
				for kk, v := range rr.Mean {
					if math.Abs(pr.Residual[it][kk]-v) > 1e-8*(1+v) {
						t.Fatalf("t=%d ring %d residual ratio %g vs %g", it, kk, pr.Residual[it][kk], v)
					}
				}
				// Step.
				for c := range f {
					r := make([]float64, n)
					for i := range r {
						r[i] = f[c][i] - y[c][i]
					}
					kr := denseMatVec(tc.cov, r)
					for i := range f[c] {
						f[c][i] -= eta * kr[i]
					}
				}
				var nst mat.Dense
				nst.Mul(s, st)
				st = &nst
			}
			best := 0
			for i, v := range pr.PSNRExpected {
				if v > pr.PSNRExpected[best] {
					best = i
				}
			}
			if pr.BestIter != best || pr.BestPSNR != pr.PSNRExpected[best] {
				t.Fatalf("best %d (%g), curve max at %d (%g)", pr.BestIter, pr.BestPSNR, best, pr.PSNRExpected[best])
			}
		})
	}
}

// TestPredictDecay checks the per-ring mode curves of a stationary kernel
// against (1 - eta lambda)^t at ring frequencies of a 1-D grid, where every
// ring is one frequency pair.
func TestPredictDecay(t *testing.T) {
	tc := testCases()[1]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, _ := NewPrior(m, PriorOptions{})
	y := [][]float64{make([]float64, p.Points())}
	for i := range y[0] {
		y[0][i] = math.Cos(float64(i))
	}
	lam := naiveDFT(m.Data, tc.size)
	eta := 0.5 / p.MaxEigenvalue()
	pr, err := p.Predict(y, PredictOptions{LR: eta, Iters: 100, Checkpoints: []int{0, 7, 100}})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range pr.Iters {
		for k := range pr.Freq {
			want := math.Pow(1-eta*real(lam[k+1]), float64(it))
			if math.Abs(pr.Decay[i][k]-want) > 1e-9 {
				t.Fatalf("t=%d ring %d: %g vs %g", it, k, pr.Decay[i][k], want)
			}
			hw := math.Ln2 / -math.Log(1-eta*real(lam[k+1]))
			if math.Abs(pr.HalfIter[k]-hw) > 1e-6*hw {
				t.Fatalf("half iteration %g vs %g", pr.HalfIter[k], hw)
			}
		}
	}
	if pr.PSNRExpected != nil {
		t.Fatal("PSNR without a clean image")
	}
	// A step with eta lambda = 1 exactly for the top mode: (1 - 1)^0 = 1,
	// not NaN.
	clean := [][]float64{y[0]}
	pr, err = p.Predict(y, PredictOptions{LR: 1 / p.MaxEigenvalue(), Iters: 3, Clean: clean, Noise: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range pr.PSNRExpected {
		if math.IsNaN(v) || math.IsNaN(pr.PSNRRealized[i]) || math.IsNaN(pr.FBC[i][0]) {
			t.Fatalf("NaN at iteration %d with eta lambda_max = 1", pr.Iters[i])
		}
	}
	if want := 10 * math.Log10(float64(p.Points())/sumSq(y[0])); math.Abs(pr.PSNRRealized[0]-want) > 1e-9 {
		t.Fatalf("PSNR at t=0 %g, want %g (f_0 = 0)", pr.PSNRRealized[0], want)
	}
	if _, err := p.Predict(y, PredictOptions{LR: 2.01 / p.MaxEigenvalue(), Iters: 3}); err == nil {
		t.Fatal("unstable step accepted")
	}
	if _, err := p.Predict(y, PredictOptions{LR: eta, Iters: 3, Checkpoints: []int{4}}); err == nil {
		t.Fatal("checkpoint beyond Iters accepted")
	}
	cp, _ := checkpoints(nil, 100000)
	if cp[0] != 0 || cp[len(cp)-1] != 100000 || len(cp) > 3002 {
		t.Fatalf("default checkpoints: %d, last %d", len(cp), cp[len(cp)-1])
	}
	for i := 1; i < len(cp); i++ {
		if cp[i] <= cp[i-1] {
			t.Fatal("checkpoints not increasing")
		}
	}
}

// TestFBCBands checks the band assignment against the definition on a
// 10 x 10 grid: edges 1, 2, 3, 4, 5.
func TestFBCBands(t *testing.T) {
	m, _ := RBF.Map([]int{10, 10}, 1)
	p, _ := NewPrior(m, PriorOptions{})
	band := p.bandOf()
	check := func(ky, kx, want int) {
		if got := band[ky*10+kx]; got != want {
			t.Fatalf("frequency (%d,%d): band %d, want %d", ky, kx, got, want)
		}
	}
	check(0, 0, 0)  // DC in band 1
	check(0, 1, 0)  // d = 1 = r_1
	check(1, 1, 1)  // d = 1.41
	check(0, 9, 0)  // d = 1 (negative frequency)
	check(0, 5, 4)  // d = 5 = r_5
	check(3, 4, 4)  // d = 5
	check(4, 4, -1) // d = 5.66 > W/2: corner, left out
}

func sumSq(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return s
}
