package experiments

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/imageio"
)

func init() {
	register(Experiment{
		Name: "denoise-sgld",
		Summary: "Denoising PSNR over iterations for DIP's optimizer (Adam) without and with input noise, with DIP's exponential " +
			"output averaging, plain gradient descent, and SGLD in both forms (Cheng et al.'s Adam + parameter noise, and textbook " +
			"Langevin dynamics) with their posterior means.",
		Paper:      "Cheng et al. (CVPR 2019), the denoising curves (PSNR against iterations for the SGD variants and SGLD)",
		Images:     []string{"house256rgb.png"},
		TinyCost:   "about 3 s: 16x16, a 2-scale skip net of 8 channels, 40 iterations per run",
		QuickCost:  "about 3 min: 64x64 centre crop, 5-scale skip net of 64 channels, 1000 iterations per run (5 runs; the table over images and seeds is denoise-sgld-table)",
		FullCost:   "about 4 days of 2-core time (estimated; run it sharded over its 5 runs: --shard i/5): 256x256, DIP's skip net (128 channels, Cheng et al.'s), 20,000 iterations per run (Cheng et al.'s)",
		Shardable:  true,
		ShardUnits: "training runs",
		run:        runDenoiseSGLD,
		TakesIters: true,
	})
	register(Experiment{
		Name: "spectral-order",
		Summary: "DIP fitting the triangle images of the spectral-bias paper (triangle-0.2, triangle-0.9): the trajectory " +
			"distance between two runs from independent initializations, per-band (FBC) fitting curves, and the order in " +
			"which frequencies are fitted, observed and predicted by the NTK.",
		Paper:      "Chakrabarty and Maji (2019), the triangle experiments (trajectory distance, low frequencies first)",
		Images:     []string{"triangle-0.2.png", "triangle-0.9.png"},
		TinyCost:   "about 3 s: 16x16, 30 iterations per run (2 images x 2 pairs of runs)",
		QuickCost:  "about 8 min: 64x64 centre crops, skip net of 64 channels, 1000 iterations per run (2 images x 3 pairs of runs)",
		FullCost:   "about 25 h of 2-core time (estimated; run it sharded over its 10 pairs of runs: --shard i/10): 256x256, the authors' skip net (256 channels), 1000 iterations per run (2 images x 5 pairs of runs)",
		Shardable:  true,
		ShardUnits: "(image, seed) pairs of runs",
		run:        runSpectralOrder,
		TakesIters: true,
	})
	register(Experiment{
		Name: "spectral-lowpass",
		Summary: "Early-stopped DIP outputs against the kernel's low-pass filter of the target: the PSNR between the " +
			"observed output and the NTK's prediction f_t = y + g_t(Theta)(f_0 - y) at the best iteration, and the predicted " +
			"against the observed best stopping iteration and PSNR, for gradient descent and Adam, over (image, seed) pairs " +
			"with mean, spread and verdicts against the standard error.",
		Paper:     "Chakrabarty and Maji (2019): early stopping acts as a low-pass filter; dipgp's NTK prediction of it",
		Images:    []string{"cameraman256.png", "denoising9/"},
		TinyCost:  "about 4 s: 1 image x 2 seeds, 16x16, 40 iterations per run",
		QuickCost: "about 15 min: 2 images (cameraman, house) x 3 seeds, 64x64 centre crops, skip net of 64 channels (NTK parameterization for gd), 800 iterations per run (2 runs per pair)",
		FullCost: "about 3 days of 2-core time (estimated; run it sharded: --shard i/n): 10 images (cameraman and the 9 of denoising9, grey) x 3 seeds, " +
			"256x256, DIP's skip net, 3000 iterations per run (2 runs per pair)",
		Shardable:  true,
		ShardUnits: "(image, seed) pairs",
		run:        runSpectralLowpass,
		TakesIters: true,
	})
	register(Experiment{
		Name: "fbc",
		Summary: "Frequency-band correspondence (FBC) curves of Shi et al. for denoising with DIP's skip net, observed " +
			"during training and predicted by the NTK, for Adam (fitted time scale) and gradient descent (no fitted parameter).",
		Paper:      "Shi et al. (IJCV 2022), the FBC curves of DIP denoising (5 bands)",
		Images:     []string{"house256rgb.png"},
		TinyCost:   "about 2 s: 16x16, 40 iterations per run",
		QuickCost:  "about 4 min: 64x64 centre crop, skip net of 64 channels, 1000 iterations per run (2 runs, and 3 seeds of Adam for the FBC at the PSNR peak)",
		FullCost:   "about 10 h of 2-core time (estimated; run it sharded over its 5 runs: --shard i/5): 256x256, DIP's skip net, 3000 iterations per run (2 runs, and 3 seeds of Adam)",
		Shardable:  true,
		ShardUnits: "training runs (the two curves and the seeds at the PSNR peak)",
		run:        runFBC,
		TakesIters: true,
	})
}

