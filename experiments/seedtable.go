package experiments

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
)

func init() {
	register(Experiment{
		Name: "denoise-sgld-table",
		Summary: "Cheng et al.'s denoising table: DIP's optimizer (Adam) without and with input noise, each with its exponential " +
			"average, against their SGLD's posterior mean, over the 9 images and independent runs, with mean, spread and " +
			"paired differences.",
		Paper: "Cheng et al. (CVPR 2019), the denoising table (GP-DIP figs/stat-exp-results/stat_exp_results_denoising.py: " +
			"9 images x 10 runs; SGD read at iteration 500, SGD + input noise at 1800, SGLD posterior mean)",
		Images:    []string{"denoising9/"},
		TinyCost:  "about 3 s: 1 image x 2 seeds, 16x16, 40 iterations per run",
		QuickCost: "about 3 min: 3 images x 3 seeds, 32x32 centre crops, skip net of 32 channels, 600 iterations per run",
		FullCost: "about 1 year of 2-core time (estimated; run it sharded: --shard i/n): 9 images x 10 seeds, 256x256 crops, " +
			"DIP's skip net, 20,000 iterations per run (the notebook's), 3 runs per pair",
		Shardable:  true,
		ShardUnits: "(image, seed) pairs",
		run:        runDenoiseTable,
		TakesIters: true,
	})
	register(Experiment{
		Name: "inpaint-sgld-table",
		Summary: "Cheng et al.'s inpainting table: Adam without and with input noise (each with its exponential average) " +
			"against their SGLD's posterior mean on the 11 Bernoulli images with their masks, over independent runs.",
		Paper: "Cheng et al. (CVPR 2019), the Bernoulli inpainting table (GP-DIP figs/stat-exp-results/" +
			"stat_exp_results_inpainting_Bernoulli.py: 11 images x 10 runs; SGD read at 5000, SGD + input noise at 11000, SGLD posterior mean)",
		Images:    []string{"bernoulli11/"},
		TinyCost:  "about 3 s: 1 image x 2 seeds, 16x16, 40 iterations per run",
		QuickCost: "about 4 min: 3 images x 3 seeds, 32x32 centre crops with their masks, skip net of 32 channels, 600 iterations per run",
		FullCost: "about 1 year of 2-core time (estimated; run it sharded: --shard i/n): 11 images x 10 seeds, 256x256 crops, " +
			"DIP's skip net, 20,000 iterations per run, 3 runs per pair",
		Shardable:  true,
		ShardUnits: "(image, seed) pairs",
		run:        runInpaintTable,
		TakesIters: true,
	})
}

// denoising9 lists the 9-image colour denoising set (denoising9/) of DIP's
// and Cheng et al.'s denoising tables.
var denoising9 = []string{"image_Baboon512rgb.png", "image_F16_512rgb.png", "image_House256rgb.png", "image_Lena512rgb.png",
	"image_Peppers512rgb.png", "kodim01.png", "kodim02.png", "kodim03.png", "kodim12.png"}

// Cheng et al.'s settings. GP-DIP Image_Denoising.ipynb, cell "Hyper-parameters":
// LR = 0.01, reg_noise_std = 1./30., exp_weight = 0.99, input_depth = 32,
// num_iter = 20000, burnin_iter = 7000, weight_decay = 5e-8; cell "SGLD":
// MCMC_iter = 50, param_noise_sigma = 2, noise randn * param_noise_sigma *
// learning_rate added to every 4-D parameter after each Adam step, and the
// posterior mean of the outputs i > burnin_iter with i % MCMC_iter == 0.
// The stat-exp-results scripts: the iterations at which each method's PSNR
// enters their tables.
const (
	chengIters     = 20000
	chengBurnIn    = 7000
	chengMCMCIter  = 50    // one posterior sample every 50 iterations
	chengParamStd  = 2     // param_noise_sigma: noise std 2 x LR
	chengDenoiseSG = 500   // stat_exp_results_denoising.py: sgd_psnr_list[499]
	chengDenoiseIn = 1800  // fancy_sgd_psnr_list[1799]
	chengInpaintSG = 5000  // stat_exp_results_inpainting_Bernoulli.py: sgd_psnr_list[5000 - 1]
	chengInpaintIn = 11000 // fancy_sgd_psnr_list[11000 - 1]
)

// chengSchedule returns the first posterior sample and the interval
// between samples of Cheng et al.'s SGLD for a run of iters iterations:
// theirs (samples at 7050, 7100, ...: i > 7000 and i % 50 == 0) for a run
// of 20,000, and the same fractions of the run (burn-in 35%, one sample per
// 0.25% of the run, at least every iteration) for other lengths.
func chengSchedule(iters int) (first, every int) {
	burn := chengBurnIn * iters / chengIters
	every = max(1, chengMCMCIter*iters/chengIters)
	return (burn/every + 1) * every, every
}

