package dip

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/kernel"
)

// Kernel is the infinite-width neural tangent kernel Theta of an
// architecture for one image size, diagonalized by package gp (exactly,
// through its coupled Fourier blocks, when it is cyclostationary).
type Kernel struct {
	// Prior holds Theta in diagonal form.
	Prior *gp.Prior
	// Arch and Size are the architecture and output size.
	Arch arch.Arch
	Size []int
	// Seconds is the time taken by kernel.Compute and gp.NewPrior.
	Seconds float64
}

// NewKernel computes the NTK of a for an output of the given size with
// kernel.Compute (in the NTK parameterization, whatever a.Param says) and
// diagonalizes it with gp.NewPrior.
func NewKernel(ctx context.Context, a arch.Arch, size []int) (*Kernel, error) {
	t0 := time.Now()
	_, ntk, err := kernel.Compute(ctx, a, size, kernel.Options{NTK: true})
	if err != nil {
		return nil, err
	}
	p, err := gp.NewPriorContext(ctx, ntk, gp.PriorOptions{})
	if err != nil {
		return nil, fmt.Errorf("dip: diagonalizing the NTK: %w", err)
	}
	return &Kernel{Prior: p, Arch: a, Size: append([]int(nil), size...), Seconds: time.Since(t0).Seconds()}, nil
}

// fits checks that the kernel's output grid is the grid of img: {W} for a
// 1-D signal (height 1), {H, W} for an image.
func (k *Kernel) fits(img imageio.Image) error {
	switch {
	case len(k.Size) == 1 && img.H == 1 && k.Size[0] == img.W:
		return nil
	case len(k.Size) == 2 && img.H > 1 && k.Size[0] == img.H && k.Size[1] == img.W:
		return nil
	case img.H == 1:
		return fmt.Errorf("dip: the kernel is for size %v but the target is a 1-D signal of %d samples; compute the kernel of a 1-D architecture (dims=1) for size [%d]", k.Size, img.W, img.W)
	}
	return fmt.Errorf("dip: the kernel is for size %v but the image is %dx%d (height x width %v); compute the kernel for the image's size", k.Size, img.W, img.H, []int{img.H, img.W})
}

// EffectiveStep returns the step eta_eff with which the output's residual
// follows r_{t+1} = (I - eta_eff Theta M) r_t in the linearized (kernel)
// regime, for an image of n values: DIP's loss mean((f - y)^2) gives
// eta_eff = 2 LR / n for gd; the drift of textbook SGLD gives
// LR / (2 NoiseStd^2). Adam and sgld-cheng have no fixed step (NaN).
func EffectiveStep(o Optimizer, n int) float64 {
	switch o.Kind {
	case GD:
		return 2 * o.LR / float64(n)
	case SGLD:
		return o.LR / (2 * o.NoiseStd * o.NoiseStd)
	}
	return math.NaN()
}

// StableLR returns the gd learning rate for which eta_eff times the
// kernel's largest eigenvalue is 1 (the largest mode is fitted in one step;
// 2 is the limit of stability), for an image of n values. The training
// commands default to 0.9 times it.
func (k *Kernel) StableLR(n int) float64 {
	return float64(n) / (2 * k.Prior.MaxEigenvalue())
}

// Num is a float64 that encodes NaN and infinities as JSON null (and
// decodes null as NaN).
type Num float64

// MarshalJSON implements json.Marshaler.
func (x Num) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler.
func (x *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = Num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = Num(f)
	return nil
}

func nums(v []float64) []Num {
	out := make([]Num, len(v))
	for i, f := range v {
		out[i] = Num(f)
	}
	return out
}

