package dip

import (
	"context"
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/kernel"
)

// denseNTK is the Gram matrix Theta(i, j) of a 1-D architecture on n
// samples, read entry by entry from kernel.Compute's map (no Fourier
// diagonalization), and its eigendecomposition by gonum.
type denseNTK struct {
	n    int
	vals []float64
	vecs *mat.Dense
}

func newDenseNTK(t *testing.T, spec string, n int) denseNTK {
	t.Helper()
	_, ntk, err := kernel.Compute(context.Background(), smallArch(t, spec), []int{n}, kernel.Options{NTK: true})
	if err != nil {
		t.Fatal(err)
	}
	th := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a, b := ntk.Cov(i, j), ntk.Cov(j, i)
			if math.Abs(a-b) > 1e-9*math.Abs(a) {
				t.Fatalf("the NTK map is not symmetric: Theta(%d,%d) = %v, Theta(%d,%d) = %v", i, j, a, j, i, b)
			}
			th.SetSym(i, j, a)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(th, true) {
		t.Fatal("the dense NTK could not be diagonalized")
	}
	d := denseNTK{n: n, vals: eig.Values(nil), vecs: &mat.Dense{}}
	eig.VectorsTo(d.vecs)
	return d
}

// apply returns V g(Lambda) V^T r.
func (d denseNTK) apply(g func(l float64) float64, r []float64) []float64 {
	var c mat.VecDense
	c.MulVec(d.vecs.T(), mat.NewVecDense(d.n, append([]float64(nil), r...)))
	for i, l := range d.vals {
		c.SetVec(i, g(l)*c.AtVec(i))
	}
	var out mat.VecDense
	out.MulVec(d.vecs, &c)
	return out.RawVector().Data
}

// directRatios is the mean per radial bin (|k|/N in [0, 0.5], bins bins)
// of |DFT(r)(k)| / |DFT(r0)(k)| by direct O(N^2) DFT sums, over the
// frequencies where |DFT(r0)| exceeds 1e-9 of its largest value.
func directRatios(r, r0 []float64, bins int) []float64 {
	n := len(r)
	dft := func(x []float64) []complex128 {
		out := make([]complex128, n)
		for k := range out {
			for j, v := range x {
				out[k] += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/float64(n)))
			}
		}
		return out
	}
	ft, f0 := dft(r), dft(r0)
	mx := 0.0
	for _, v := range f0 {
		mx = math.Max(mx, cmplx.Abs(v))
	}
	sum, cnt := make([]float64, bins), make([]int, bins)
	for k := range ft {
		kk := k
		if k > n/2 {
			kk = n - k
		}
		b := min(int(2*float64(kk)/float64(n)*float64(bins)), bins-1)
		if cmplx.Abs(f0[k]) > 1e-9*mx {
			sum[b] += cmplx.Abs(ft[k]) / cmplx.Abs(f0[k])
			cnt[b]++
		}
	}
	for b := range sum {
		sum[b] /= float64(cnt[b])
	}
	return sum
}

// signalNTKArch is a small cyclostationary 1-D skip net (period 4) in the
// NTK parameterization without batch norm, whose kernel gp diagonalizes
// through coupled Fourier blocks.
const signalNTKArch = "dip-skip:dims=1,scales=2,channels=8,skip=4,in_channels=8,out_channels=1,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity"

