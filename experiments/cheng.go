package experiments

import (
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
	"github.com/dipgp/dipgp/netinit"
)

func init() {
	register(Experiment{
		Name:    "cheng-kernels-1d",
		Summary: "Exact normalized NNGP kernels of 1-D conv-ReLU stacks against offset: the input smoothing sigma in {0, 10, 15, 60} at depth 2, and depth 1 to 4 at sigma = 2.",
		Paper: "Cheng et al. (CVPR 2019), the analytic kernels of the 1-D toy (their 1D_toy_example notebook, " +
			"Figure 3 of the paper), and docs/theory.md section 7",
		TinyCost:  "< 1 s: N = 256",
		QuickCost: "< 1 s: N = 1024 (the same as full: the analytic kernels cost nothing)",
		FullCost:  "< 1 s: N = 1024",
		run:       runChengKernels,
	})
	register(Experiment{
		Name:     "cheng-mc-1d",
		Summary:  "The kernels of cheng-kernels-1d against Monte Carlo estimates from random finite networks, with ±2 standard-error bands and the check's verdict.",
		Paper:    "Cheng et al. (CVPR 2019), Figure 3: analytic against numerical kernels of the 1-D conv-ReLU toy (width 256)",
		TinyCost: "about 2 s: N = 64, width 16, 16 networks per curve",
		QuickCost: "about 30 s: N = 512, width 128, 200 networks per curve (8 curves); " +
			"error bars about 7 times wider than full mode's, finite-width bias twice as large",
		FullCost:     "about 2 h: N = 1024, width 256, 10,000 networks per curve (8 curves)",
		Shardable:    true,
		ShardUnits:   "random networks of each Monte Carlo check",
		run:          runChengMC,
		TakesSamples: true,
	})
}

// chengCase is one curve of Cheng et al.'s 1-D toy: a conv-ReLU stack of
// the given depth on noise smoothed with a Gaussian of std sigma.
type chengCase struct {
	sigma float64
	depth int
	panel int // 0: sigma sweep, 1: depth sweep
}

func (c chengCase) label() string { return fmt.Sprintf("sigma=%g, depth=%d", c.sigma, c.depth) }
func (c chengCase) key() string   { return fmt.Sprintf("sigma%g_depth%d", c.sigma, c.depth) }

func chengCases() []chengCase {
	var cs []chengCase
	for _, s := range []float64{0, 10, 15, 60} {
		cs = append(cs, chengCase{s, 2, 0})
	}
	for d := 1; d <= 4; d++ {
		cs = append(cs, chengCase{2, d, 1})
	}
	return cs
}

func (c chengCase) spec(width int) string {
	return fmt.Sprintf("conv-stack:dims=1,depth=%d,sigma=%g,channels=%d", c.depth, c.sigma, width)
}

// profile returns the phase-averaged map at offsets 0..maxOff divided by
// norm (1-D maps).
func profile(m kernel.Map, maxOff int, norm float64) (x, y []float64) {
	s := m.Stationary()
	for d := 0; d <= maxOff && d < len(s.Data); d++ {
		x = append(x, float64(d))
		y = append(y, s.Data[d]/norm)
	}
	return x, y
}

// docs/theory.md section 7: the normalized kernel of four ReLU layers on input
// smoothed with exp(-d^2/(4 sigma^2)), sigma = 2, at these offsets, and the
// white-noise value of two ReLU layers at any non-zero offset.
var (
	refOffsets = []int{0, 1, 2, 4, 8, 16, 32, 64}
	refSigma2  = []float64{1, 0.955, 0.872, 0.747, 0.684, 0.681, 0.681, 0.681}
	refWhite2  = 0.4937
)

func offsetsUpTo(maxOff int) []int {
	var o []int
	for _, d := range []int{1, 2, 4, 8, 16, 32, 64, 128} {
		if d <= maxOff {
			o = append(o, d)
		}
	}
	return o
}