// tableRun is one run of a seed/image table.
type tableRun struct {
	image, method string
	seed          int
	best          float64 // oracle early-stopped PSNR
	bestIter      int
	final         float64
	smoothed      float64 // last PSNR of DIP's exponential average or of the SGLD posterior mean (NaN: none)
	atPaper       float64 // PSNR at the paper's read-out iteration (SGLD: the posterior mean), NaN: none
	atPaperAvg    float64 // the exponential average at that iteration
}

// tableMethod is one optimizer of a table.
type tableMethod struct {
	label  string
	opt    dip.Optimizer
	reg    float64 // input noise std
	burn   int     // first sample of the posterior mean, -1: none
	every  int     // iterations between posterior samples
	readAt int     // the paper's read-out iteration, 0: the posterior mean at the end
}

// chengMethods returns Cheng et al.'s three optimizers with the read-out
// iterations sg and in (capped at iters) and their posterior-mean schedule
// (chengSchedule).
func chengMethods(iters, sg, in int) []tableMethod {
	first, every := chengSchedule(iters)
	return []tableMethod{
		{"Adam", dip.Optimizer{Kind: dip.Adam, LR: dip.AdamLR}, 0, -1, 0, min(sg, iters)},
		{"Adam + input noise", dip.Optimizer{Kind: dip.Adam, LR: dip.AdamLR}, dip.DefaultRegNoise, -1, 0, min(in, iters)},
		{"SGLD (Cheng et al.)", chengSGLD(), dip.DefaultRegNoise, first, every, 0},
	}
}

// chengSGLD is Cheng et al.'s SGLD: Adam with weight decay and parameter
// noise on the conv weights.
func chengSGLD() dip.Optimizer {
	return dip.Optimizer{Kind: dip.SGLDCheng, LR: dip.AdamLR, WeightDecay: dip.ChengWeightDecay, ParamNoise: chengParamStd}
}

// tableSetting is the size of a table run in a mode.
func (e *env) tableSetting() trainSetting {
	m := e.cfg.Mode
	st := trainSetting{
		side:        pick(m, 16, 32, 256),
		spec:        pick(m, "dip-skip:scales=2,channels=8,skip=4,in_channels=8", "dip-skip:scales=4,channels=32", "dip-skip"),
		iters:       pick(m, 40, 600, chengIters),
		measurement: pick(m, 20, 60, 400),
	}
	if e.cfg.Iters > 0 {
		st.iters = e.cfg.Iters
	}
	return st
}

// trainPair runs the methods on one problem; every method's network starts
// from the same seed.
func (e *env) trainPair(p pair, prob dip.Problem, a arch.Arch, spec string, st trainSetting, methods []tableMethod) ([]tableRun, error) {
	var out []tableRun
	for _, mt := range methods {
		c := dip.Config{Problem: prob, Arch: a, Iters: st.iters, Every: st.every(), Seed: e.seed(600 + p.seed),
			Opt: mt.opt, RegNoise: mt.reg, ExpAvg: dip.DefaultExpAvg, BurnIn: mt.burn, SampleEvery: mt.every}
		if mt.burn >= 0 {
			c.ExpAvg = 0
		}
		r, err := e.train(fmt.Sprintf("%s, %s, seed %d", p.image, mt.label, p.seed), spec, c, false)
		if err != nil {
			return out, err
		}
		ms := r.res.Measurements
		last := ms[len(ms)-1]
		tr := tableRun{image: p.image, method: mt.label, seed: p.seed, best: r.res.Best.PSNR, bestIter: r.res.Best.Iter,
			final: last.PSNR, smoothed: last.PSNRAvg, atPaper: math.NaN(), atPaperAvg: math.NaN()}
		if mt.burn >= 0 {
			tr.smoothed, tr.atPaper = last.PSNRMean, last.PSNRMean
		} else {
			at := measurementAt(ms, mt.readAt)
			tr.atPaper, tr.atPaperAvg = at.PSNR, at.PSNRAvg
		}
		out = append(out, tr)
	}
	return out, nil
}

// measurementAt returns the measurement whose iteration is closest to it.
func measurementAt(ms []dip.Measurement, it int) dip.Measurement {
	best := ms[0]
	for _, m := range ms {
		if math.Abs(float64(m.Iter-it)) < math.Abs(float64(best.Iter-it)) {
			best = m
		}
	}
	return best
}