// trainSetting is the image size, network and run length of a mode.
type trainSetting struct {
	side        int
	spec        string
	iters       int
	measurement int // number of measurements along a run
}

func (e *env) trainSetting(iters [3]int, channels int) trainSetting {
	m := e.cfg.Mode
	s := trainSetting{
		side:        pick(m, 16, 64, 256),
		spec:        pick(m, "dip-skip:scales=2,channels=8,skip=4,in_channels=8", fmt.Sprintf("dip-skip:channels=%d", channels), "dip-skip"),
		iters:       pick(m, iters[0], iters[1], iters[2]),
		measurement: pick(m, 10, 100, 150),
	}
	if e.cfg.Iters > 0 {
		s.iters = e.cfg.Iters
	}
	return s
}

func (s trainSetting) every() int { return max(1, s.iters/s.measurement) }

// archFor returns the setting's network for an image with c channels, in
// the given parameterization.
func (s trainSetting) archFor(c int, param arch.Param) (arch.Arch, string, error) {
	spec := fmt.Sprintf("%s,out_channels=%d", s.spec, c)
	if !strings.Contains(s.spec, ":") {
		spec = fmt.Sprintf("%s:out_channels=%d", s.spec, c)
	}
	if param == arch.NTK {
		spec += ",param=ntk"
	}
	a, err := parseArch(spec, []int{s.side, s.side})
	return a, spec, err
}

// run is one training run and, when kept, its outputs at the measured
// iterations.
type run struct {
	label   string
	spec    string
	cfg     dip.Config
	res     dip.Result
	outputs map[int]imageio.Image
}

// train runs dip.Train with progress, keeping the outputs at the measured
// iterations when keep is set (and those listed in at).
func (e *env) train(label, spec string, cfg dip.Config, keep bool) (*run, error) {
	r := &run{label: label, spec: spec, cfg: cfg, outputs: map[int]imageio.Image{}}
	prog := e.sub(label + ": iteration")
	res, err := dip.Train(e.ctx, cfg, func(ev dip.Event) error {
		prog(ev.Measurement.Iter, cfg.Iters)
		if keep && ev.Output.Pix != nil {
			r.outputs[ev.Measurement.Iter] = ev.Output
		}
		return nil
	})
	r.res = res
	if err != nil {
		return r, fmt.Errorf("%s: %w", label, err)
	}
	return r, nil
}

// curve returns the iterations and values of a measurement field, leaving
// out NaN values.
func curve(ms []dip.Measurement, get func(dip.Measurement) float64) (x, y []float64) {
	for _, m := range ms {
		v := get(m)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		x = append(x, float64(m.Iter))
		y = append(y, v)
	}
	return x, y
}

// metricsCSV writes a run's measurements with dip's metrics table.
func (e *env) metricsCSV(name string, r *run) error {
	var b strings.Builder
	bins := r.cfg.Bins
	if bins == 0 {
		bins = dip.DefaultBins(r.cfg.Problem.Target.W, r.cfg.Problem.Target.H)
	}
	if err := dip.WriteMetrics(&b, r.res.Measurements, bins); err != nil {
		return err
	}
	rel := name + ".csv"
	if err := writeText(e, rel, b.String()); err != nil {
		return err
	}
	return nil
}