func TestSignalCompareDense(t *testing.T) {
	// Compare's prediction for a 1-D denoising run (kernel map -> gp's
	// block diagonalization -> Apply -> Meter) against the same dynamics
	// computed densely: Theta read entry by entry from the kernel map,
	// diagonalized by gonum, (1 - eta Theta)^t (gd) or exp(-c t Theta)
	// (Adam's fitted flow) applied to r_0, projected on the radial bins by
	// direct DFT sums, FBC and loss from the dense residual.
	const n = 32
	ctx := context.Background()
	a := smallArch(t, signalNTKArch)
	prob, err := NewSignalProblem(testSignal(n), TaskOptions{Task: Denoise, Sigma: 25, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKernel(ctx, a, []int{n})
	if err != nil {
		t.Fatal(err)
	}
	d := newDenseNTK(t, signalNTKArch, n)
	if lmax := d.vals[n-1]; math.Abs(k.Prior.MaxEigenvalue()-lmax) > 1e-9*lmax {
		t.Fatalf("largest NTK eigenvalue: gp %v, dense %v", k.Prior.MaxEigenvalue(), lmax)
	}
	y := prob.Target.Pix
	for _, opt := range []Optimizer{{Kind: GD, LR: 0.9 * k.StableLR(n)}, {Kind: Adam, LR: 0.01}} {
		cfg := Config{Arch: a, Problem: prob, Opt: opt, Iters: 60, Every: 4, Seed: 1, BurnIn: -1, Bins: 8}
		res, err := Train(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		cmp, err := Compare(ctx, k, cfg, res)
		if err != nil {
			t.Fatal(err)
		}
		r0 := make([]float64, n)
		for i := range r0 {
			r0[i] = res.Start.Pix[i] - y[i]
		}
		eta, c := EffectiveStep(opt, n), float64(cmp.Agreement.TimeScale)
		for _, pm := range cmp.Predicted {
			tt := float64(pm.Iter)
			g := func(l float64) float64 { return math.Pow(1-eta*l, tt) }
			if opt.Kind == Adam {
				g = func(l float64) float64 { return math.Exp(-c * tt * l) }
			}
			r := d.apply(g, r0)
			want := directRatios(r, r0, cfg.Bins)
			for b := range want {
				if math.Abs(pm.Ratio[b]-want[b]) > 1e-8 {
					t.Fatalf("%s iteration %d bin %d: predicted ratio %.12f, dense %.12f", opt.Kind, pm.Iter, b, pm.Ratio[b], want[b])
				}
			}
			f, loss := make([]float64, n), 0.0
			for i := range f {
				f[i] = y[i] + r[i]
				loss += r[i] * r[i] / n
			}
			if math.Abs(pm.Loss-loss) > 1e-9*loss {
				t.Errorf("%s iteration %d: predicted loss %v, dense %v", opt.Kind, pm.Iter, pm.Loss, loss)
			}
			for b, v := range directFBC(f, y) {
				if math.Abs(pm.FBC[b]-v) > 1e-8 {
					t.Errorf("%s iteration %d band %d: predicted FBC %v, dense %v", opt.Kind, pm.Iter, b+1, pm.FBC[b], v)
				}
			}
		}
		if last := cmp.Predicted[len(cmp.Predicted)-1].Ratio[0]; !(last < 0.5) {
			t.Errorf("%s: the lowest bin's predicted ratio is %v at the end; the test needs a prediction that moves", opt.Kind, last)
		}
	}
}

// wideSignalArch is a 1-D network with one hidden layer of w ReLU channels
// in the NTK parameterization on c0 channels of smoothed Gaussian noise:
// conv(5 taps, w) -> ReLU -> conv(3 taps, 1), biases, circular padding.
func wideSignalArch(c0, w int) arch.Arch {
	return arch.Arch{
		Name:  "wide-1d",
		Dims:  1,
		Input: arch.Input{Channels: c0, Dist: arch.Gaussian, Mean: 0, Std: 1, Smooth: 1},
		Init:  arch.Init{Scheme: arch.Normal, SW: 1.4, SB: 0.1},
		Param: arch.NTK,
		Pad:   arch.Circular,
		Layers: []arch.Layer{
			arch.Conv{Out: w, K: 5, Stride: 1, Bias: true},
			arch.Act{Fn: arch.ReLU},
			arch.Conv{Out: 1, K: 3, Stride: 1, Bias: true},
		},
	}
}

// signalGDRun fits testSignal(32) with gd at eta_eff lambda_max = 0.9
// for 100 iterations and compares the run with the NTK's prediction.
func signalGDRun(t *testing.T, c0, w int, seed uint64) Comparison {
	const n = 32
	ctx := context.Background()
	a := wideSignalArch(c0, w)
	prob, err := NewSignalProblem(testSignal(n), TaskOptions{Task: Fit})
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKernel(ctx, a, []int{n})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Arch: a, Problem: prob, Opt: Optimizer{Kind: GD, LR: 0.9 * k.StableLR(n)}, Iters: 100, Every: 5, Seed: seed, BurnIn: -1, Bins: 8}
	res, err := Train(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare(ctx, k, cfg, res)
	if err != nil {
		t.Fatal(err)
	}
	return cmp
}

func maxRatioGap(c Comparison) float64 {
	g := 0.0
	for i := range c.Observed {
		for b := range c.Observed[i].Ratio {
			g = math.Max(g, math.Abs(c.Observed[i].Ratio[b]-c.Predicted[i].Ratio[b]))
		}
	}
	return g
}

func TestSignalGDFollowsNTK(t *testing.T) {
	// A real (nonlinear) 1-D network trained by gd follows the NTK's
	// per-frequency prediction, over 4 seeds. Tolerance: the finite
	// network's tangent kernel at initialization departs from Theta by
	// relative fluctuations of order 1/sqrt(c0) (the fixed input's Gram
	// over its c0 channels) plus 1/sqrt(w) (the hidden layer), about 0.09
	// at c0 = w = 256. A relative error d in a mode's eigenvalue moves its
	// ratio exp(-lambda tau) by at most lambda tau exp(-lambda tau) d <=
	// d/e, about 0.035, but the highest bins hold few modes of small
	// start residual and the fluctuations couple frequencies, so single
	// seeds spread: measured RMS gaps 0.017, 0.108, 0.040, 0.022 (seeds
	// 1-4, mean 0.047) and c/eta_eff 0.93 to 1.10. The test asks: mean RMS
	// gap over the seeds < 0.08, every seed < 0.15; half-fit order exact
	// up to one swap (Spearman >= 0.95 over >= 6 bins); the kernel's clock
	// right within 15% (|c/eta_eff - 1| < 0.15).
	mean := 0.0
	for seed := uint64(1); seed <= 4; seed++ {
		cmp := signalGDRun(t, 256, 256, seed)
		ag := cmp.Agreement
		t.Logf("seed %d: ratio RMS %.4f, largest gap %.4f, Spearman %.3f over %d bins, c/eta_eff %.4f", seed, ag.RatioRMS, maxRatioGap(cmp), ag.Spearman, ag.BinsFitted, ag.TimeRatio)
		mean += float64(ag.RatioRMS) / 4
		if float64(ag.RatioRMS) > 0.15 {
			t.Errorf("seed %d: residual-ratio RMS gap %.4f; want < 0.15", seed, ag.RatioRMS)
		}
		if ag.BinsFitted < 6 || float64(ag.Spearman) < 0.95 {
			t.Errorf("seed %d: Spearman %.3f over %d half-fitted bins; want >= 0.95 over >= 6", seed, ag.Spearman, ag.BinsFitted)
		}
		if r := float64(ag.TimeRatio); math.Abs(r-1) > 0.15 {
			t.Errorf("seed %d: c/eta_eff = %.4f; want 1 within 15%%", seed, r)
		}
	}
	if mean > 0.08 {
		t.Errorf("mean residual-ratio RMS gap over 4 seeds %.4f; want < 0.08", mean)
	}
}

func TestSignalRatiosDistanceShi(t *testing.T) {
	// The Meter's 1-D residual ratios against direct DFT sums; the
	// predicted trajectory distance against the dense (1 - eta Theta)^t;
	// Shi's rule refuses a signal.
	const n = 32
	rng := rand.New(rand.NewPCG(5, 6))
	y, f0, f := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range y {
		y[i], f0[i], f[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
	}
	img := func(x []float64) imageio.Image { return imageio.Image{W: n, H: 1, C: 1, Pix: x} }
	m, err := NewMeter(img(y), 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetStart(img(f0)); err != nil {
		t.Fatal(err)
	}
	got, err := m.Ratios(img(f))
	if err != nil {
		t.Fatal(err)
	}
	r, r0 := make([]float64, n), make([]float64, n)
	for i := range r {
		r[i], r0[i] = f[i]-y[i], f0[i]-y[i]
	}
	for b, v := range directRatios(r, r0, 8) {
		if math.Abs(got[b]-v) > 1e-12 {
			t.Errorf("bin %d: Meter ratio %v, direct DFT %v", b, got[b], v)
		}
	}
	k, err := NewKernel(context.Background(), smallArch(t, signalNTKArch), []int{n})
	if err != nil {
		t.Fatal(err)
	}
	d := newDenseNTK(t, signalNTKArch, n)
	o := Optimizer{Kind: GD, LR: 0.5 * k.StableLR(n)}
	iters := []int{0, 3, 10}
	dist, err := PredictDistance(k, o, img(r0), iters)
	if err != nil {
		t.Fatal(err)
	}
	eta := EffectiveStep(o, n)
	for i, it := range iters {
		v := d.apply(func(l float64) float64 { return math.Pow(1-eta*l, float64(it)) }, r0)
		want := 0.0
		for _, x := range v {
			want += x * x
		}
		if math.Abs(dist[i]-want) > 1e-9*want {
			t.Errorf("iteration %d: predicted distance %v, dense %v", it, dist[i], want)
		}
	}
	if _, err := PredictDistance(k, o, imageio.Image{W: 8, H: 4, C: 1, Pix: make([]float64, 32)}, iters); err == nil {
		t.Error("PredictDistance took an 8x4 image with a kernel for 32 samples")
	}
	if _, err := ShiRatio(img(f)); !errors.Is(err, ErrShiSignal) {
		t.Errorf("ShiRatio of a signal: %v; want ErrShiSignal", err)
	}
}