// Agreement summarizes how a training run follows the kernel's prediction.
type Agreement struct {
	// Optimizer and Arch describe the run.
	Optimizer string `json:"optimizer"`
	Arch      string `json:"arch"`
	// EffectiveStep is eta_eff of the optimizer (null for Adam).
	EffectiveStep Num `json:"effective_step"`
	// TimeScale is the kernel time per iteration, c, that best matches
	// the observed half-fit iterations: the prediction exp(-c t Theta)
	// (gradient flow) half fits bin b at c t_b. For gd it says how far
	// the timing departs: TimeScale / EffectiveStep is 1 when the kernel's
	// clock is right.
	TimeScale Num `json:"time_scale"`
	// TimeRatio is TimeScale / EffectiveStep (null without a fixed step).
	TimeRatio Num `json:"time_ratio"`
	// Fitted reports that the predicted curves use the fitted time scale
	// (the optimizer has no fixed step); otherwise they use
	// EffectiveStep exactly, (1 - eta_eff lambda)^t.
	Fitted bool `json:"fitted_time_scale"`
	// BinCenters are the radial bins in cycles per pixel; ObservedHalf and
	// PredictedHalf the iterations at which each bin's mean residual ratio
	// reaches 1/2 (null: not within the run for observed, not within
	// 1000 times the run for predicted).
	BinCenters    []Num `json:"bin_centers"`
	ObservedHalf  []Num `json:"observed_half_fit"`
	PredictedHalf []Num `json:"predicted_half_fit"`
	// Spearman is the rank correlation of observed and predicted half-fit
	// iterations over the bins, with bins not half fitted within the run
	// (on either side) tied last. BinsFitted is the number of bins half
	// fitted within the run on both sides.
	Spearman   Num `json:"spearman"`
	BinsFitted int `json:"bins_fitted"`
	// HalfFitLogRMS is the RMS of log10(observed / predicted) half-fit
	// iteration over the bins fitted on both sides (0: perfect timing).
	HalfFitLogRMS Num `json:"half_fit_log10_rms"`
	// FBCRMS is, per FBC band, the RMS over measured iterations of the gap
	// between the observed and the predicted FBC curves.
	FBCRMS []Num `json:"fbc_rms"`
	// RatioRMS is the RMS gap of the residual-ratio curves over bins and
	// measured iterations; PSNRRMS that of the PSNR curves (dB).
	RatioRMS Num `json:"ratio_rms"`
	PSNRRMS  Num `json:"psnr_rms"`
	// Best is the observed best PSNR of the output (clipped to [0, 1] for
	// images, not for 1-D signals).
	Best Best `json:"best"`
	// PredictedBest is the kernel's best stopping iteration for the
	// expected PSNR over the noise (gp.Predict, docs/theory.md section 5;
	// gd and sgld on fit and denoise, searched up to 100 times the run;
	// iteration -1 otherwise). PredictedBestRealized is the best of the
	// predicted outputs for this very target (unclipped PSNR from
	// gp.Predict for gd and sgld; otherwise clipped for images, on the measured
	// iterations and the prediction's dense grid).
	PredictedBest         Best `json:"predicted_best"`
	PredictedBestRealized Best `json:"predicted_best_realized"`
	// KernelNote says how the NTK was diagonalized; Note how the
	// prediction was made.
	KernelNote string `json:"kernel_note"`
	Note       string `json:"note"`
}

// Comparison is the kernel's prediction for a run and its agreement with
// the run.
type Comparison struct {
	// Predicted holds the predicted loss, PSNR, FBC and residual ratios at
	// the run's measured iterations (PSNRAvg and PSNRMean are NaN).
	Predicted []Measurement
	// Observed are the run's measurements.
	Observed []Measurement
	// Agreement summarizes.
	Agreement Agreement
}

// predictor evaluates y + g(Theta) r0 per channel.
type predictor struct {
	k       *gp.Prior
	prob    Problem
	meter   *Meter
	r0      [][]float64
	weights []float64
	hw      int
}

func newPredictor(k *Kernel, prob Problem, start imageio.Image, bins int) (*predictor, error) {
	img := prob.Target
	if err := k.fits(img); err != nil {
		return nil, err
	}
	if start.W != img.W || start.H != img.H || start.C != img.C {
		return nil, errors.New("dip: the start output and the target differ in size")
	}
	m, err := NewMeter(img, bins)
	if err != nil {
		return nil, err
	}
	if err := m.SetStart(start); err != nil {
		return nil, err
	}
	p := &predictor{k: k.Prior, prob: prob, meter: m, weights: prob.Weights(), hw: img.W * img.H}
	for c := 0; c < img.C; c++ {
		r := make([]float64, p.hw)
		for i := range r {
			r[i] = start.Pix[c*p.hw+i] - img.Pix[c*p.hw+i]
		}
		p.r0 = append(p.r0, r)
	}
	return p, nil
}