// denoiseCase is the set-up shared by the denoising experiments: the
// house image with seeded Gaussian noise, the skip net in the standard and
// the NTK parameterization, and the NTK of the latter.
type denoiseCase struct {
	st              trainSetting
	clean           imageio.Image
	src             string
	prob            dip.Problem
	n               int
	aSP, aNTK       arch.Arch
	specSP, specNTK string
	k               *dip.Kernel
}

func (e *env) denoiseCase(iters [3]int, sigma float64, steps int) (denoiseCase, error) {
	var d denoiseCase
	d.st = e.trainSetting(iters, 64)
	var err error
	if d.clean, d.src, err = e.testImage("house256rgb.png", d.st.side, 3); err != nil {
		return d, err
	}
	if d.prob, err = dip.NewProblem(d.clean, dip.TaskOptions{Task: dip.Denoise, Sigma: sigma, Seed: e.seed(1)}); err != nil {
		return d, err
	}
	d.n = len(d.prob.Target.Pix)
	e.steps(steps)
	if d.aSP, d.specSP, err = d.st.archFor(d.clean.C, arch.Standard); err != nil {
		return d, err
	}
	if d.aNTK, d.specNTK, err = d.st.archFor(d.clean.C, arch.NTK); err != nil {
		return d, err
	}
	d.k, err = dip.NewKernel(e.ctx, d.aNTK, []int{d.st.side, d.st.side})
	return d, err
}

func runDenoiseSGLD(e *env) error {
	const sigma = 25.0
	d, err := e.denoiseCase([3]int{40, 1000, chengIters}, sigma, 6)
	if err != nil {
		return err
	}
	st, src, prob, n, k := d.st, d.src, d.prob, d.n, d.k
	aSP, specSP, aNTK, specNTK := d.aSP, d.specSP, d.aNTK, d.specNTK
	lmax := k.Prior.MaxEigenvalue()
	gdLR, err := dip.DefaultLR(dip.GD, k, n, 0)
	if err != nil {
		return err
	}
	s := sigma / 255
	sgldLR, err := dip.DefaultLR(dip.SGLD, k, n, s)
	if err != nil {
		return err
	}
	burn := dip.DefaultBurnIn(dip.SGLD, st.iters)
	chengFirst, chengEvery := chengSchedule(st.iters)
	if err := e.step("kernel"); err != nil {
		return err
	}
	base := dip.Config{Problem: prob, Iters: st.iters, Every: st.every(), Seed: e.seed(2), BurnIn: -1}
	type spec struct {
		label, spec string
		cfg         dip.Config
	}
	var specs []spec
	add := func(label, sp string, a arch.Arch, opt dip.Optimizer, reg, avg float64, burnIn, every int) {
		c := base
		c.Arch, c.Opt, c.RegNoise, c.ExpAvg, c.BurnIn, c.SampleEvery = a, opt, reg, avg, burnIn, every
		specs = append(specs, spec{label, sp, c})
	}
	add("Adam", specSP, aSP, dip.Optimizer{Kind: dip.Adam, LR: dip.AdamLR}, 0, 0, -1, 0)
	add("Adam + input noise", specSP, aSP, dip.Optimizer{Kind: dip.Adam, LR: dip.AdamLR}, dip.DefaultRegNoise, dip.DefaultExpAvg, -1, 0)
	add("GD (NTK param.)", specNTK, aNTK, dip.Optimizer{Kind: dip.GD, LR: gdLR}, 0, dip.DefaultExpAvg, -1, 0)
	add("SGLD (Cheng et al.)", specSP, aSP, chengSGLD(), dip.DefaultRegNoise, 0, chengFirst, chengEvery)
	add("SGLD (Langevin, NTK param.)", specNTK, aNTK, dip.Optimizer{Kind: dip.SGLD, LR: sgldLR, NoiseStd: s}, 0, 0, burn, 0)
	e.md("## Setting\n\nImage: %s, Gaussian noise of std %g/255 (`dip.NewProblem`, seed %d). DIP's loss mean((f - y)^2), "+
		"%d iterations per run, measured every %d. Networks: `%s` (standard parameterization, PyTorch's initialization) "+
		"for Adam and Cheng et al.'s SGLD; `%s` (NTK parameterization) for gradient descent and textbook SGLD, whose steps "+
		"are set from the exact NTK's largest eigenvalue lambda_max = %s (`dip.NewKernel`): gd LR = 0.5 x the step at which "+
		"eta_eff lambda_max = 1 (%s), SGLD eps = 2 s^2 x 0.5 / lambda_max = %s with s = %g/255.\n\n"+
		"| run | optimizer | input noise | averaging |\n| --- | --- | --- | --- |\n"+
		"| Adam | Adam, LR 0.01 | none | none |\n"+
		"| Adam + input noise | Adam, LR 0.01 | std 1/30 per step (DIP) | DIP's exponential average, weight 0.99 |\n"+
		"| GD (NTK param.) | gradient descent | none | exponential average, weight 0.99 |\n"+
		"| SGLD (Cheng et al.) | Adam LR 0.01 + weight decay 5e-8 + N(0, (2 LR)^2) on conv weights | std 1/30 | posterior mean of the outputs at iterations %d, %d, ... (Cheng et al.'s schedule, scaled to the run) |\n"+
		"| SGLD (Langevin) | theta -= eps/2 grad U + N(0, eps), Gaussian likelihood (std s) and prior | none | posterior mean after iteration %d |\n",
		src, sigma, e.seed(1), st.iters, st.every(), specSP, specNTK, fg(lmax, 4), fg(gdLR, 3), fg(sgldLR, 3), sigma, chengFirst, chengFirst+chengEvery, burn)
	labels := make([]string, len(specs))
	for i, sp := range specs {
		labels[i] = sp.label
	}
	var shown denoiseImages
	units, done, err := e.runUnits(labels, st.iters, func(i int) (unitData, error) {
		sp := specs[i]
		r, err := e.train(sp.label, sp.spec, sp.cfg, false)
		if err != nil {
			return unitData{}, err
		}
		if err := e.denoiseRunFiles(fmt.Sprintf("run%d", i+1), r, &shown); err != nil {
			return unitData{}, err
		}
		return denoiseUnit(r), e.step(sp.label)
	})
	if !done && err == nil {
		return e.shardNote(nil, len(specs))
	}
	if err != nil {
		if len(units) > 0 && e.cfg.Shards <= 1 {
			_ = e.denoiseReport(units, labels, prob, shown)
		}
		return err
	}
	return e.denoiseReport(units, labels, prob, shown)
}

