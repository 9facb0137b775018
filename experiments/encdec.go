package experiments

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/netinit"
)

func init() {
	register(Experiment{
		Name: "cheng-encdec-1d",
		Summary: "1-D encoder-decoders at Cheng et al.'s settings (their skip1D: no batch norm, ReLU, average-pool down-sampling, " +
			"bilinear up-sampling, N(0, 2/fan_in) weights without bias, 128 channels of Gaussian input noise): exact kernel " +
			"against Monte Carlo for input smoothing sigma in {0, 20, 60, 120} and 3 and 5 scales, and the error against " +
			"width with the fit a + b/width.",
		Paper: "Cheng et al. (CVPR 2019), the 1-D encoder-decoder priors (1D_toy_example.ipynb with models/skip1D.py and " +
			"models/common1D.py of ZezhouCheng/GP-DIP), which they only estimated empirically; dipgp adds the exact kernel",
		TinyCost:     "about 3 s: N = 128, width 8, 8 networks per curve, sigma divided by 8; widths 4, 8",
		QuickCost:    "about 10 min: N = 512, width 64, 100 networks per curve (8 curves); widths 16, 32, 64 with 100 networks each",
		FullCost:     "about 10 h: N = 512, width 256, 2,000 networks per curve (8 curves); widths 32, 64, 128, 256 with 2,000 networks each",
		Shardable:    true,
		ShardUnits:   "random networks of each Monte Carlo check",
		run:          runChengEncDec,
		TakesSamples: true,
	})
	register(Experiment{
		Name: "encdec-bn-1d",
		Summary: "1-D encoder-decoders with batch norm (DIP's defaults: nearest up-sampling, LeakyReLU, stride-2 down-sampling) " +
			"for sigma in {0, 20, 60, 120} and 3 to 6 scales: a test of the mean-field batch-norm kernel rule, not a " +
			"reproduction (Cheng et al.'s network has no batch norm; see cheng-encdec-1d).",
		Paper:        "dipgp's own experiment (docs/theory.md section 3: the batch-norm kernel rule); the architecture is DIP's encoder-decoder without skips",
		TinyCost:     "about 2 s: N = 128, width 8, 8 networks per curve, sigma divided by 8",
		QuickCost:    "about 1 min: N = 512, width 128, 200 networks per curve (16 curves)",
		FullCost:     "about 2.5 h: N = 1024, width 256, 10,000 networks per curve (16 curves)",
		Shardable:    true,
		ShardUnits:   "random networks of each Monte Carlo check",
		run:          runEncDecBN,
		TakesSamples: true,
	})
}

// chengEncDecSpec is Cheng et al.'s skip1D without skip channels, as their
// 1-D toy builds it (see runChengEncDec for the file and the values).
func chengEncDecSpec(scales int, sigma float64, width int) string {
	return fmt.Sprintf("encdec:dims=1,scales=%d,sigma=%g,channels=%d,act=relu,down=avg,up=bilinear,bn=false,init=normal,"+
		"sw=1.4142135623730951,sb=0,input=gaussian,in_channels=128,out_channels=1,out_act=identity,pad=circular", scales, sigma, width)
}