// measure returns the measurement of the output y + r.
func (p *predictor) measure(iter int, r [][]float64) (Measurement, error) {
	y := p.prob.Target
	f := imageio.Image{W: y.W, H: y.H, C: y.C, Pix: make([]float64, len(y.Pix))}
	loss := 0.0
	for c := range r {
		for i, v := range r[c] {
			j := c*p.hw + i
			f.Pix[j] = y.Pix[j] + v
			e := p.weights[j] * v
			loss += e * e
		}
	}
	m := Measurement{Iter: iter, Loss: loss / float64(len(f.Pix)), PSNRAvg: math.NaN(), PSNRMean: math.NaN(), Seconds: math.NaN()}
	clip := p.prob.clips()
	m.PSNR = imageio.PSNRValues(f.Pix, p.prob.Clean.Pix, clip)
	m.PSNRTarget = imageio.PSNRValues(f.Pix, y.Pix, clip)
	var err error
	if m.FBC, err = p.meter.FBC(f); err != nil {
		return m, err
	}
	m.Ratio, err = p.meter.Ratios(f)
	return m, err
}

// closed returns the measurement of y + g(Theta) r0.
func (p *predictor) closed(iter int, g func(l float64) float64) (Measurement, error) {
	r := make([][]float64, len(p.r0))
	for c, r0 := range p.r0 {
		var err error
		if r[c], err = p.k.Apply(g, r0); err != nil {
			return Measurement{}, err
		}
	}
	return p.measure(iter, r)
}

// masked iterates r <- r - eta Theta (M r) for steps steps, calling at(k,
// r) after every step k in want (sorted).
func (p *predictor) masked(ctx context.Context, eta float64, want []int, at func(k int, r [][]float64) error) error {
	r := make([][]float64, len(p.r0))
	for c := range r {
		r[c] = append([]float64(nil), p.r0[c]...)
	}
	mr := make([]float64, p.hw)
	id := func(l float64) float64 { return l }
	wi := 0
	for wi < len(want) && want[wi] == 0 {
		if err := at(0, r); err != nil {
			return err
		}
		wi++
	}
	for k := 1; wi < len(want); k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for c := range r {
			for i, v := range r[c] {
				mr[i] = p.weights[c*p.hw+i] * v
			}
			kr, err := p.k.Apply(id, mr)
			if err != nil {
				return err
			}
			for i := range r[c] {
				r[c][i] -= eta * kr[i]
			}
		}
		for wi < len(want) && want[wi] == k {
			if err := at(k, r); err != nil {
				return err
			}
			wi++
		}
	}
	return nil
}

// timeGrid returns a geometric grid of kernel times tau covering the
// half-fit times ln 2/lambda of the kernel's modes (at most 160 points).
func timeGrid(k *gp.Prior) []float64 {
	lmax := k.MaxEigenvalue()
	lo := 0.05 / lmax
	hi := 1e4 / k.MeanEigenvalue()
	if !(hi > 100*lo) {
		hi = 100 * lo
	}
	const n = 160
	out := make([]float64, n)
	for i := range out {
		out[i] = lo * math.Pow(hi/lo, float64(i)/(n-1))
	}
	return out
}

func ratioColumns(ms []Measurement, bins int) [][]float64 {
	cols := make([][]float64, bins)
	for b := range cols {
		cols[b] = make([]float64, len(ms))
		for i, m := range ms {
			cols[b][i] = m.Ratio[b]
		}
	}
	return cols
}

func itersOf(ms []Measurement) []float64 {
	out := make([]float64, len(ms))
	for i, m := range ms {
		out[i] = float64(m.Iter)
	}
	return out
}