func runChengKernels(e *env) error {
	n := pick(e.cfg.Mode, 256, 1024, 1024)
	maxOff := pick(e.cfg.Mode, 64, 128, 128)
	cases := chengCases()
	e.steps(len(cases) + 1)
	e.md("## Setting\n\nConv-ReLU stacks (`conv-stack` preset: 3-tap convolutions without bias, weights N(0, 1/fan_in), "+
		"ReLU) on %d-point periodic signals of Gaussian white noise smoothed with a normalized Gaussian filter of std sigma "+
		"(the discrete filter of `arch.Input.SmoothFilter`, applied circularly). The exact infinite-width NNGP of the output "+
		"(`kernel.Compute`), divided by its variance, is plotted against the offset d. A stride-1 convolution does not change "+
		"a stationary kernel's shape (docs/theory.md section 3), so the curves depend only on sigma and the number of ReLUs, "+
		"not on the filter size or the width.", n)
	var series [2][]plotting.Series
	cols := [][]float64{}
	header := []string{"offset"}
	var x []float64
	prof := map[string][]float64{}
	var rows [][]string
	offs := offsetsUpTo(maxOff)
	for _, c := range cases {
		a, err := parseArch(c.spec(256), []int{n})
		if err != nil {
			return err
		}
		nngp, _, err := kernel.Compute(e.ctx, a, []int{n}, kernel.Options{Workers: e.cfg.Workers})
		if err != nil {
			return err
		}
		xs, ys := profile(nngp, maxOff, nngp.MeanVariance())
		x = xs
		prof[c.key()] = ys
		cols = append(cols, ys)
		header = append(header, c.key())
		series[c.panel] = append(series[c.panel], plotting.Series{Name: c.label(), X: xs, Y: ys})
		row := []string{c.label()}
		for _, d := range offs {
			row = append(row, fg(ys[d], 4))
			e.num(fmt.Sprintf("k_%s_d%d", c.key(), d), ys[d])
		}
		rows = append(rows, row)
		if err := e.step(c.label()); err != nil {
			return err
		}
	}
	data := make([][]float64, len(x))
	for i := range x {
		data[i] = append([]float64{x[i]}, make([]float64, len(cols))...)
		for j, c := range cols {
			data[i][j+1] = c[i]
		}
	}
	if err := e.csv("kernels", header, data); err != nil {
		return err
	}
	e.md("## Normalized kernel k(d)/k(0)")
	h := []string{"setting"}
	for _, d := range offs {
		h = append(h, fmt.Sprintf("d=%d", d))
	}
	e.table(h, rows)
	pa, err := lines("Depth 2, input smoothing sigma", "offset d (pixels)", "normalized kernel k(d)/k(0)", series[0], plotting.Options{})
	if err != nil {
		return err
	}
	pb, err := lines("sigma = 2, depth 1 to 4", "offset d (pixels)", "normalized kernel k(d)/k(0)", series[1], plotting.Options{})
	if err != nil {
		return err
	}
	if err := e.grid("kernels", "exact normalized NNGP of 1-D conv-ReLU stacks against offset: (left) depth 2, input smoothing sigma = 0, 10, 15, 60; (right) sigma = 2, depth 1 to 4", [][]*plot.Plot{{pa, pb}}, 2*panelW, panelH); err != nil {
		return err
	}

	// docs/theory.md section 7.
	e.md("## Check against docs/theory.md section 7\n\nThe reference values were computed from the continuous input " +
		"correlation exp(-d^2/(4 sigma^2)) (Cheng et al.'s notebook formula); dipgp uses the autocorrelation of the " +
		"actual discrete filter. The reference is given to 3 decimals (4 for the white-noise value), so " +
		"differences up to 5e-4 (5e-5) are its rounding.")
	ref := prof[chengCase{2, 4, 1}.key()]
	var rrows [][]string
	maxDiff := 0.0
	for i, d := range refOffsets {
		if d > maxOff {
			continue
		}
		diff := ref[d] - refSigma2[i]
		maxDiff = math.Max(maxDiff, math.Abs(diff))
		rrows = append(rrows, []string{fmt.Sprintf("sigma=2, depth=4, d=%d", d), fg(refSigma2[i], 4), fg(ref[d], 4), fg(diff, 2)})
	}
	white := prof[chengCase{0, 2, 0}.key()]
	wd := white[1] - refWhite2
	rrows = append(rrows, []string{"white noise, depth 2, d=1", fg(refWhite2, 4), fg(white[1], 4), fg(wd, 2)})
	e.table([]string{"value", "docs/theory.md", "dipgp", "difference"}, rrows)
	e.num("ref_max_abs_diff_sigma2_depth4", maxDiff)
	e.num("ref_abs_diff_white_depth2", math.Abs(wd))
	e.md("Largest difference from the sigma = 2 row: %s; white noise: %s.", fg(maxDiff, 2), fg(math.Abs(wd), 2))
	return e.step("reference values")
}

// mcCurve is the result of a Monte Carlo check for one curve.
type mcCurve struct {
	label string
	key   string
	r     netinit.CheckResult
}

