package dip

import (
	"context"
	"math"
	"math/cmplx"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/imageio"
)

// linearArch is one 3x3 circular convolution, no bias, in the NTK
// parameterization, on c0 channels of Gaussian-smoothed Gaussian noise:
// f is linear in its parameters, so gradient descent is exactly linear
// dynamics with the finite network's (constant) tangent kernel, which
// tends to the analytic Theta = s_w^2 K_z as c0 grows.
func linearArch(c0 int) arch.Arch {
	return arch.Arch{
		Name:  "linear-conv",
		Dims:  2,
		Input: arch.Input{Channels: c0, Dist: arch.Gaussian, Mean: 0, Std: 1, Smooth: 0.7},
		Init:  arch.Init{Scheme: arch.Normal, SW: 1, SB: 0},
		Param: arch.NTK,
		Pad:   arch.Circular,
		Layers: []arch.Layer{
			arch.Conv{Out: 1, K: 3, Stride: 1, Bias: false},
		},
	}
}

// closedFormNTKEigen returns lambda(w) = s_w^2 v |G(w)|^2 for linearArch:
// the DFT of the circularly wrapped 2-D smoothing filter, by naive DFT.
func closedFormNTKEigen(a arch.Arch, h, w int) []float64 {
	g := a.Input.SmoothFilter()
	r := (len(g) - 1) / 2
	filt := make([]float64, h*w)
	for ty := -r; ty <= r; ty++ {
		for tx := -r; tx <= r; tx++ {
			filt[((ty+h)%h)*w+(tx+w)%w] += g[ty+r] * g[tx+r]
		}
	}
	spec := naiveDFT(filt, h, w)
	sw2 := a.Init.SW * a.Init.SW
	v := a.Input.Std * a.Input.Std
	lam := make([]float64, h*w)
	for i, s := range spec {
		m := cmplx.Abs(s)
		lam[i] = sw2 * v * m * m
	}
	return lam
}