// Compare predicts, with the NTK k of the run's architecture, the
// measurements of the run res made with cfg, and reports the agreement.
//
// For fit and denoise the predicted residual is r_t = (1 - eta_eff
// Theta)^t r_0 with r_0 = f_0 - y the run's own start residual, computed
// exactly per channel in the kernel's modes (gp.Prior.Apply); for inpaint
// r_{t+1} = r_t - eta_eff Theta (M r_t) is iterated. Optimizers without a
// fixed step (Adam, sgld-cheng) get the gradient flow exp(-c t Theta) r_0
// with one time scale c fitted to the observed half-fit iterations (least
// squares in log time over the bins half fitted on both sides); the
// Agreement says so. The fitted c is reported for every optimizer.
func Compare(ctx context.Context, k *Kernel, cfg Config, res Result) (Comparison, error) {
	cfg = cfg.withDefaults()
	if len(res.Measurements) == 0 {
		return Comparison{}, errors.New("dip: the run has no measurements to compare")
	}
	if res.Start.Pix == nil {
		return Comparison{}, errors.New("dip: the run has no start output f_0")
	}
	p, err := newPredictor(k, cfg.Problem, res.Start, cfg.Bins)
	if err != nil {
		return Comparison{}, err
	}
	cm := &comparer{p: p, cfg: cfg, obs: res.Measurements, inpaint: cfg.Problem.Mask != nil, lmax: k.Prior.MaxEigenvalue()}
	cm.eta = EffectiveStep(cfg.Opt, len(cfg.Problem.Target.Pix))
	cm.lastIter = float64(cm.obs[len(cm.obs)-1].Iter)
	cm.ag = Agreement{Optimizer: string(cfg.Opt.Kind), Arch: cfg.Arch.String(), EffectiveStep: Num(cm.eta), KernelNote: k.Prior.Note(),
		BinCenters: nums(p.meter.BinCenters()), Best: res.Best}
	obsHalf := make([]float64, cfg.Bins)
	for b, col := range ratioColumns(cm.obs, cfg.Bins) {
		obsHalf[b] = HalfFit(itersOf(cm.obs), col, 0.5)
	}
	if err := cm.flow(ctx); err != nil {
		return Comparison{}, err
	}
	c, fitted := cm.timeScale(obsHalf)
	if err := cm.predict(ctx, c, fitted); err != nil {
		return Comparison{}, err
	}
	cm.halfFits(obsHalf)
	cm.curves()
	if err := cm.best(); err != nil {
		return Comparison{}, err
	}
	return Comparison{Predicted: cm.pred, Observed: cm.obs, Agreement: cm.ag}, nil
}

// comparer holds one Compare: the run's measurements, the kernel's
// predictor and what the steps produce.
type comparer struct {
	p        *predictor
	cfg      Config
	obs      []Measurement
	inpaint  bool
	eta      float64 // effective step
	lmax     float64 // the NTK's largest eigenvalue
	lastIter float64
	ag       Agreement
	// flowTau and flowMs: the gradient flow at kernel times flowTau.
	flowTau []float64
	flowMs  []Measurement
	// pred: the prediction at the measured iterations; denseT and
	// denseMs: on a dense grid of iterations (half-fits, best PSNR).
	pred    []Measurement
	denseT  []float64
	denseMs []Measurement
}

// flow computes the gradient flow's measurements on a grid of kernel
// times, for the time-scale fit: closed form without a mask, small
// explicit steps of 0.5/lambda_max (up to a budget) with one.
func (cm *comparer) flow(ctx context.Context) error {
	p := cm.p
	if !cm.inpaint {
		cm.flowTau = timeGrid(p.k)
		for _, tau := range cm.flowTau {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, err := p.closed(0, func(l float64) float64 { return math.Exp(-tau * l) })
			if err != nil {
				return err
			}
			cm.flowMs = append(cm.flowMs, m)
		}
		return nil
	}
	const budget = 1500
	h := 0.5 / cm.lmax
	var want []int
	for s := 1; s <= budget; s = max(s+1, int(float64(s)*1.06)) {
		want = append(want, s)
	}
	return p.masked(ctx, h, want, func(s int, r [][]float64) error {
		m, err := p.measure(0, r)
		cm.flowTau = append(cm.flowTau, float64(s)*h)
		cm.flowMs = append(cm.flowMs, m)
		return err
	})
}

// timeScale fits the clock c (kernel time per iteration) as the geometric
// mean ratio of the flow's and the run's half-fit times over the bins
// both half fit; NaN when none did. It records c and c/eta.
func (cm *comparer) timeScale(obsHalf []float64) (c float64, bins int) {
	flowHalf := make([]float64, cm.cfg.Bins)
	for b, col := range ratioColumns(cm.flowMs, cm.cfg.Bins) {
		flowHalf[b] = HalfFit(cm.flowTau, col, 0.5)
	}
	var logs []float64
	for b := range obsHalf {
		if o, f := obsHalf[b], flowHalf[b]; o > 0 && !math.IsInf(o, 0) && f > 0 && !math.IsInf(f, 0) {
			logs = append(logs, math.Log(f/o))
		}
	}
	c = math.NaN()
	if len(logs) > 0 {
		s := 0.0
		for _, v := range logs {
			s += v
		}
		c = math.Exp(s / float64(len(logs)))
	}
	cm.ag.TimeScale = Num(c)
	cm.ag.TimeRatio = Num(c / cm.eta)
	return c, len(logs)
}