// check runs netinit.Check for one architecture spec with progress.
func (e *env) check(spec string, size []int, samples int, seed uint64) (netinit.CheckResult, error) {
	a, err := parseArch(spec, size)
	if err != nil {
		return netinit.CheckResult{}, err
	}
	unit := fmt.Sprintf("check%03d", e.checks)
	e.checks++
	if len(e.cfg.MergeFrom) > 0 {
		return e.mergeCheck(unit, a.String(), samples, seed)
	}
	prog := e.sub("networks")
	cfg := netinit.CheckConfig{Arch: a, Size: size, KernelWorkers: e.cfg.Workers,
		Options: netinit.Options{Samples: samples, Seed: seed, Workers: e.cfg.Workers, Margin: -1},
		Partial: func(done, total int, _ netinit.CheckResult) { prog(done, total) },
	}
	if e.cfg.Shards > 1 {
		cfg.Options.Shard, cfg.Options.Shards = e.cfg.Shard, e.cfg.Shards
	}
	r, err := netinit.Check(e.ctx, cfg)
	if err == nil && e.cfg.Shards > 1 {
		cfg.Options.Margin = r.Margin
		err = netinit.WriteStats(filepath.Join(e.dir, "units", unit), cfg, r.Stats)
	}
	return r, err
}

// mergeCheck merges the statistics of one check from the shards' folders.
func (e *env) mergeCheck(unit, arch string, samples int, seed uint64) (netinit.CheckResult, error) {
	var dirs []string
	for _, d := range e.cfg.MergeFrom {
		dirs = append(dirs, filepath.Join(d, e.x.Name, "units", unit))
	}
	cfg, r, err := netinit.Merge(e.ctx, dirs)
	if err != nil {
		return r, err
	}
	if r.Arch != arch || cfg.Options.Seed != seed || cfg.Options.Samples != samples {
		return r, fmt.Errorf("%s of the shards is %s (seed %d, %d networks), not %s (seed %d, %d networks): the shards were run with other settings (mode, --seed, --samples)",
			unit, r.Arch, cfg.Options.Seed, cfg.Options.Samples, arch, seed, samples)
	}
	if !r.Complete {
		return r, fmt.Errorf("%s: the shards hold %d of %d networks; a shard is missing", unit, r.Samples, samples)
	}
	return r, nil
}

// mcSeries returns the analytic and empirical curves of a check (phase
// averaged, divided by the analytic mean variance) with ±2 SE bands. The
// band of a phase-averaged cyclostationary estimate uses the mean of the
// phases' standard errors, an upper bound of the standard error of their
// mean.
func mcSeries(r netinit.CheckResult, maxOff int, name string) (an, mc plotting.Series) {
	v := r.Analytic.MeanVariance()
	x, ya := profile(r.Analytic, maxOff, v)
	_, ye := profile(r.Empirical, maxOff, v)
	_, se := profile(r.Stderr, maxOff, v)
	lo := make([]float64, len(ye))
	hi := make([]float64, len(ye))
	for i := range ye {
		lo[i] = ye[i] - 2*se[i]
		hi[i] = ye[i] + 2*se[i]
	}
	an = plotting.Series{Name: name + " exact", X: x, Y: ya}
	mc = plotting.Series{Name: name + " Monte Carlo ±2 SE", X: x, Y: ye, Lo: lo, Hi: hi, Dashed: true}
	return an, mc
}

func verdictWord(c netinit.Comparison) string {
	if c.Consistent {
		return "agree"
	}
	return "differ"
}