func runChengEncDec(e *env) error {
	m := e.cfg.Mode
	n := pick(m, 128, 512, 512)
	width := pick(m, 8, 64, 256)
	samples := e.samples(8, 100, 2000)
	maxOff := pick(m, 64, 128, 256)
	sigmas := []float64{0, 20, 60, 120}
	if m == Tiny {
		sigmas = []float64{0, 2.5, 7.5, 15}
		e.note("tiny mode: sigma divided by 8 (0, 2.5, 7.5, 15) to fit the 128-point signal")
	}
	scales := []int{3, 5}
	widths := pick(m, []int{4, 8}, []int{16, 32, 64}, []int{32, 64, 128, 256})
	e.steps(len(sigmas)*len(scales) + len(widths))
	e.md("## Setting\n\nCheng et al.'s 1-D encoder-decoder as their toy builds it: `skip1D` of models/skip1D.py without "+
		"skip channels, whose `bn()` in models/common1D.py returns `Identity` (no batch norm), with ReLU, average-pool "+
		"down-sampling, bilinear up-sampling, weights N(0, 2/fan_in) without bias and 128 channels of Gaussian input "+
		"noise (1D_toy_example.ipynb; the values as read in issue 10). dipgp: `%s` with scales 3 and 5 and sigma = %v; "+
		"%d-point signals; %d random networks of width %d per curve (`netinit.Check`).\n\n"+
		"Departures: circular padding (Cheng et al. pad with zeros; circular padding keeps the whole grid stationary, "+
		"so every offset can be compared), the output is the last 1x1 conv before their tanh (the Gaussian field of "+
		"the theory), and the input is smoothed with a normalized Gaussian filter of std sigma as in cheng-kernels-1d.",
		chengEncDecSpec(3, sigmas[1], width), sigmas, n, samples, width)
	curves, panels, _, err := e.encdecCurves(sigmas, scales, func(s float64, sc int) string { return chengEncDecSpec(sc, s, width) },
		n, samples, maxOff)
	if err != nil {
		return err
	}
	if err := e.mcReport(curves, maxOff, "encdec_mc"); err != nil {
		return err
	}
	if err := e.grid("encdec_kernels", "Cheng et al.'s 1-D encoder-decoder: exact phase-averaged kernels (solid) and Monte Carlo estimates (dashed, ±2 SE shaded), one panel per input smoothing", [][]*plot.Plot{panels[:2], panels[2:]}, 2*6*vg.Inch, 2*4.5*vg.Inch); err != nil {
		return err
	}
	return e.widthSweep(func(w int) string { return chengEncDecSpec(3, sigmas[1], w) }, widths, n, samples, fmt.Sprintf("3 scales, sigma = %g", sigmas[1]))
}

// widthSweep runs the check at each width and reports the fit
// error = a + b/width of the excess errors, with intervals.
func (e *env) widthSweep(spec func(width int) string, widths []int, n, samples int, what string) error {
	var sw netinit.Sweep
	var rows [][]string
	for i, w := range widths {
		r, err := e.check(spec(w), []int{n}, samples, e.seed(300+i))
		if err != nil {
			return err
		}
		sw.Points = append(sw.Points, netinit.SweepPoint{Width: w, Result: r})
		rows = append(rows, []string{fmt.Sprint(w), fmt.Sprint(r.Samples), fg(r.Shape.ExcessRMS, 2), fg(r.Shape.MeanStderr, 2),
			fg(r.Comparison.ExcessRMS, 2), fg(r.Test.Joint.P, 2), fg(r.Test.Shape.P, 2)})
		e.num(fmt.Sprintf("shape_excess_width%d", w), r.Shape.ExcessRMS)
		e.num(fmt.Sprintf("p_value_width%d", w), r.Test.Joint.P)
		if err := e.step(fmt.Sprintf("width %d", w)); err != nil {
			return err
		}
	}
	sw = netinit.Fit(sw)
	fs := sw.ShapeFit
	e.md("## Error against width (%s)\n\n%d networks per width. *Shape excess* is the RMS error of the row-centered "+
		"kernel with the sampling noise taken out, relative to the exact variance; p-values are those of the calibrated "+
		"test (Hotelling T^2 on the reduced basis; `netinit.Agree`).", what, samples)
	e.table([]string{"width", "networks", "shape excess", "shape mean SE", "level excess", "p (joint)", "p (shape)"}, rows)
	e.md("Fit of the shape excess error = a + b/width (95%% intervals, Student t with %d degrees of freedom): "+
		"a = %s [%s, %s] (the error extrapolated to infinite width), b = %s [%s, %s]; log-log slope %s [%s, %s] "+
		"(-1 for a pure finite-width error).", max(fs.Points-2, 0), fg(fs.A, 2), fg(fs.ALo, 2), fg(fs.AHi, 2),
		fg(fs.B, 2), fg(fs.BLo, 2), fg(fs.BHi, 2), f2(fs.Slope), f2(fs.SLo), f2(fs.SHi))
	for k, v := range map[string]float64{"fit_a": fs.A, "fit_a_lo": fs.ALo, "fit_a_hi": fs.AHi, "fit_b": fs.B,
		"fit_slope": fs.Slope, "fit_slope_lo": fs.SLo, "fit_slope_hi": fs.SHi} {
		if isFinite(v) {
			e.num(k, v)
		}
	}
	var x, y []float64
	for _, p := range sw.Points {
		x, y = append(x, float64(p.Width)), append(y, p.Result.Shape.ExcessRMS)
	}
	var fx, fy []float64
	for w := float64(widths[0]); w <= float64(widths[len(widths)-1])*1.001; w *= 1.1 {
		fx, fy = append(fx, w), append(fy, fs.A+fs.B/w)
	}
	p, err := lines("error against width: "+what, "width (channels)", "shape excess RMS error / variance",
		[]plotting.Series{{Name: "measured", X: x, Y: y}, {Name: "fit a + b/width", X: fx, Y: fy, Dashed: true}},
		plotting.Options{LogX: true, Markers: true})
	if err != nil {
		return err
	}
	return e.figure("error_vs_width", "Shape excess error against width, with the fit a + b/width", p)
}