// predict computes the predicted curves at the measured iterations and
// on a dense grid: the flow on the fitted clock for optimizers without a
// fixed step, the exact linear dynamics otherwise (iterated with a mask).
func (cm *comparer) predict(ctx context.Context, c float64, fitted int) error {
	switch {
	case !cm.cfg.Opt.Kind.FixedStep():
		return cm.predictFitted(c, fitted)
	case !cm.inpaint:
		return cm.predictFixed()
	default:
		return cm.predictMasked(ctx)
	}
}

func (cm *comparer) predictFitted(c float64, fitted int) error {
	kind := cm.cfg.Opt.Kind
	if math.IsNaN(c) {
		return fmt.Errorf("dip: %s has no fixed step and no radial bin was half fitted within the %d iterations, so no time scale can be fitted; run more iterations", kind, int(cm.lastIter))
	}
	cm.ag.Fitted = true
	cm.ag.Note = fmt.Sprintf("%s has no fixed step: the prediction is the gradient flow exp(-c t Theta) r_0 with the time scale c = %.4g fitted to the observed half-fit iterations of %d bins", kind, c, fitted)
	if cm.inpaint {
		cm.ag.Note += fmt.Sprintf(" (masked flow integrated with steps of 0.5/lambda_max up to kernel time %.3g)", cm.flowTau[len(cm.flowTau)-1])
	}
	for _, m := range cm.obs {
		tau := c * float64(m.Iter)
		var pm Measurement
		if !cm.inpaint {
			var err error
			if pm, err = cm.p.closed(m.Iter, func(l float64) float64 { return math.Exp(-tau * l) }); err != nil {
				return err
			}
		} else {
			pm = interpMeasurement(cm.flowTau, cm.flowMs, tau)
			pm.Iter = m.Iter
		}
		cm.pred = append(cm.pred, pm)
	}
	for i, tau := range cm.flowTau {
		cm.denseT = append(cm.denseT, tau/c)
		cm.denseMs = append(cm.denseMs, cm.flowMs[i])
	}
	return nil
}

func (cm *comparer) predictFixed() error {
	eta := cm.eta
	cm.ag.Note = fmt.Sprintf("%s: exact linearized dynamics (1 - eta_eff lambda)^t r_0 with eta_eff = %.4g", cm.cfg.Opt.Kind, eta)
	if eta*cm.lmax >= 2 {
		cm.ag.Note += fmt.Sprintf("; WARNING: eta_eff lambda_max = %.3g >= 2, beyond the kernel's stability limit", eta*cm.lmax)
	}
	if cm.cfg.Arch.Param != arch.NTK {
		cm.ag.Note += "; the architecture uses the standard parameterization, whose finite-width NTK differs from the NTK-parameterization kernel by per-layer factors: expect the timing to depart"
	}
	g := func(t float64) func(float64) float64 {
		return func(l float64) float64 { return math.Pow(1-eta*l, t) }
	}
	for _, m := range cm.obs {
		pm, err := cm.p.closed(m.Iter, g(float64(m.Iter)))
		if err != nil {
			return err
		}
		cm.pred = append(cm.pred, pm)
	}
	// Dense grid: the flow grid converted to iterations, up to 1000 times
	// the run.
	for _, tau := range cm.flowTau {
		t := math.Round(tau / eta)
		if t < 1 || (len(cm.denseT) > 0 && t <= cm.denseT[len(cm.denseT)-1]) {
			continue
		}
		if t > 1000*math.Max(cm.lastIter, 1) {
			break
		}
		pm, err := cm.p.closed(int(t), g(t))
		if err != nil {
			return err
		}
		cm.denseT = append(cm.denseT, t)
		cm.denseMs = append(cm.denseMs, pm)
	}
	return nil
}