// mcTable writes the comparison table, the CSV of all curves and the
// numbers of a list of Monte Carlo checks.
func (e *env) mcReport(curves []mcCurve, maxOff int, name string) error {
	var rows [][]string
	var header = []string{"offset"}
	var cols [][]float64
	var x []float64
	for _, c := range curves {
		r := c.r
		rows = append(rows, []string{c.label, fmt.Sprint(r.Samples), fmt.Sprint(r.Width), fmt.Sprint(r.Period),
			fg(r.Analytic.NonStationarity(), 2),
			fg(r.Comparison.RMSRelError, 2), fg(r.Comparison.BiasRelError, 2), fg(r.Comparison.MeanStderr, 2),
			f2(100 * r.Comparison.Within2), f2(100 * r.Shape.Within2), fg(r.Test.Joint.P, 2), fg(r.Test.Shape.P, 2), verdictWord(r.Comparison)})
		e.num("rms_rel_error_"+c.key, r.Comparison.RMSRelError)
		e.num("bias_rel_error_"+c.key, r.Comparison.BiasRelError)
		e.num("within2_"+c.key, r.Comparison.Within2)
		e.num("shape_within2_"+c.key, r.Shape.Within2)
		e.num("p_value_"+c.key, r.Test.Joint.P)
		v := r.Analytic.MeanVariance()
		xs, ya := profile(r.Analytic, maxOff, v)
		_, ye := profile(r.Empirical, maxOff, v)
		_, se := profile(r.Stderr, maxOff, v)
		x = xs
		header = append(header, c.key+"_exact", c.key+"_mc", c.key+"_mc_se")
		cols = append(cols, ya, ye, se)
	}
	e.md("## Agreement\n\nErrors are relative to the analytic mean variance, over every phase and offset of the " +
		"phase-resolved estimate (`netinit.Compare`). *Level* compares the kernels as they are; *shape* compares the " +
		"row-centered kernels, which removes the common-mode sampling noise of the overall level. The verdict is the " +
		"calibrated test's (`netinit.Agree`: Hotelling T^2 on log-spaced rings of offsets and the per-phase variances, " +
		"which accounts for the correlation between entries; DIFFER when p < 0.01); the shares within 2 SE are " +
		"descriptive only, since neighbouring entries are strongly correlated. At width C the " +
		"finite-width bias is O(1/C): with enough networks it shows as a level difference beyond the error bars " +
		"while the shape still agrees.")
	e.table([]string{"setting", "networks", "width", "period", "non-stationarity", "RMS error", "mean bias", "mean SE", "% within 2 SE (level)", "% within 2 SE (shape)", "p (joint)", "p (shape)", "verdict"}, rows)
	data := make([][]float64, len(x))
	for i := range x {
		data[i] = []float64{x[i]}
		for _, c := range cols {
			data[i] = append(data[i], c[i])
		}
	}
	return e.csv(name, header, data)
}

func runChengMC(e *env) error {
	m := e.cfg.Mode
	n := pick(m, 64, 512, 1024)
	width := pick(m, 16, 128, 256)
	samples := e.samples(16, 200, 10000)
	maxOff := pick(m, 32, 128, 128)
	cases := chengCases()
	e.steps(len(cases))
	e.md("## Setting\n\nThe eight conv-ReLU stacks of cheng-kernels-1d at width %d (every conv has %d channels; "+
		"the input has %d channels of smoothed Gaussian noise), circular padding, on %d-point signals. For each, %d "+
		"random networks, each with its own weights and input, are run and the output's covariance is estimated over "+
		"the whole periodic grid (`netinit.Check`, seed %d + curve index). Curves are divided by the analytic variance "+
		"(not each by its own), so a difference in level shows.", width, width, width, n, samples, e.seed(0))
	var curves []mcCurve
	panels := make([]*plot.Plot, 0, len(cases))
	for i, c := range cases {
		r, err := e.check(c.spec(width), []int{n}, samples, e.seed(i))
		if r.Samples >= 2 {
			curves = append(curves, mcCurve{c.label(), c.key(), r})
			an, mc := mcSeries(r, maxOff, "")
			an.Name, mc.Name = "exact (infinite width)", fmt.Sprintf("%d networks, ±2 SE", r.Samples)
			p, perr := lines(c.label(), "offset d (pixels)", "k(d) / exact k(0)", []plotting.Series{an, mc}, plotting.Options{})
			if perr != nil {
				return perr
			}
			panels = append(panels, p)
		}
		if err != nil {
			if len(curves) > 0 {
				_ = e.mcFinish(curves, panels, maxOff)
			}
			return err
		}
		if err := e.step(c.label()); err != nil {
			return err
		}
	}
	return e.mcFinish(curves, panels, maxOff)
}

func (e *env) mcFinish(curves []mcCurve, panels []*plot.Plot, maxOff int) error {
	if err := e.mcReport(curves, maxOff, "kernels_mc"); err != nil {
		return err
	}
	var grid [][]*plot.Plot
	for i := 0; i < len(panels); i += 4 {
		grid = append(grid, panels[i:min(i+4, len(panels))])
	}
	if err := e.grid("kernels_mc", "exact kernels (solid) against Monte Carlo estimates (dashed, ±2 standard errors shaded) of the 1-D conv-ReLU stacks", grid, 4*3.6*vg.Inch, vg.Length(len(grid))*3*vg.Inch); err != nil {
		return err
	}
	agree := 0
	for _, c := range curves {
		if c.r.Shape.Consistent {
			agree++
		}
	}
	e.num("curves_shape_consistent", float64(agree))
	e.md("The shapes agree within sampling error for %d of %d curves.", agree, len(curves))
	return nil
}
