package experiments

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register(Experiment{
		Name: "cheng-sgld-1d",
		Summary: "Cheng et al.'s 1-D SGLD posterior: their conv-ReLU net trained with their SGLD on 10% of samples of " +
			"their two-sine signal; posterior mean and ±2 sd band over seeds, coverage of the true signal, against the " +
			"exact GP posterior with the network's infinite-width NNGP kernel.",
		Paper:    "Cheng et al. (CVPR 2019), Figure 3 (posterior); GP-DIP 1D_toy_example.ipynb, 'Posterior' cells",
		TinyCost: "about 1 s: N = 32, width 4, 8 input channels, 80 iterations, 3 seeds of each of the 2 cases",
		QuickCost: "a few minutes: N = 128, width 32, 128 input channels, Cheng's 8000 iterations (149 samples after " +
			"burn-in 5000), 3 seeds of each of the 2 cases",
		FullCost:   "about 3 times quick: the same runs over 10 seeds",
		Shardable:  true,
		ShardUnits: "(case, seed) runs",
		run:        runChengSGLD1D,
	})
}

// sgld1dCase is one of the notebook's two posterior cells: a conv-ReLU
// stack of the given depth on input noise smoothed with std sigma.
type sgld1dCase struct {
	sigma float64
	depth int
}

func (c sgld1dCase) key() string   { return fmt.Sprintf("sigma%g_depth%d", c.sigma, c.depth) }
func (c sgld1dCase) label() string { return fmt.Sprintf("sigma = %g, depth %d", c.sigma, c.depth) }

// sgld1dSetting holds the sizes of one mode.
type sgld1dSetting struct {
	n, width, inCh          int
	iters, burnIn, sampleAt int
	seeds                   int
	cases                   []sgld1dCase
}

func sgld1dSettingFor(m Mode) sgld1dSetting {
	// 1D_toy_example.ipynb: nsize = 128, max_iter = 8000, burnin_iter =
	// 5000, a sample when i > burnin_iter and i % 20 == 0 (5020 .. 7980,
	// 149 samples), net_width = 32, simple_model's input_depth = 128, the
	// cells (in_sigma, net_depth) = (2, 1) and (15, 4).
	cases := []sgld1dCase{{2, 1}, {15, 4}}
	switch m {
	case Tiny:
		return sgld1dSetting{n: 32, width: 4, inCh: 8, iters: 79, burnIn: 40, sampleAt: 4, seeds: 3,
			cases: []sgld1dCase{{2, 1}, {4, 2}}}
	case Quick:
		return sgld1dSetting{n: 128, width: 32, inCh: 128, iters: 7980, burnIn: 5020, sampleAt: 20, seeds: 3, cases: cases}
	}
	return sgld1dSetting{n: 128, width: 32, inCh: 128, iters: 7980, burnIn: 5020, sampleAt: 20, seeds: 10, cases: cases}
}

// chengSignal is the notebook's target: x = linspace(0, 1, n), y =
// 0.3 sin(8 pi x) + 0.1 sin(32 pi x).
func chengSignal(n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		x := float64(i) / float64(n-1)
		y[i] = 0.3*math.Sin(8*math.Pi*x) + 0.1*math.Sin(32*math.Pi*x)
	}
	return y
}

// chengInputScale is the standard deviation of Cheng et al.'s smoothed
// input: N(0, 1) noise filtered by a Gaussian of std sigma normalized to
// unit sum with radius ceil(3 sigma) (smooth_input), i.e. the root sum of
// squares of those taps. dipgp's filter keeps unit variance, so in_scale
// carries it.
func chengInputScale(sigma float64) float64 {
	r := int(math.Ceil(3 * sigma))
	var s, ss float64
	for t := -r; t <= r; t++ {
		g := math.Exp(-float64(t*t) / (2 * sigma * sigma))
		s += g
		ss += g * g
	}
	return math.Sqrt(ss) / s
}