func (cm *comparer) predictMasked(ctx context.Context) error {
	cm.ag.Note = fmt.Sprintf("%s, inpainting: the masked linearized dynamics r <- r - eta_eff Theta (M r), eta_eff = %.4g, iterated", cm.cfg.Opt.Kind, cm.eta)
	want := make([]int, len(cm.obs))
	for i, m := range cm.obs {
		want[i] = m.Iter
	}
	err := cm.p.masked(ctx, cm.eta, want, func(s int, r [][]float64) error {
		pm, err := cm.p.measure(s, r)
		cm.pred = append(cm.pred, pm)
		return err
	})
	cm.denseT, cm.denseMs = itersOf(cm.obs), cm.pred
	return err
}

// halfFits records the observed and predicted half-fit iterations per
// bin, their rank correlation (both censored at the run's end) and the
// RMS of their log ratio over the bins both half fit.
func (cm *comparer) halfFits(obsHalf []float64) {
	bins := cm.cfg.Bins
	predHalf := make([]float64, bins)
	for b, col := range ratioColumns(cm.denseMs, bins) {
		predHalf[b] = HalfFit(cm.denseT, col, 0.5)
	}
	cm.ag.ObservedHalf = nums(obsHalf)
	cm.ag.PredictedHalf = nums(predHalf)
	sp, fitted, lr := halfFitAgreement(obsHalf, predHalf, cm.lastIter)
	cm.ag.Spearman, cm.ag.BinsFitted, cm.ag.HalfFitLogRMS = Num(sp), fitted, Num(lr)
}

// curves records the RMS gaps between observed and predicted FBC bands,
// residual ratios and PSNRs at the measured iterations.
func (cm *comparer) curves() {
	cm.ag.FBCRMS, cm.ag.RatioRMS, cm.ag.PSNRRMS = curveGaps(cm.obs, cm.pred)
}

// best records the kernel's best stopping iteration: from gp.Predict
// (exact discrete dynamics, expected PSNR over the noise and realized
// PSNR for this draw, searched up to 100 times the run) for a stable fixed
// step without a mask, else the best realized PSNR of the predicted
// outputs.
func (cm *comparer) best() error {
	exact := cm.cfg.Opt.Kind.FixedStep() && !cm.inpaint && cm.eta*cm.lmax < 2
	if exact {
		pr, err := cm.p.gpPredict(cm.eta, cm.obs, cm.denseT, 100*math.Max(cm.lastIter, 1))
		if err != nil {
			return err
		}
		cm.ag.PredictedBest = Best{PSNR: pr.BestPSNR, Iter: pr.BestIter}
		cm.ag.PredictedBestRealized = Best{PSNR: pr.BestPSNRRealized, Iter: pr.BestIterRealized}
		if math.IsNaN(pr.BestPSNR) || math.IsNaN(pr.BestPSNRRealized) {
			// gp.Predict evaluates (1 - eta lambda)^0 as exp(0 * log 0) =
			// NaN when eta lambda = 1 exactly for some mode.
			cm.ag.Note += "; gp.Predict returned NaN PSNRs (a mode with eta_eff lambda = 1 exactly), so the best iteration comes from dip's own predicted outputs"
		}
	}
	if exact && !math.IsNaN(cm.ag.PredictedBest.PSNR) {
		return nil
	}
	best := Best{PSNR: math.Inf(-1)}
	for i, m := range cm.pred {
		if m.PSNR > best.PSNR {
			best = Best{PSNR: m.PSNR, Iter: cm.obs[i].Iter}
		}
	}
	for i, m := range cm.denseMs {
		if m.PSNR > best.PSNR {
			best = Best{PSNR: m.PSNR, Iter: int(math.Round(cm.denseT[i]))}
		}
	}
	cm.ag.PredictedBestRealized = best
	cm.ag.PredictedBest = Best{PSNR: math.NaN(), Iter: -1}
	return nil
}