// encdecCase is one 1-D encoder-decoder.
type encdecCase struct {
	sigma  float64
	scales int
}

func (c encdecCase) spec(width int) string {
	return fmt.Sprintf("encdec:dims=1,scales=%d,sigma=%g,channels=%d,out_channels=1,out_act=identity,up=nearest,pad=circular", c.scales, c.sigma, width)
}

func runEncDecBN(e *env) error {
	m := e.cfg.Mode
	n := pick(m, 128, 512, 1024)
	width := pick(m, 8, 128, 256)
	samples := e.samples(8, 200, 10000)
	maxOff := pick(m, 64, 128, 256)
	sigmas := []float64{0, 20, 60, 120}
	if m == Tiny {
		// Smoothing longer than the signal makes the input (and the
		// output) constant over the grid: nothing left to compare.
		sigmas = []float64{0, 2.5, 7.5, 15}
		e.note("tiny mode: sigma divided by 8 (0, 2.5, 7.5, 15) to fit the 128-point signal")
	}
	scales := []int{3, 4, 5, 6}
	e.steps(len(sigmas) * len(scales))
	spec := encdecCase{0, 3}.spec(width)
	e.md("## Setting\n\nDIP's encoder-decoder in 1-D without skip connections, with DIP's "+
		"defaults (nearest up-sampling, batch norm, LeakyReLU(0.2), stride-2 down-sampling) and no skip channels: `%s` with "+
		"scales = 3..6 and sigma = 0, 20, 60, 120. Per scale a 3-tap stride-2 conv, batch norm, LeakyReLU, a 3-tap conv, batch "+
		"norm, LeakyReLU, then after the deeper levels a nearest x2 up-sampling, a 3-tap and a 1-tap conv each with batch norm "+
		"and LeakyReLU; PyTorch's default initialization, circular padding (Cheng et al. pad with zeros), 32 input channels "+
		"of uniform noise on [0, 0.1) smoothed with a Gaussian of std sigma; the output is the last 1x1 conv before the "+
		"output non-linearity (Cheng et al.: tanh). %d-point signals; %d random networks of width %d per curve "+
		"(`netinit.Check`, seed %d + curve index).\n\n"+
		"Up-sampling makes the exact kernel cyclostationary with period 2^scales (docs/theory.md section 2). Batch norm enters "+
		"the exact kernel through its infinite-width mean-field rule, an approximation that this comparison tests. The "+
		"curves below are phase averages (the best stationary approximation), divided by the exact mean variance; the "+
		"agreement table compares every phase.", spec, n, samples, width, e.seed(100))
	if len(sigmas) > 0 && maxOff > n/2 {
		maxOff = n / 2
	}
	curves, panels, nsRows, err := e.encdecCurves(sigmas, scales, func(s float64, sc int) string { return encdecCase{s, sc}.spec(width) },
		n, samples, maxOff)
	if err != nil {
		return err
	}
	if err := e.mcReport(curves, maxOff, "encdec_mc"); err != nil {
		return err
	}
	if err := e.grid("encdec_kernels", "1-D encoder-decoders: exact phase-averaged kernels (solid) and Monte Carlo estimates (dashed, ±2 SE shaded), one panel per input smoothing", [][]*plot.Plot{panels[:2], panels[2:]}, 2*6*vg.Inch, 2*4.5*vg.Inch); err != nil {
		return err
	}
	h := []string{"input"}
	for _, sc := range scales {
		h = append(h, fmt.Sprintf("%d scales", sc))
	}
	e.md("## Non-stationarity of the exact kernel\n\n||k - kbar||^2 / ||k||^2 over phases and offsets (0 for a stationary kernel):")
	e.table(h, nsRows)
	agree := 0
	for _, c := range curves {
		if c.r.Shape.Consistent {
			agree++
		}
	}
	e.num("curves_shape_consistent", float64(agree))
	e.md("The shapes agree within sampling error for %d of %d curves (calibrated test at alpha %g). "+
		"Batch norm normalizes each network's channels by their spatial statistics; the exact kernel treats that "+
		"normalization at its infinite-width mean-field value (docs/theory.md section 3), which is exact only when the "+
		"spatial statistics concentrate, i.e. when the grid holds many correlation lengths. Smooth inputs and coarse "+
		"deep levels make those statistics random from network to network. The same network without batch norm "+
		"(cheng-encdec-1d, at Cheng et al.'s settings) has an error that falls as 1/width; this one's does not "+
		"(`dipgp check --widths`, README).", agree, len(curves), netinit.Alpha)
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// encdecCurves runs the Monte Carlo check of the 1-D encoder-decoder spec(sigma,
// scales) for every smoothing sigma and scale count, on n-point signals: the
// curves for mcReport, one panel per sigma (exact and Monte Carlo kernels, one
// colour per scale count) and per sigma a row of the exact kernels'
// non-stationarity. On an error it writes the report of the curves so far.
func (e *env) encdecCurves(sigmas []float64, scales []int, spec func(sigma float64, scales int) string, n, samples, maxOff int) (
	curves []mcCurve, panels []*plot.Plot, nsRows [][]string, err error) {
	for _, s := range sigmas {
		var series []plotting.Series
		nsRow := []string{fmt.Sprintf("sigma=%g", s)}
		for _, sc := range scales {
			label := fmt.Sprintf("sigma=%g, %d scales", s, sc)
			key := fmt.Sprintf("sigma%g_scales%d", s, sc)
			r, err := e.check(spec(s, sc), []int{n}, samples, e.seed(100+len(curves)))
			if r.Samples >= 2 {
				curves = append(curves, mcCurve{label, key, r})
				an, mc := mcSeries(r, maxOff, fmt.Sprintf("%d scales", sc))
				an.Color, mc.Color = len(series)/2+1, len(series)/2+1 // one colour per scale count
				series = append(series, an, mc)
				nsRow = append(nsRow, fg(r.Analytic.NonStationarity(), 2))
				e.num("nonstationarity_"+key, r.Analytic.NonStationarity())
			}
			if err != nil {
				if len(curves) > 0 {
					_ = e.mcReport(curves, maxOff, "encdec_mc")
				}
				return nil, nil, nil, err
			}
			if err := e.step(label); err != nil {
				return nil, nil, nil, err
			}
		}
		nsRows = append(nsRows, nsRow)
		p, err := lines(fmt.Sprintf("input smoothing sigma = %g", s), "offset d (pixels)", "phase-averaged k(d) / exact k(0)", series,
			plotting.Options{LegendBottom: true})
		if err != nil {
			return nil, nil, nil, err
		}
		panels = append(panels, p)
	}
	return curves, panels, nsRows, nil
}