// writeText writes a text file atomically into the experiment's folder.
func writeText(e *env, rel, s string) error {
	if err := atomicfile.WriteFile(filepath.Join(e.dir, rel), []byte(s), 0o644); err != nil {
		return err
	}
	e.addFile(rel)
	return nil
}

// nearestIter returns the measured iteration closest to t.
func nearestIter(ms []dip.Measurement, t int) int {
	best := ms[0].Iter
	for _, m := range ms {
		if abs(m.Iter-t) < abs(best-t) {
			best = m.Iter
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// m2psnr returns the PSNR measured at iteration t.
func m2psnr(ms []dip.Measurement, t int) float64 {
	for _, m := range ms {
		if m.Iter == t {
			return m.PSNR
		}
	}
	return math.NaN()
}

func halfIter(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "not reached"
	}
	return fmt.Sprintf("%.0f", v)
}

// itersOf returns the measured iterations.
func itersOf(ms []dip.Measurement) []float64 {
	out := make([]float64, len(ms))
	for i, m := range ms {
		out[i] = float64(m.Iter)
	}
	return out
}

// field returns one value of every measurement.
func field(ms []dip.Measurement, get func(dip.Measurement) float64) []float64 {
	out := make([]float64, len(ms))
	for i, m := range ms {
		out[i] = get(m)
	}
	return out
}

// complement returns 1 - v (a rising FBC curve as a falling one, for
// dip.HalfFit).
func complement(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = 1 - x
	}
	return out
}