// linearRun trains linearArch(c0) with gradient descent on a 16x16 grey
// image and compares it with the NTK prediction.
func linearRun(t *testing.T, c0 int) (Config, Result, Comparison, []float64) {
	const h, w = 16, 16
	a := linearArch(c0)
	x := imageio.Synthetic(w, h, 1)
	prob, err := NewProblem(x, TaskOptions{Task: Fit})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k, err := NewKernel(ctx, a, []int{h, w})
	if err != nil {
		t.Fatal(err)
	}
	lam := closedFormNTKEigen(a, h, w)
	lmax := 0.0
	for _, l := range lam {
		lmax = math.Max(lmax, l)
	}
	if got := k.Prior.MaxEigenvalue(); math.Abs(got-lmax) > 1e-9*lmax {
		t.Fatalf("kernel's largest NTK eigenvalue %v, closed form %v", got, lmax)
	}
	// eta_eff lambda_max = 0.1: the discrete steps are close to the flow.
	lr := 0.1 * k.StableLR(len(x.Pix))
	cfg := Config{Arch: a, Problem: prob, Opt: Optimizer{Kind: GD, LR: lr}, Iters: 120, Every: 2, Seed: 3, BurnIn: -1, Bins: 8}
	res, err := Train(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare(ctx, k, cfg, res)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, res, cmp, lam
}

func TestGDFollowsNTKLinear(t *testing.T) {
	cfg, res, cmp, lam := linearRun(t, 4096)
	n := len(cfg.Problem.Target.Pix)
	// 1. The prediction (kernel + gp + predictor) against the closed form:
	// the mean over each bin's modes of |1 - eta_eff lambda(w)|^t.
	m, _ := NewMeter(cfg.Problem.Target, cfg.Bins)
	m.SetStart(res.Start)
	_, use := m.RatioPerMode()
	bin := m.Bin()
	eta := 2 * cfg.Opt.LR / float64(n)
	for _, pm := range cmp.Predicted {
		tt := float64(pm.Iter)
		for b := range pm.Ratio {
			s, c := 0.0, 0
			for j, u := range use[0] {
				if u && bin[j] == b {
					s += math.Pow(math.Abs(1-eta*lam[j]), tt)
					c++
				}
			}
			if want := s / float64(c); math.Abs(pm.Ratio[b]-want) > 1e-7 {
				t.Fatalf("iteration %d bin %d: predicted ratio %.10f, closed form %.10f", pm.Iter, b, pm.Ratio[b], want)
			}
		}
	}
	// 2. Training against the prediction. f is linear in its parameters,
	// so the only departure is the finite tangent kernel's: O(1/sqrt(c0))
	// per frequency plus couplings between frequencies.
	maxGap := 0.0
	for i := range cmp.Observed {
		for b := range cmp.Observed[i].Ratio {
			maxGap = math.Max(maxGap, math.Abs(cmp.Observed[i].Ratio[b]-cmp.Predicted[i].Ratio[b]))
		}
	}
	ag := cmp.Agreement
	t.Logf("c0 4096: max ratio gap %.4f, RMS %.4f, Spearman %.3f over %d bins, half-fit log10 RMS %.4f, time ratio %.4f, FBC RMS %.4f", maxGap, ag.RatioRMS, ag.Spearman, ag.BinsFitted, ag.HalfFitLogRMS, ag.TimeRatio, ag.FBCRMS)
	if maxGap > 0.05 {
		t.Errorf("largest gap between observed and predicted residual ratio %.4f > 0.05", maxGap)
	}
	if ag.BinsFitted < 5 || float64(ag.Spearman) < 0.95 {
		t.Errorf("Spearman %.3f over %d half-fitted bins; want > 0.95 over >= 5", ag.Spearman, ag.BinsFitted)
	}
	if e := math.Pow(10, float64(ag.HalfFitLogRMS)) - 1; e > 0.1 {
		t.Errorf("half-fit iterations differ by %.1f%% RMS; want < 10%%", 100*e)
	}
	if r := float64(ag.TimeRatio); math.Abs(r-1) > 0.08 {
		t.Errorf("fitted time scale / eta_eff = %.4f; want 1 within 8%%", r)
	}
	// 3. The departure shrinks with width: 16 times fewer channels give a
	// clearly larger gap (about 4 times in expectation).
	_, _, small, _ := linearRun(t, 256)
	t.Logf("c0 256: ratio RMS %.4f, half-fit log10 RMS %.4f", small.Agreement.RatioRMS, small.Agreement.HalfFitLogRMS)
	if !(float64(small.Agreement.RatioRMS) > 2*float64(ag.RatioRMS)) {
		t.Errorf("ratio RMS gap %.4f at 256 channels is not clearly above %.4f at 4096", small.Agreement.RatioRMS, ag.RatioRMS)
	}
}

func TestPredictionMatchesGPPredict(t *testing.T) {
	// The predicted FBC curves of Compare (per-channel residuals through
	// gp.Prior.Apply, then dip's FBC) against gp.Predict's (grey residual
	// in the kernel's modes, gp's own FBC code), on an RGB denoising run
	// of a cyclostationary (skip) network.
	ctx := context.Background()
	a := smallArch(t, "dip-skip:scales=2,channels=8,skip=4,in_channels=8,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity")
	x := imageio.Synthetic(16, 16, 3)
	prob, err := NewProblem(x, TaskOptions{Task: Denoise, Sigma: 25, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKernel(ctx, a, []int{16, 16})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Arch: a, Problem: prob, Opt: Optimizer{Kind: GD, LR: 0.3 * k.StableLR(len(x.Pix))}, Iters: 20, Every: 4, Seed: 1, BurnIn: -1}
	res, err := Train(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare(ctx, k, cfg, res)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPredictor(k, prob, res.Start, DefaultBins(16, 16))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.gpPredict(EffectiveStep(cfg.Opt, len(x.Pix)), cmp.Observed, nil, 20)
	if err != nil {
		t.Fatal(err)
	}
	idx := map[int]int{}
	for i, it := range pr.Iters {
		idx[it] = i
	}
	for _, m := range cmp.Predicted {
		g := pr.FBC[idx[m.Iter]]
		for b := range g {
			if math.Abs(g[b]-m.FBC[b]) > 1e-9 {
				t.Errorf("iteration %d band %d: Compare's FBC %.12f, gp.Predict's %.12f", m.Iter, b+1, m.FBC[b], g[b])
			}
		}
	}
	if cmp.Agreement.PredictedBest.Iter < 0 {
		t.Errorf("no predicted best iteration for gd: %+v", cmp.Agreement)
	}
}

func TestCompareFitsTimeScaleForAdam(t *testing.T) {
	// Adam has no fixed step: Compare fits the time scale c and predicts
	// with the gradient flow at c t. For the linear model the fitted flow
	// must still rank the frequencies as the observed run does.
	const h, w = 16, 16
	ctx := context.Background()
	a := linearArch(256)
	x := imageio.Synthetic(w, h, 1)
	prob, _ := NewProblem(x, TaskOptions{Task: Fit})
	k, err := NewKernel(ctx, a, []int{h, w})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Arch: a, Problem: prob, Opt: Optimizer{Kind: Adam, LR: 0.002}, Iters: 60, Every: 2, Seed: 3, BurnIn: -1, Bins: 8}
	res, err := Train(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare(ctx, k, cfg, res)
	if err != nil {
		t.Fatal(err)
	}
	ag := cmp.Agreement
	t.Logf("c = %.4g, Spearman %.3f over %d bins, note %q", ag.TimeScale, ag.Spearman, ag.BinsFitted, ag.Note)
	if !ag.Fitted || !(ag.TimeScale > 0) || !math.IsNaN(float64(ag.TimeRatio)) || ag.PredictedBest.Iter != -1 {
		t.Errorf("agreement for Adam: %+v", ag)
	}
	// The prediction at the fitted scale: exp(-c t lambda) per mode.
	m, _ := NewMeter(prob.Target, cfg.Bins)
	m.SetStart(res.Start)
	_, use := m.RatioPerMode()
	bin := m.Bin()
	lam := closedFormNTKEigen(a, h, w)
	c := float64(ag.TimeScale)
	for _, pm := range cmp.Predicted {
		for b := range pm.Ratio {
			s, cnt := 0.0, 0
			for j, u := range use[0] {
				if u && bin[j] == b {
					s += math.Exp(-c * float64(pm.Iter) * lam[j])
					cnt++
				}
			}
			if want := s / float64(cnt); math.Abs(pm.Ratio[b]-want) > 1e-7 {
				t.Fatalf("iteration %d bin %d: predicted %.10f, closed-form flow %.10f", pm.Iter, b, pm.Ratio[b], want)
			}
		}
	}
}