// sgld1dArch is simple_model: depth x [3-tap conv without bias, ReLU] from
// inCh input channels, then a 3-tap conv to one channel; weights
// N(0, 1/fan_in). dipgp pads circularly on the n-point grid where the
// notebook uses valid convolutions on n + 2 (depth + 1) points.
func sgld1dArch(c sgld1dCase, s sgld1dSetting) (arch.Arch, string, error) {
	spec := fmt.Sprintf("conv-stack:dims=1,depth=%d,channels=%d,in_channels=%d,sigma=%g,in_scale=%.10g,init=normal,sw=1,pad=circular",
		c.depth, s.width, s.inCh, c.sigma, chengInputScale(c.sigma))
	a, err := arch.Parse(spec)
	if err != nil {
		return arch.Arch{}, "", err
	}
	a.Layers = append(a.Layers, arch.Conv{Out: 1, K: 3, Stride: 1})
	if err := a.Validate([]int{s.n}); err != nil {
		return arch.Arch{}, "", fmt.Errorf("%s + conv to 1 channel at N = %d: %w", spec, s.n, err)
	}
	return a, spec + " + 3-tap conv to 1 channel", nil
}

// sgld1dUnit is one SGLD run's posterior: the pointwise mean and standard
// deviation of its samples. It is what a shard stores per (case, seed).
type sgld1dUnit struct {
	Experiment string    `json:"experiment"`
	Mode       string    `json:"mode"`
	Seed       uint64    `json:"seed"`
	Case       string    `json:"case"`
	RunSeed    int       `json:"run_seed"`
	Samples    int       `json:"samples"`
	Mean       []float64 `json:"mean"`
	SD         []float64 `json:"sd"`
}

// sgldPosterior trains one network with Cheng et al.'s SGLD and returns
// the mean and standard deviation (numpy's, ddof 0) of the outputs taken
// after burn-in.
func (e *env) sgldPosterior(a arch.Arch, prob dip.Problem, s sgld1dSetting, seed uint64, label string) (sgld1dUnit, error) {
	// 1D_toy_example.ipynb: Adam lr = 0.001, weight_decay = 1e-5, then
	// N(0, (param_noise_sigma lr)^2) on the conv weights, param_noise_sigma
	// = 2; loss (diff*diff).sum(); no input perturbation.
	cfg := dip.Config{Arch: a, Problem: prob, Iters: s.iters, Every: s.sampleAt, Seed: seed, BurnIn: -1, SumLoss: true,
		Opt: dip.Optimizer{Kind: dip.SGLDCheng, LR: 0.001, WeightDecay: 1e-5, ParamNoise: 2}}
	n := prob.Clean.W
	sum, sq := make([]float64, n), make([]float64, n)
	k := 0
	prog := e.sub(label + ": iteration")
	_, err := dip.Train(e.ctx, cfg, func(ev dip.Event) error {
		t := ev.Measurement.Iter
		prog(t, s.iters)
		if t < s.burnIn || ev.Output.Pix == nil {
			return nil
		}
		for i, v := range ev.Output.Pix {
			sum[i] += v
			sq[i] += v * v
		}
		k++
		return nil
	})
	if err != nil {
		return sgld1dUnit{}, fmt.Errorf("%s: %w", label, err)
	}
	u := sgld1dUnit{Samples: k, Mean: make([]float64, n), SD: make([]float64, n)}
	for i := range sum {
		m := sum[i] / float64(k)
		u.Mean[i] = m
		u.SD[i] = math.Sqrt(math.Max(0, sq[i]/float64(k)-m*m))
	}
	return u, nil
}