// gpPredict calls gp.Predict for the run's target and start, with the
// measured iterations and a dense grid up to horizon as checkpoints.
func (p *predictor) gpPredict(eta float64, obs []Measurement, dense []float64, horizon float64) (*gp.Prediction, error) {
	img := p.prob.Target
	split := func(pix []float64) [][]float64 {
		out := make([][]float64, img.C)
		for c := range out {
			out[c] = pix[c*p.hw : (c+1)*p.hw]
		}
		return out
	}
	f0 := make([][]float64, img.C)
	for c := range f0 {
		f0[c] = make([]float64, p.hw)
		y := img.Pix[c*p.hw : (c+1)*p.hw]
		for i := range f0[c] {
			f0[c][i] = y[i] + p.r0[c][i]
		}
	}
	set := map[int]bool{}
	for _, m := range obs {
		set[m.Iter] = true
	}
	for _, t := range dense {
		if t <= horizon {
			set[int(t)] = true
		}
	}
	for t := 1.0; t <= horizon; t *= 1.05 {
		set[int(math.Round(t))] = true
	}
	var cps []int
	T := 0
	for t := range set {
		cps = append(cps, t)
		T = max(T, t)
	}
	sort.Ints(cps)
	return p.k.Predict(split(img.Pix), gp.PredictOptions{LR: eta, Iters: T, Checkpoints: cps, F0: f0,
		Clean: split(p.prob.Clean.Pix), Noise: p.prob.Sigma / 255})
}

// interpMeasurement interpolates measurements made at increasing times ts
// linearly at t (clamped; NaN beyond the last time).
func interpMeasurement(ts []float64, ms []Measurement, t float64) Measurement {
	nan := func() Measurement {
		m := Measurement{Loss: math.NaN(), PSNR: math.NaN(), PSNRTarget: math.NaN(), PSNRAvg: math.NaN(), PSNRMean: math.NaN(), Seconds: math.NaN()}
		m.FBC = make([]float64, FBCBands)
		m.Ratio = make([]float64, len(ms[0].Ratio))
		for i := range m.FBC {
			m.FBC[i] = math.NaN()
		}
		for i := range m.Ratio {
			m.Ratio[i] = math.NaN()
		}
		return m
	}
	if t > ts[len(ts)-1] {
		return nan()
	}
	i := sort.SearchFloat64s(ts, t)
	if i == 0 {
		return ms[0]
	}
	a, b := ms[i-1], ms[i]
	w := (t - ts[i-1]) / (ts[i] - ts[i-1])
	l := func(x, y float64) float64 { return x + w*(y-x) }
	m := Measurement{Loss: l(a.Loss, b.Loss), PSNR: l(a.PSNR, b.PSNR), PSNRTarget: l(a.PSNRTarget, b.PSNRTarget), PSNRAvg: math.NaN(), PSNRMean: math.NaN(), Seconds: math.NaN()}
	for k := range a.FBC {
		m.FBC = append(m.FBC, l(a.FBC[k], b.FBC[k]))
	}
	for k := range a.Ratio {
		m.Ratio = append(m.Ratio, l(a.Ratio[k], b.Ratio[k]))
	}
	return m
}

// PredictDistance returns the trajectory distance SSE(t) between two runs
// that the kernel predicts for plain gradient descent (gd or the drift of
// sgld) on fit or denoise: both residuals follow (1 - eta_eff Theta)^t from
// their own start, so f1_t - f2_t = (1 - eta_eff Theta)^t (f1_0 - f2_0).
// d0 is f1_0 - f2_0; n the number of values of the image.
func PredictDistance(k *Kernel, o Optimizer, d0 imageio.Image, iters []int) ([]float64, error) {
	if !o.Kind.FixedStep() {
		return nil, fmt.Errorf("dip: %s has no fixed step; the kernel predicts the trajectory distance only for gd and sgld", o.Kind)
	}
	if err := k.fits(d0); err != nil {
		return nil, err
	}
	eta := EffectiveStep(o, len(d0.Pix))
	hw := d0.W * d0.H
	out := make([]float64, len(iters))
	for i, t := range iters {
		g := func(l float64) float64 { return math.Pow(1-eta*l, float64(t)) }
		for c := 0; c < d0.C; c++ {
			r, err := k.Prior.Apply(g, d0.Pix[c*hw:(c+1)*hw])
			if err != nil {
				return nil, err
			}
			for _, v := range r {
				out[i] += v * v
			}
		}
	}
	return out, nil
}

// MarshalJSON encodes a Best with a non-finite PSNR as null.
func (b Best) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		PSNR Num `json:"psnr"`
		Iter int `json:"iter"`
	}{Num(b.PSNR), b.Iter})
}

// UnmarshalJSON reads what MarshalJSON writes (null PSNR as NaN).
func (b *Best) UnmarshalJSON(data []byte) error {
	var v struct {
		PSNR Num `json:"psnr"`
		Iter int `json:"iter"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*b = Best{PSNR: float64(v.PSNR), Iter: v.Iter}
	return nil
}