func runDenoiseTable(e *env) error {
	const sigma = 25.0
	m := e.cfg.Mode
	images := pick(m, denoising9[2:3], denoising9[:3], denoising9)
	seeds := pick(m, 2, 3, 10)
	st := e.tableSetting()
	methods := chengMethods(st.iters, chengDenoiseSG, chengDenoiseIn)
	ps := pairsOf(images, seeds)
	e.steps(len(ps))
	runs, done, err := e.runPairs(ps, st.iters, func(p pair) ([]tableRun, error) {
		clean, _, err := e.testImage("denoising9/"+p.image, st.side, 3)
		if err != nil {
			return nil, err
		}
		a, spec, err := st.archFor(clean.C, arch.Standard)
		if err != nil {
			return nil, err
		}
		prob, err := dip.NewProblem(clean, dip.TaskOptions{Task: dip.Denoise, Sigma: sigma, Seed: e.seed(500 + p.seed)})
		if err != nil {
			return nil, err
		}
		return e.trainPair(p, prob, a, spec, st, methods)
	})
	e.tableSettingMD(fmt.Sprintf("the denoising set (denoising9/), Gaussian noise of std %g/255 re-drawn per seed", sigma), st, methods, len(images), seeds)
	if err != nil || !done {
		return e.shardNote(err, len(ps))
	}
	return e.tableReport(runs, methods, len(images)*seeds)
}

func runInpaintTable(e *env) error {
	m := e.cfg.Mode
	images := pick(m, bernoulli11[:1], bernoulli11[:3], bernoulli11)
	seeds := pick(m, 2, 3, 10)
	st := e.tableSetting()
	methods := chengMethods(st.iters, chengInpaintSG, chengInpaintIn)
	ps := pairsOf(images, seeds)
	e.steps(len(ps))
	runs, done, err := e.runPairs(ps, st.iters, func(p pair) ([]tableRun, error) {
		clean, _, err := e.testImage("bernoulli11/"+p.image+".png", st.side, 1)
		if err != nil {
			return nil, err
		}
		mask, err := e.testMask("bernoulli11/"+p.image+"_mask.png", st.side, clean.W, clean.H, e.seed(20))
		if err != nil {
			return nil, err
		}
		a, spec, err := st.archFor(clean.C, arch.Standard)
		if err != nil {
			return nil, err
		}
		prob, err := dip.NewProblem(clean, dip.TaskOptions{Task: dip.Inpaint, Mask: mask})
		if err != nil {
			return nil, err
		}
		return e.trainPair(p, prob, a, spec, st, methods)
	})
	e.tableSettingMD("the 11-image Bernoulli set (bernoulli11/, grey, each with its own 50% mask, centre crops of image and mask); "+
		"the loss sees the observed pixels, the PSNR is over the whole image", st, methods, len(images), seeds)
	if err != nil || !done {
		return e.shardNote(err, len(ps))
	}
	return e.tableReport(runs, methods, len(images)*seeds)
}

func (e *env) tableSettingMD(what string, st trainSetting, methods []tableMethod, nImages, seeds int) {
	e.md("## Setting\n\n%d image(s) of %s, %dx%d, x %d seeds (each seed re-draws the network, the input and the "+
		"optimizer's noise), %d iterations per run, measured every %d. Network `%s`. Methods (Cheng et al.'s "+
		"Image_Denoising.ipynb): Adam LR %g (read at iteration %d, as Cheng et al.'s table), Adam + input noise std %.4g "+
		"(read at iteration %d), Cheng et al.'s SGLD (Adam LR %g + weight decay %g + N(0, (%g LR)^2) on the conv weights "+
		"after each step, input noise %.4g; posterior mean of the outputs at iterations %d, %d, ... : one every %d from "+
		"the end of the burn-in). Adam runs also keep DIP's exponential average (weight %g), which does not change the "+
		"run. Not reproduced: the notebook's roll-back (restoring the previous parameters when the PSNR against the "+
		"noisy image drops by more than 5 dB), which dip does not implement.", nImages, what, st.side, st.side, seeds,
		st.iters, st.every(), st.spec, dip.AdamLR, methods[0].readAt, dip.DefaultRegNoise, methods[1].readAt, dip.AdamLR,
		dip.ChengWeightDecay, float64(chengParamStd), dip.DefaultRegNoise, methods[2].burn, methods[2].burn+methods[2].every,
		methods[2].every, dip.DefaultExpAvg)
}