// gpPosterior is the exact GP regression of the observed values of y with
// the covariance K (n x n, row-major) and noise variance s2: pointwise
// posterior mean and standard deviation.
func gpPosterior(K []float64, y []float64, mask []bool, s2 float64) (mean, sd []float64, err error) {
	n := len(y)
	var obs []int
	for i, m := range mask {
		if m {
			obs = append(obs, i)
		}
	}
	no := len(obs)
	koo := mat.NewSymDense(no, nil)
	yo := mat.NewVecDense(no, nil)
	for a, i := range obs {
		yo.SetVec(a, y[i])
		for b, j := range obs {
			v := K[i*n+j]
			if a == b {
				v += s2
			}
			koo.SetSym(a, b, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(koo) {
		return nil, nil, fmt.Errorf("the kernel on the %d observed points is not positive definite; raise the noise variance (now %g)", no, s2)
	}
	var alpha mat.VecDense
	if err := ch.SolveVecTo(&alpha, yo); err != nil {
		return nil, nil, err
	}
	mean, sd = make([]float64, n), make([]float64, n)
	kio := mat.NewVecDense(no, nil)
	var w mat.VecDense
	for i := 0; i < n; i++ {
		for a, j := range obs {
			kio.SetVec(a, K[i*n+j])
		}
		mean[i] = mat.Dot(kio, &alpha)
		if err := ch.SolveVecTo(&w, kio); err != nil {
			return nil, nil, err
		}
		sd[i] = math.Sqrt(math.Max(0, K[i*n+i]-mat.Dot(kio, &w)))
	}
	return mean, sd, nil
}

func (e *env) writeSGLD1DUnit(c sgld1dCase, seed int, u sgld1dUnit) error {
	u.Experiment, u.Mode, u.Seed, u.Case, u.RunSeed = e.x.Name, e.cfg.Mode.String(), e.cfg.Seed, c.key(), seed
	return e.writeUnitFile(fmt.Sprintf("%s_seed%02d.json", c.key(), seed), u)
}

func (e *env) readSGLD1DUnit(c sgld1dCase, seed int) (sgld1dUnit, error) {
	var u sgld1dUnit
	path, err := e.readUnitFile(fmt.Sprintf("%s_seed%02d.json", c.key(), seed), &u)
	if err != nil {
		return sgld1dUnit{}, err
	}
	if path == "" {
		return sgld1dUnit{}, fmt.Errorf("no shard holds %s run %d of %s: a shard is missing or did not finish; run it and merge again", c.key(), seed, e.x.Name)
	}
	if u.Experiment != e.x.Name || u.Mode != e.cfg.Mode.String() || u.Seed != e.cfg.Seed || u.Case != c.key() || u.RunSeed != seed {
		return sgld1dUnit{}, fmt.Errorf("%s holds %s, %s mode, seed %d, %s run %d; this merge expects %s, %s mode, seed %d, %s run %d: "+
			"the shards were run with other settings (mode, --seed)", path, u.Experiment, u.Mode, u.Seed, u.Case, u.RunSeed,
			e.x.Name, e.cfg.Mode, e.cfg.Seed, c.key(), seed)
	}
	return u, nil
}

func runChengSGLD1D(e *env) error {
	s := sgld1dSettingFor(e.cfg.Mode)
	y := chengSignal(s.n)
	// np.random.rand(nsize) > mask_threshold = 0.9: each sample observed
	// with probability 0.1; noise_scale = 0. One mask for every run.
	prob, err := dip.NewSignalProblem(y, dip.TaskOptions{Task: dip.Inpaint, Keep: 0.1, Seed: e.seed(1)})
	if err != nil {
		return err
	}
	e.steps(len(s.cases) * (s.seeds + 1))
	e.sgld1dSettingText(s, prob)
	merging, sharded := len(e.cfg.MergeFrom) > 0, e.cfg.Shards > 1
	unit := 0
	for _, c := range s.cases {
		a, spec, err := sgld1dArch(c, s)
		if err != nil {
			return err
		}
		var units []sgld1dUnit
		for r := 0; r < s.seeds; r++ {
			i := unit
			unit++
			switch {
			case merging:
				u, err := e.readSGLD1DUnit(c, r)
				if err != nil {
					return err
				}
				units = append(units, u)
				continue
			case sharded && i%e.cfg.Shards != e.cfg.Shard:
				continue
			}
			u, err := e.sgldPosterior(a, prob, s, e.seed(100+i), fmt.Sprintf("%s, seed %d", c.label(), r))
			if err != nil {
				return err
			}
			if sharded {
				if err := e.writeSGLD1DUnit(c, r, u); err != nil {
					return err
				}
			}
			units = append(units, u)
			if err := e.step(fmt.Sprintf("%s, seed %d", c.label(), r)); err != nil {
				return err
			}
		}
		if sharded {
			continue
		}
		if err := e.sgld1dCaseReport(c, a, spec, prob, units); err != nil {
			return err
		}
		if err := e.step(c.label() + ": GP posterior and report"); err != nil {
			return err
		}
	}
	if sharded {
		e.md("This is shard %d of %d: its runs are under units/; `dipgp reproduce merge` makes the report.", e.cfg.Shard, e.cfg.Shards)
	}
	return nil
}

func (e *env) sgld1dSettingText(s sgld1dSetting, prob dip.Problem) {
	obs := 0
	for _, m := range prob.Mask {
		if m {
			obs++
		}
	}
	e.md("## Setting\n\nGP-DIP `1D_toy_example.ipynb` ('Posterior' cells): the signal y = 0.3 sin(8 pi x) + 0.1 sin(32 pi x) "+
		"on x = linspace(0, 1, %d), no noise, each sample observed with probability 0.1 (here %d of %d, one mask for every run). "+
		"The network is the notebook's `simple_model`: depth x [3-tap conv without bias, ReLU] from %d channels of N(0, 1) noise "+
		"smoothed by a unit-sum Gaussian of std sigma, then a 3-tap conv to one channel, weights N(0, 1/fan_in), width %d. "+
		"Cheng et al.'s SGLD: Adam (lr 0.001, weight decay 1e-5) on the summed squared error of the observed samples, then "+
		"N(0, (2 lr)^2) noise on every conv weight; %d iterations, a sample every %d from iteration %d (%d samples); the "+
		"posterior is the samples' pointwise mean and standard deviation. dipgp pads circularly on the %d-point grid (the "+
		"notebook uses valid convolutions on a longer input) and smooths the input circularly with its own filter scaled to "+
		"the notebook's input variance.\n\nThe GP posterior is exact regression on the observed samples with the "+
		"infinite-width NNGP kernel of the same network (`kernel.Compute`, the prior of the network at initialization), noise "+
		"variance %g k(0) (the data are noise-free; the jitter keeps the solve stable). Coverage is the fraction of unobserved "+
		"samples whose true value lies within the posterior mean ± 2 sd.",
		s.n, obs, s.n, s.inCh, s.width, s.iters+1, s.sampleAt, s.burnIn, (s.iters-s.burnIn)/s.sampleAt+1, s.n, gpJitter)
}

// gpJitter is the GP's noise variance relative to the prior variance k(0).
const gpJitter = 1e-6

// sgld1dStats are one SGLD run's numbers against the truth and the GP.
type sgld1dStats struct {
	rmseTruth, rmseGP, coverage, sdRatio, sdCorr, bandWidth float64
}

func sgld1dCompare(u sgld1dUnit, y, gpMean, gpSD []float64, mask []bool) sgld1dStats {
	var st sgld1dStats
	var se, sg, cov, ssg, sgp float64
	k := 0
	for i := range y {
		if mask[i] {
			continue
		}
		k++
		se += sgldSq(u.Mean[i] - y[i])
		sg += sgldSq(u.Mean[i] - gpMean[i])
		if math.Abs(y[i]-u.Mean[i]) <= 2*u.SD[i] {
			cov++
		}
		ssg += u.SD[i]
		sgp += gpSD[i]
	}
	st.rmseTruth = math.Sqrt(se / float64(k))
	st.rmseGP = math.Sqrt(sg / float64(k))
	st.coverage = cov / float64(k)
	st.sdRatio = ssg / sgp
	st.bandWidth = 4 * ssg / float64(k)
	st.sdCorr = sgldCorr(u.SD, gpSD)
	return st
}

func sgldSq(v float64) float64 { return v * v }

func sgldCorr(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += sgldSq(a[i] - ma)
		sbb += sgldSq(b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func (e *env) sgld1dCaseReport(c sgld1dCase, a arch.Arch, spec string, prob dip.Problem, units []sgld1dUnit) error {
	n := prob.Clean.W
	y, mask := prob.Clean.Pix, prob.Mask
	nngp, _, err := kernel.Compute(e.ctx, a, []int{n}, kernel.Options{Workers: e.cfg.Workers})
	if err != nil {
		return err
	}
	K := nngp.Dense()
	gpMean, gpSD, err := gpPosterior(K, y, mask, gpJitter*K[0])
	if err != nil {
		return fmt.Errorf("%s: GP posterior: %w", c.label(), err)
	}
	gp := sgld1dCompare(sgld1dUnit{Mean: gpMean, SD: gpSD}, y, gpMean, gpSD, mask)
	var cols [6][]float64
	var rows [][]string
	for r, u := range units {
		st := sgld1dCompare(u, y, gpMean, gpSD, mask)
		for j, v := range []float64{st.rmseTruth, st.rmseGP, st.coverage, st.sdRatio, st.sdCorr, st.bandWidth} {
			cols[j] = append(cols[j], v)
		}
		rows = append(rows, []string{fmt.Sprintf("SGLD seed %d (%d samples)", r, u.Samples), f(st.rmseTruth), f(st.rmseGP),
			f(st.coverage), f(st.sdRatio), f(st.sdCorr), f(st.bandWidth)})
	}
	names := []string{"rmse_truth", "rmse_to_gp_mean", "coverage", "sd_ratio_to_gp", "sd_corr_with_gp", "band_width"}
	summary := []string{fmt.Sprintf("SGLD, mean ± sd over %d seeds", len(units))}
	for j, name := range names {
		m, sd := meanSD(cols[j])
		e.num(fmt.Sprintf("%s_sgld_%s_mean", c.key(), name), m)
		e.num(fmt.Sprintf("%s_sgld_%s_sd", c.key(), name), sd)
		summary = append(summary, f(m)+" ± "+fg(sd, 2))
	}
	rows = append(rows, summary, []string{"GP posterior (NNGP kernel)", f(gp.rmseTruth), "0", f(gp.coverage), "1", "1", f(gp.bandWidth)})
	e.num(c.key()+"_gp_rmse_truth", gp.rmseTruth)
	e.num(c.key()+"_gp_coverage", gp.coverage)
	e.num(c.key()+"_gp_band_width", gp.bandWidth)
	e.md("## %s\n\nNetwork: `%s`.", c.label(), spec)
	e.md("Over the unobserved samples: RMSE of the posterior mean to the true signal and to the GP mean, coverage of the " +
		"true signal by mean ± 2 sd, the mean SGLD sd over the mean GP sd, the correlation of the SGLD and GP sd profiles " +
		"(all samples), and the mean width (4 sd) of the band.")
	e.table([]string{"posterior", "RMSE to truth", "RMSE to GP mean", "coverage (±2 sd)", "sd / GP sd", "sd corr. with GP", "band width"}, rows)
	return e.sgld1dOutputs(c, prob, gpMean, gpSD, units)
}

func (e *env) sgld1dOutputs(c sgld1dCase, prob dip.Problem, gpMean, gpSD []float64, units []sgld1dUnit) error {
	n := prob.Clean.W
	y := prob.Clean.Pix
	header := []string{"index", "x", "truth", "observed", "gp_mean", "gp_sd"}
	for r := range units {
		header = append(header, fmt.Sprintf("sgld_mean_seed%d", r), fmt.Sprintf("sgld_sd_seed%d", r))
	}
	xs := make([]float64, n)
	data := make([][]float64, n)
	for i := range data {
		xs[i] = float64(i)
		o := 0.0
		if prob.Mask[i] {
			o = 1
		}
		data[i] = []float64{float64(i), float64(i) / float64(n-1), y[i], o, gpMean[i], gpSD[i]}
		for _, u := range units {
			data[i] = append(data[i], u.Mean[i], u.SD[i])
		}
	}
	if err := e.csv("posterior_"+c.key(), header, data); err != nil {
		return err
	}
	band := func(m, s []float64, k float64) (lo, hi []float64) {
		for i := range m {
			lo = append(lo, m[i]-k*s[i])
			hi = append(hi, m[i]+k*s[i])
		}
		return lo, hi
	}
	glo, ghi := band(gpMean, gpSD, 2)
	u0 := units[0]
	slo, shi := band(u0.Mean, u0.SD, 2)
	var obsX, obsY []float64
	for i, m := range prob.Mask {
		if m {
			obsX, obsY = append(obsX, float64(i)), append(obsY, y[i])
		}
	}
	pa, err := lines(c.label()+": posterior ± 2 sd", "sample index", "value", []plotting.Series{
		{Name: "true signal", X: xs, Y: y, Color: 7},
		{Name: "SGLD mean (seed 0)", X: xs, Y: u0.Mean, Lo: slo, Hi: shi, Color: 0},
		{Name: "GP mean (NNGP)", X: xs, Y: gpMean, Lo: glo, Hi: ghi, Dashed: true, Color: 1},
		{Name: "observed", X: obsX, Y: obsY, Dashed: true, Color: 3},
	}, plotting.Options{LegendOutside: true})
	if err != nil {
		return err
	}
	sds := []plotting.Series{{Name: "GP sd", X: xs, Y: gpSD, Dashed: true, Color: 1}}
	for r, u := range units {
		sds = append(sds, plotting.Series{Name: fmt.Sprintf("SGLD sd, seed %d", r), X: xs, Y: u.SD, Color: 2 + r})
	}
	pb, err := lines(c.label()+": posterior sd", "sample index", "standard deviation", sds, plotting.Options{LegendOutside: true})
	if err != nil {
		return err
	}
	return e.grid("posterior_"+c.key(), c.label()+": (left) true signal, observed samples (joined), SGLD posterior mean ± 2 sd "+
		"of seed 0 and the GP posterior with the NNGP kernel; (right) pointwise sd of every SGLD seed and of the GP",
		[][]*plot.Plot{{pa, pb}}, 2*panelW+3*72, panelH)
}