// shardNote ends a shard's run: its units (Experiment.ShardUnits) are in
// units/, the report is made by the merge.
func (e *env) shardNote(err error, n int) error {
	if err != nil {
		return err
	}
	e.md("## Shard %d of %d\n\nThis run trained the units i with i mod %d == %d of the %d %s and wrote "+
		"them under units/; `dipgp reproduce merge` of every shard's --out folder writes the report.",
		e.cfg.Shard, e.cfg.Shards, e.cfg.Shards, e.cfg.Shard, n, e.x.ShardUnits)
	e.num("pairs_total", float64(n))
	return nil
}

// tableReport writes the table of mean ± standard deviation over the runs
// of each method and the paired differences of the SGLD posterior mean
// against the others.
func (e *env) tableReport(runs []tableRun, methods []tableMethod, pairs int) error {
	get := func(i int, f func(tableRun) float64) []float64 {
		var v []float64
		for _, r := range runs {
			if r.method == methods[i].label {
				v = append(v, f(r))
			}
		}
		return v
	}
	cols := []struct {
		key, head string
		f         func(tableRun) float64
	}{
		{"at_paper", "PSNR at the paper's read-out", func(r tableRun) float64 { return r.atPaper }},
		{"at_paper_avg", "averaged PSNR at the read-out", func(r tableRun) float64 { return r.atPaperAvg }},
		{"best", "best (oracle early-stopped) PSNR", func(r tableRun) float64 { return r.best }},
		{"final", "last PSNR", func(r tableRun) float64 { return r.final }},
		{"smoothed", "last averaged PSNR / posterior mean", func(r tableRun) float64 { return r.smoothed }},
	}
	var rows [][]string
	var csvRows [][]string
	for i, mt := range methods {
		row := []string{mt.label}
		for _, c := range cols {
			v := get(i, c.f)
			if len(v) == 0 || math.IsNaN(v[0]) {
				row = append(row, "-")
				continue
			}
			mu, sd := meanSD(v)
			e.num(fmt.Sprintf("table_%s_method%d_mean", c.key, i+1), mu)
			e.num(fmt.Sprintf("table_%s_method%d_sd", c.key, i+1), sd)
			row = append(row, fmt.Sprintf("%s ± %s", f2(mu), f2(sd)))
		}
		rows = append(rows, row)
	}
	for _, r := range runs {
		csvRows = append(csvRows, []string{r.image, fmt.Sprint(r.seed), r.method, fg(r.atPaper, 6), fg(r.atPaperAvg, 6),
			fg(r.best, 6), fmt.Sprint(r.bestIter), fg(r.final, 6), fg(r.smoothed, 6)})
	}
	if err := e.csvText("runs", []string{"image", "seed", "method", "psnr_at_paper", "psnr_avg_at_paper", "psnr_best", "best_iter",
		"psnr_final", "psnr_smoothed"}, csvRows); err != nil {
		return err
	}
	e.md("## Table\n\nMean ± standard deviation over the %d (image, seed) pairs of each method (every run in runs.csv). "+
		"For SGLD the read-out is the posterior mean at the end, as in Cheng et al.'s table.", pairs)
	head := []string{"method"}
	for _, c := range cols {
		head = append(head, c.head)
	}
	e.table(head, rows)
	sgld := get(2, func(r tableRun) float64 { return r.atPaper })
	var drows [][]string
	for _, c := range []struct {
		name, key string
		v         []float64
	}{
		{"SGLD posterior mean - Adam at the read-out", "sgld_minus_adam_paper", get(0, cols[0].f)},
		{"SGLD posterior mean - Adam averaged at the read-out", "sgld_minus_adam_avg_paper", get(0, cols[1].f)},
		{"SGLD posterior mean - Adam + input noise averaged at the read-out", "sgld_minus_noise_avg_paper", get(1, cols[1].f)},
		{"SGLD posterior mean - Adam best (oracle)", "sgld_minus_adam_best", get(0, cols[2].f)},
		{"SGLD posterior mean - Adam + input noise best (oracle)", "sgld_minus_noise_best", get(1, cols[2].f)},
	} {
		mu, se := pairedDiff(sgld, c.v)
		e.num("diff_"+c.key, mu)
		e.num("diff_"+c.key+"_se", se)
		v := "no difference claimed (|mean| < 2 SE)"
		if math.Abs(mu) > 2*se {
			v = "difference beyond 2 SE"
		}
		drows = append(drows, []string{c.name, f2(mu), f2(se), v})
	}
	e.md("Paired differences over the same image and seed (mean and standard error of the mean over %d pairs):", len(sgld))
	e.table([]string{"difference (dB)", "mean", "SE", "verdict"}, drows)
	return nil
}

// pairedDiff returns the mean of a - b and its standard error.
func pairedDiff(a, b []float64) (mu, se float64) {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	mu, sd := meanSD(d)
	return mu, sd / math.Sqrt(float64(len(d)))
}
