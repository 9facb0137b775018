package experiments

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
	"github.com/dipgp/dipgp/netinit"
	"github.com/dipgp/dipgp/nn"
)

func init() {
	register(Experiment{
		Name:      "prior-samples",
		Summary:   "Samples from the prior of conv-stack, encdec and dip-skip in 1-D and 2-D: draws from the exact infinite-width GP next to outputs of random finite networks of the same architecture.",
		Paper:     "Cheng et al. (CVPR 2019), the prior samples of the 1-D toy and of the DIP architectures (Figures 1 and 3)",
		TinyCost:  "about 2 s: N = 64 and 32x32, width 8",
		QuickCost: "about 2 s: N = 256 and 64x64, width 64",
		FullCost:  "about 20 s: N = 1024 and 256x256, width 128 (DIP's)",
		run:       runPriorSamples,
	})
	register(Experiment{
		Name:    "dip-kernel-2d",
		Summary: "The exact NNGP and NTK of DIP's default skip network and of its variants (nearest against bilinear up-sampling, without skip branches, without batch norm, 3 and 4 scales): spectra, spectral slopes, half-power frequencies and non-stationarity.",
		Paper: "Cheng et al. (CVPR 2019), the DIP kernel; Chakrabarty and Maji (2019), the spectral decay behind the spectral bias; " +
			"dipgp's extension to the exact NTK and to the cyclostationary effect of up-sampling",
		TinyCost:  "about 2 s: 32x32",
		QuickCost: "about 5 s: 64x64",
		FullCost:  "about 1 min: 256x256",
		run:       runDIPKernel2D,
	})
	register(Experiment{
		Name:      "arch-sweep",
		Summary:   "For a list of architectures (--arch, repeatable; default the four presets), the exact NNGP and NTK spectra, their slopes and half-power frequencies, and the fitting time per frequency that gradient descent on the NTK predicts.",
		Paper:     "Computing kernel spectra for new architectures: the analysis of dip-kernel-2d for any architecture",
		TinyCost:  "about 2 s: 32x32 (N = 256 for 1-D architectures)",
		QuickCost: "about 1 s for the four presets: 64x64 (N = 1024 in 1-D)",
		FullCost:  "about 20 s for the four presets: 256x256 (N = 4096 in 1-D)",
		run:       runArchSweep,
	})
}

// priorArch is one architecture of prior-samples.
type priorArch struct {
	name, spec string
}

func priorArchs(dims, scales, width int) []priorArch {
	d := ""
	if dims == 1 {
		d = "dims=1,"
	}
	return []priorArch{
		{"conv-stack", fmt.Sprintf("conv-stack:%sdepth=4,sigma=2,channels=%d", d, width)},
		{"encdec", fmt.Sprintf("encdec:%sscales=%d,channels=%d,out_channels=1,out_act=identity,pad=circular", d, scales, width)},
		{"dip-skip", fmt.Sprintf("dip-skip:%sscales=%d,channels=%d,out_channels=1,out_act=identity,pad=circular", d, scales, width)},
	}
}

// netOutput runs a random finite network (network i of seed) and returns
// channel 0 of its output.
func netOutput(a arch.Arch, size []int, seed uint64, i int) ([]float64, error) {
	ws, is := netinit.SampleSeeds(seed, i, false)
	net, err := nn.Build(a, size, ws)
	if err != nil {
		return nil, err
	}
	x, err := nn.NewInput(a, size, 1, is)
	if err != nil {
		return nil, err
	}
	y, err := net.Infer(x)
	if err != nil {
		return nil, err
	}
	data, ok := y.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("network output is %T, not []float32", y.Data())
	}
	n := 1
	for _, s := range size {
		n *= s
	}
	out := make([]float64, n)
	for j := range out {
		out[j] = float64(data[j])
	}
	return out, nil
}

// meanSquare returns the mean of v^2 over all draws.
func meanSquare(draws [][]float64) float64 {
	var s float64
	var n int
	for _, d := range draws {
		for _, v := range d {
			s += v * v
			n++
		}
	}
	return s / float64(n)
}

func runPriorSamples(e *env) error {
	m := e.cfg.Mode
	n1 := pick(m, 64, 256, 1024)
	s2 := pick(m, 32, 64, 256)
	width := pick(m, 8, 64, 128)
	scales1 := pick(m, 3, 4, 5)
	scales2 := pick(m, 3, 5, 5)
	const draws = 3
	e.steps(6)
	e.md("## Setting\n\nFor each architecture: %d draws from the zero-mean GP whose covariance is the exact infinite-width "+
		"NNGP of the output (`kernel.Compute`, then `gp.Prior.Sample`), and the outputs of %d random finite networks of "+
		"width %d (`nn.Build` + `nn.Infer`, each with its own weights and input noise). All use circular padding, so that "+
		"the finite networks are the model the kernel describes. Every network is shown before its last non-linearity "+
		"(conv-stack before its last ReLU, encdec and dip-skip without output sigmoid), the Gaussian field of the "+
		"theory (after a ReLU the outputs are not Gaussian); encdec and dip-skip have batch norm (whose kernel is the mean-field approximation of docs/theory.md section 3). 1-D: N = %d "+
		"(%d scales); 2-D: %dx%d (%d scales). conv-stack is Cheng et al.'s toy (4 conv-ReLU layers, input smoothed with "+
		"sigma = 2).", draws, draws, width, n1, scales1, s2, s2, scales2)
	var rows [][]string
	// 1-D.
	var gpPanels, netPanels []*plot.Plot
	var header []string
	var cols [][]float64
	for k, pa := range priorArchs(1, scales1, width) {
		size := []int{n1}
		a, err := parseArch(pa.spec, size)
		if err != nil {
			return err
		}
		gpd, netd, row, err := e.priorDraws(a.PreActivation(), size, pa.name+" 1-D", draws, 10*k)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		x := make([]float64, n1)
		for i := range x {
			x[i] = float64(i)
		}
		var gs, ns []plotting.Series
		for i := 0; i < draws; i++ {
			gs = append(gs, plotting.Series{Name: fmt.Sprintf("draw %d", i+1), X: x, Y: gpd[i]})
			ns = append(ns, plotting.Series{Name: fmt.Sprintf("network %d", i+1), X: x, Y: netd[i]})
			header = append(header, fmt.Sprintf("%s_gp%d", pa.name, i+1), fmt.Sprintf("%s_net%d", pa.name, i+1))
			cols = append(cols, gpd[i], netd[i])
		}
		pg, err := lines(pa.name+": GP draws", "position (pixels)", "output", gs, plotting.Options{})
		if err != nil {
			return err
		}
		pn, err := lines(pa.name+": random networks", "position (pixels)", "output", ns, plotting.Options{})
		if err != nil {
			return err
		}
		gpPanels = append(gpPanels, pg)
		netPanels = append(netPanels, pn)
		if err := e.step(pa.name + " 1-D"); err != nil {
			return err
		}
	}
	data := make([][]float64, n1)
	for i := range data {
		data[i] = []float64{float64(i)}
		for _, c := range cols {
			data[i] = append(data[i], c[i])
		}
	}
	if err := e.csv("samples_1d", append([]string{"position"}, header...), data); err != nil {
		return err
	}
	e.md("## 1-D")
	if err := e.grid("samples_1d", "1-D prior samples: exact GP draws (top) and random finite networks (bottom) for conv-stack, encdec and dip-skip", [][]*plot.Plot{gpPanels, netPanels}, 3*panelW, 2*panelH); err != nil {
		return err
	}
	// 2-D.
	var grid [][]*plot.Plot
	for k, pa := range priorArchs(2, scales2, width) {
		size := []int{s2, s2}
		a, err := parseArch(pa.spec, size)
		if err != nil {
			return err
		}
		gpd, netd, row, err := e.priorDraws(a.PreActivation(), size, pa.name+" 2-D", draws, 100+10*k)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		all := append(append([][]float64{}, gpd...), netd...)
		flat := make([]float64, 0, len(all)*s2*s2)
		for _, d := range all {
			flat = append(flat, d...)
		}
		if err := npy.WriteFloat64(filepath.Join(e.dir, "samples_2d_"+pa.name+".npy"), []int{len(all), s2, s2}, flat); err != nil {
			return err
		}
		e.addFile("samples_2d_" + pa.name + ".npy")
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range flat {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		var rowPlots []*plot.Plot
		for i, d := range [][]float64{gpd[0], gpd[1], netd[0], netd[1]} {
			title := fmt.Sprintf("%s GP draw %d", pa.name, i+1)
			if i >= 2 {
				title = fmt.Sprintf("%s network %d", pa.name, i-1)
			}
			p, err := plotting.HeatmapWith(title, "x (pixels)", "y (pixels)", s2, s2, d, plotting.HeatmapOptions{VMin: lo, VMax: hi})
			if err != nil {
				return err
			}
			rowPlots = append(rowPlots, p)
		}
		grid = append(grid, rowPlots)
		if err := e.step(pa.name + " 2-D"); err != nil {
			return err
		}
	}
	e.md("## 2-D\n\nEach row shares one colour scale. The draws are saved as `samples_2d_*.npy` (draws x H x W: %d GP draws, then %d networks).", draws, draws)
	if err := e.grid("samples_2d", "2-D prior samples: two exact GP draws and two random finite networks per architecture (rows: conv-stack, encdec, dip-skip)", grid, 4*heatSide, 3*heatSide); err != nil {
		return err
	}
	e.md("## Scale check\n\nThe mean square of the draws over the kernel's mean variance (about 1 when draws and kernel "+
		"agree; with %d strongly correlated draws it scatters by tens of percent):", draws)
	e.table([]string{"architecture", "kernel period", "GP representation", "GP draws: mean square / variance", "networks: mean square / variance"}, rows)
	return nil
}

// priorDraws returns GP draws and finite-network outputs for one
// architecture, with a table row and numbers.
func (e *env) priorDraws(a arch.Arch, size []int, label string, draws, seedOff int) (gpd, netd [][]float64, row []string, err error) {
	nngp, _, err := kernel.Compute(e.ctx, a, size, kernel.Options{Workers: e.cfg.Workers})
	if err != nil {
		return nil, nil, nil, err
	}
	prior, err := gp.NewPrior(nngp, gp.PriorOptions{Workers: e.cfg.Workers, MaxWork: e.maxWork()})
	if err != nil {
		return nil, nil, nil, err
	}
	gpd, err = prior.Sample(draws, e.seed(seedOff))
	if err != nil {
		return nil, nil, nil, err
	}
	for i := 0; i < draws; i++ {
		o, err := netOutput(a, size, e.seed(seedOff+1), i)
		if err != nil {
			return nil, nil, nil, err
		}
		netd = append(netd, o)
	}
	v := nngp.MeanVariance()
	rg, rn := meanSquare(gpd)/v, meanSquare(netd)/v
	key := strings.ReplaceAll(label, " ", "_")
	e.num("gp_msq_ratio_"+key, rg)
	e.num("net_msq_ratio_"+key, rn)
	return gpd, netd, []string{label, fmt.Sprint(nngp.Period), prior.Note(), f2(rg), f2(rn)}, nil
}

// spectrumOf returns the spectrum of a map (exact when affordable), its
// summary and radial profile.
func (e *env) spectrumOf(m kernel.Map) (gp.Spec, gp.Summary, gp.Radial, error) {
	spec, err := gp.Spectrum(m, gp.ExactWork(m) <= e.maxWork())
	if err != nil {
		return gp.Spec{}, gp.Summary{}, gp.Radial{}, err
	}
	sum, err := spec.Summarize(gp.DefaultFitLo, gp.DefaultFitHi)
	if err != nil {
		return gp.Spec{}, gp.Summary{}, gp.Radial{}, err
	}
	rad, err := spec.Radial()
	return spec, sum, rad, err
}

// maxWork is the work budget for exact factorizations of cyclostationary
// maps (gp.ExactWork units): gp's default, and a small one in tiny mode.
func (e *env) maxWork() float64 {
	return pick(e.cfg.Mode, 2e7, gp.DefaultMaxWork, gp.DefaultMaxWork)
}

// normalizedRadial returns the radial profile divided by its first ring.
func normalizedRadial(r gp.Radial) (x, y []float64) {
	if len(r.Mean) == 0 || !(r.Mean[0] > 0) {
		return r.Freq, r.Mean
	}
	y = make([]float64, len(r.Mean))
	for i, v := range r.Mean {
		y[i] = v / r.Mean[0]
	}
	return r.Freq, y
}

// centreWindow returns the phase-averaged map of a 2-D kernel, normalized
// by its variance, around offset 0: offsets -h..h per axis.
func centreWindow(m kernel.Map, h int) ([]float64, int) {
	s := m.Stationary()
	v := m.MeanVariance()
	shifted := fft2.Shift(s.Data, s.Size)
	H, W := s.Size[0], s.Size[1]
	h = min(h, H/2-1, W/2-1)
	side := 2*h + 1
	out := make([]float64, 0, side*side)
	for y := H/2 - h; y <= H/2+h; y++ {
		for x := W/2 - h; x <= W/2+h; x++ {
			out = append(out, shifted[y*W+x]/v)
		}
	}
	return out, side
}

// kernelRow is the spectral summary of one architecture.
type kernelRow struct {
	name               string
	a                  arch.Arch
	size               []int
	nngp, ntk          kernel.Map
	sumK, sumT         gp.Summary
	radK, radT         gp.Radial
	exactK, exactT     bool
	halfIter           []float64
	halfFreq           []float64
	lambdaMax, seconds float64
}

// analyse computes the NNGP and NTK of the architecture's pre-activation
// output and their spectra.
func (e *env) analyse(name string, a arch.Arch, size []int) (kernelRow, error) {
	r := kernelRow{name: name, a: a, size: size}
	pa := a.PreActivation()
	prog := e.sub("layers")
	nngp, ntk, err := kernel.Compute(e.ctx, pa, size, kernel.Options{NTK: true, Workers: e.cfg.Workers,
		Progress: func(done, total int, _ string) { prog(done, total) }})
	if err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	r.nngp, r.ntk = nngp, ntk
	var specK, specT gp.Spec
	if specK, r.sumK, r.radK, err = e.spectrumOf(nngp); err != nil {
		return r, fmt.Errorf("%s NNGP spectrum: %w", name, err)
	}
	if specT, r.sumT, r.radT, err = e.spectrumOf(ntk); err != nil {
		return r, fmt.Errorf("%s NTK spectrum: %w", name, err)
	}
	r.exactK, r.exactT = specK.Exact, specT.Exact
	return r, nil
}

func exactWord(b bool) string {
	if b {
		return "exact"
	}
	return "diagonal"
}

// kernelTable writes the table and numbers of analysed architectures.
func (e *env) kernelTable(rows []kernelRow, keys []string) {
	e.md("Slopes are least-squares fits of log10(eigenvalue) against log10(frequency) over %g..%g cycles/pixel; "+
		"the half-power frequency is where the radial spectrum falls to half its value at the lowest frequency; "+
		"non-stationarity is ||k - kbar||^2 / ||k||^2 (0: stationary). *exact* spectra are the eigenvalues of the "+
		"coupled Fourier blocks; *diagonal* ones are the power spectrum of the phase average (used when the exact "+
		"factorization would exceed gp.DefaultMaxWork; the non-stationarity says how much is left out).",
		gp.DefaultFitLo, gp.DefaultFitHi)
	var t [][]string
	for i, r := range rows {
		t = append(t, []string{r.name, fmt.Sprint(r.nngp.Period), fg(r.nngp.NonStationarity(), 2), fg(r.ntk.NonStationarity(), 2),
			fg(r.sumK.Slope, 3), fg(r.sumT.Slope, 3), halfPower(r.sumK), halfPower(r.sumT), exactWord(r.exactK) + " / " + exactWord(r.exactT)})
		k := keys[i]
		e.num("slope_nngp_"+k, r.sumK.Slope)
		e.num("slope_ntk_"+k, r.sumT.Slope)
		e.num("nonstationarity_nngp_"+k, r.nngp.NonStationarity())
		e.num("nonstationarity_ntk_"+k, r.ntk.NonStationarity())
		if r.sumK.HalfPowerOK {
			e.num("half_power_nngp_"+k, r.sumK.HalfPower)
		}
		if r.sumT.HalfPowerOK {
			e.num("half_power_ntk_"+k, r.sumT.HalfPower)
		}
	}
	e.table([]string{"architecture", "period", "non-stationarity NNGP", "non-stationarity NTK", "slope NNGP", "slope NTK",
		"half-power NNGP (cycles/pixel)", "half-power NTK (cycles/pixel)", "spectrum NNGP / NTK"}, t)
}

func halfPower(s gp.Summary) string {
	if !s.HalfPowerOK {
		return "not reached"
	}
	return fg(s.HalfPower, 3)
}

// spectraFigure writes the radial spectra of analysed architectures
// (normalized by the lowest ring) and their CSV.
func (e *env) spectraFigure(name, caption string, rows []kernelRow, keys []string) error {
	var sk, st []plotting.Series
	header := []string{}
	var cols [][]float64
	for i, r := range rows {
		xk, yk := normalizedRadial(r.radK)
		xt, yt := normalizedRadial(r.radT)
		sk = append(sk, plotting.Series{Name: r.name, X: xk, Y: yk})
		st = append(st, plotting.Series{Name: r.name, X: xt, Y: yt})
		header = append(header, keys[i]+"_freq", keys[i]+"_nngp", keys[i]+"_ntk", keys[i]+"_nngp_raw", keys[i]+"_ntk_raw")
		cols = append(cols, xk, yk, yt, r.radK.Mean, r.radT.Mean)
	}
	pk, err := lines("NNGP (prior covariance)", "frequency (cycles/pixel)", "eigenvalue / lowest-frequency eigenvalue", sk, plotting.Options{LogX: true, LogY: true})
	if err != nil {
		return err
	}
	pt, err := lines("NTK (gradient-descent kernel)", "frequency (cycles/pixel)", "eigenvalue / lowest-frequency eigenvalue", st, plotting.Options{LogX: true, LogY: true})
	if err != nil {
		return err
	}
	long := 0
	for _, c := range cols {
		long = max(long, len(c))
	}
	data := make([][]float64, long)
	for i := range data {
		for _, c := range cols {
			v := math.NaN()
			if i < len(c) {
				v = c[i]
			}
			data[i] = append(data[i], v)
		}
	}
	if err := e.csv(name, header, data); err != nil {
		return err
	}
	return e.grid(name, caption, [][]*plot.Plot{{pk, pt}}, 2*6*vg.Inch, 5*vg.Inch)
}

func runDIPKernel2D(e *env) error {
	s := pick(e.cfg.Mode, 32, 64, 256)
	size := []int{s, s}
	// DIP's 5 scales; tiny mode uses 4 (at 32x32 a fifth scale leaves a
	// 1x1 grid, where batch norm has nothing to normalize).
	sc := pick(e.cfg.Mode, 4, 5, 5)
	if sc != 5 {
		e.note("tiny mode: %d scales instead of DIP's 5 (the grid is too small)", sc)
	}
	base := fmt.Sprintf("dip-skip:out_channels=1,pad=circular,scales=%d", sc)
	variants := []struct{ name, key, spec string }{
		{fmt.Sprintf("default (bilinear, skip, bn, %d scales)", sc), "default", base},
		{"nearest up-sampling", "nearest", base + ",up=nearest"},
		{"no skip branches", "noskip", base + ",skip=0"},
		{"no batch norm", "nobn", base + ",bn=false"},
		{fmt.Sprintf("%d scales", sc-2), "scales_minus2", fmt.Sprintf("dip-skip:out_channels=1,pad=circular,scales=%d", sc-2)},
		{fmt.Sprintf("%d scales", sc-1), "scales_minus1", fmt.Sprintf("dip-skip:out_channels=1,pad=circular,scales=%d", sc-1)},
	}
	e.steps(len(variants) + 1)
	e.md("## Setting\n\nDIP's skip network for denoising (`dip-skip` preset: 5 scales, 128 channels, skip branches of 4 "+
		"channels, LeakyReLU(0.2), batch norm after every conv and after each concatenation, bilinear x2 up-sampling, "+
		"stride-2 down-sampling, 32 input channels of uniform noise on [0, 0.1), PyTorch's initialization) with one output "+
		"channel, and variants that change one thing. The exact NNGP and NTK (`kernel.Compute`, NTK parameterization for "+
		"Theta) of the output before the final sigmoid on a %dx%d periodic grid, and their spectra (`gp.Spectrum`). "+
		"Batch norm enters through its infinite-width mean-field rule (docs/theory.md section 3). The kernel is always that of "+
		"the periodic grid, so the specs say pad=circular; DIP's reflection padding only changes the finite network "+
		"near the border.", s, s)
	var rows []kernelRow
	var keys []string
	for _, v := range variants {
		a, err := parseArch(v.spec, size)
		if err != nil {
			return err
		}
		r, err := e.analyse(v.name, a, size)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		keys = append(keys, v.key)
		if err := e.step(v.name); err != nil {
			return err
		}
	}
	e.md("## Spectral summary")
	e.kernelTable(rows, keys)
	if err := e.spectraFigure("spectra", "radial spectra of the NNGP (left) and NTK (right) of DIP's skip network and its variants, each divided by its lowest-frequency value", rows, keys); err != nil {
		return err
	}
	// Kernel maps around offset 0.
	var plots []*plot.Plot
	for _, r := range rows {
		w, side := centreWindow(r.nngp, 8)
		h := float64(side / 2)
		p, err := plotting.HeatmapWith(r.name, "offset dx (pixels)", "offset dy (pixels)", side, side, w,
			plotting.HeatmapOptions{Extent: [4]float64{-h - 0.5, h + 0.5, -h - 0.5, h + 0.5}})
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	e.md("## Kernels around offset 0")
	if err := e.grid("kernel_maps", "phase-averaged NNGP divided by its variance, offsets -8..8 pixels, for each variant", [][]*plot.Plot{plots[:3], plots[3:]}, 3*heatSide*1.15, 2*heatSide); err != nil {
		return err
	}
	// The default's variance by phase.
	d := rows[0].nngp
	if d.Period > 1 {
		vp := d.Variance()
		mv := d.MeanVariance()
		for i := range vp {
			vp[i] /= mv
		}
		p, err := plotting.Heatmap(fmt.Sprintf("default: variance by phase (period %d)", d.Period), "phase x", "phase y", d.Period, d.Period, vp, false)
		if err != nil {
			return err
		}
		e.md("## Cyclostationarity of the default network\n\nUp-sampling makes the variance depend on the position modulo the period; relative spread of the variance over phases: %s.", fg(spread(vp), 3))
		e.num("variance_spread_default", spread(vp))
		if err := e.figureSized("variance_by_phase", "variance of the default network's output by phase, divided by its mean", p, 5*vg.Inch, 4*vg.Inch); err != nil {
			return err
		}
	}
	def := rows[0]
	e.md("## Reading\n\nThe default network's NNGP falls with slope %s and its NTK with slope %s over %g..%g cycles/pixel; "+
		"the NTK's half-power frequency is %s cycles/pixel. A decaying NTK spectrum is the spectral bias: gradient descent "+
		"fits low frequencies first (docs/theory.md section 5).",
		fg(def.sumK.Slope, 3), fg(def.sumT.Slope, 3), gp.DefaultFitLo, gp.DefaultFitHi, halfPower(def.sumT))
	return e.step("figures")
}

// spread returns (max - min) / mean of v.
func spread(v []float64) float64 {
	lo, hi, s := math.Inf(1), math.Inf(-1), 0.0
	for _, x := range v {
		lo, hi, s = math.Min(lo, x), math.Max(hi, x), s+x
	}
	return (hi - lo) / (s / float64(len(v)))
}

// defaultSweep are the architectures of arch-sweep when none are given.
var defaultSweep = []string{
	"dip-skip:out_channels=1,pad=circular",
	"encdec:out_channels=1,pad=circular",
	"deep-decoder:out_channels=1",
	"conv-stack:depth=4,sigma=2",
}

// tinySweep is defaultSweep with 4 scales, for 32x32 grids.
var tinySweep = []string{
	"dip-skip:out_channels=1,pad=circular,scales=4",
	"encdec:out_channels=1,pad=circular,scales=4",
	"deep-decoder:out_channels=1,scales=4",
	"conv-stack:depth=4,sigma=2",
}

func runArchSweep(e *env) error {
	m := e.cfg.Mode
	side := pick(m, 32, 64, 256)
	n1 := pick(m, 256, 1024, 4096)
	specs := e.cfg.Archs
	if len(specs) == 0 {
		specs = defaultSweep
		if m == Tiny {
			specs = tinySweep
		}
	}
	e.steps(len(specs) + 1)
	e.md("## Setting\n\nArchitectures: %s. Each is analysed on a %dx%d periodic grid (N = %d for 1-D architectures), at the "+
		"output before its final activation: exact NNGP and NTK (`kernel.Compute`), their spectra (`gp.Spectrum`), and the "+
		"iteration at which gradient descent on the NTK half fits each frequency (`gp.Prior.Predict`, HalfIter = ln 2 / "+
		"-ln|1 - eta lambda|) with the step eta = 1 / lambda_max of that architecture, so that the top mode is fitted in "+
		"one step and architectures are compared at their own largest stable-ish step.", "`"+strings.Join(specs, "`, `")+"`", side, side, n1)
	var rows []kernelRow
	var keys []string
	for i, s := range specs {
		a, err := arch.Parse(s)
		if err != nil {
			return err
		}
		size := []int{side, side}
		if a.Dims == 1 {
			size = []int{n1}
		}
		if err := a.Validate(size); err != nil {
			return fmt.Errorf("%s at size %v: %w", s, size, err)
		}
		r, err := e.analyse(s, a, size)
		if err != nil {
			return err
		}
		prior, err := gp.NewPrior(r.ntk, gp.PriorOptions{Workers: e.cfg.Workers, MaxWork: e.maxWork()})
		if err != nil {
			return err
		}
		var y []float64
		if a.Dims == 1 {
			y = imageio.Synthetic(n1, 1, 1).Pix
		} else {
			y = imageio.Synthetic(side, side, 1).Pix
		}
		r.lambdaMax = prior.MaxEigenvalue()
		pred, err := prior.Predict([][]float64{y}, gp.PredictOptions{LR: 1 / r.lambdaMax, Iters: 1, Checkpoints: []int{0, 1}})
		if err != nil {
			return err
		}
		r.halfIter, r.halfFreq = pred.HalfIter, pred.Freq
		rows = append(rows, r)
		keys = append(keys, fmt.Sprintf("arch%d", i+1))
		if err := e.step(s); err != nil {
			return err
		}
	}
	e.md("## Spectral summary\n\nKeys in numbers.json and the CSV: %s.", keyList(keys, specs))
	e.kernelTable(rows, keys)
	if err := e.spectraFigure("spectra", "radial NNGP (left) and NTK (right) spectra of the architectures, each divided by its lowest-frequency value", rows, keys); err != nil {
		return err
	}
	// Predicted fitting times.
	var series []plotting.Series
	var t [][]string
	header := []string{}
	var cols [][]float64
	for i, r := range rows {
		var x, y []float64
		for k, h := range r.halfIter {
			if !math.IsInf(h, 0) && !math.IsNaN(h) && h > 0 {
				x = append(x, r.halfFreq[k])
				y = append(y, h)
			}
		}
		if len(x) > 0 {
			series = append(series, plotting.Series{Name: r.name, X: x, Y: y})
		}
		header = append(header, keys[i]+"_freq", keys[i]+"_half_iter")
		cols = append(cols, r.halfFreq, r.halfIter)
		at := func(f float64) float64 { return nearest(r.halfFreq, r.halfIter, f) }
		t = append(t, []string{r.name, fg(r.lambdaMax, 4), fg(at(1.0/16), 3), fg(at(0.25), 3), fg(at(0.5), 3)})
		e.num("half_iter_f0.0625_"+keys[i], at(1.0/16))
		e.num("half_iter_f0.25_"+keys[i], at(0.25))
		e.num("half_iter_f0.5_"+keys[i], at(0.5))
	}
	e.md("## Predicted fitting time per frequency\n\nIterations of gradient descent (step 1/lambda_max) at which the residual " +
		"at a frequency is halved, by the NTK (linearized dynamics, docs/theory.md section 5):")
	e.table([]string{"architecture", "lambda_max", "half-fit iteration at 1/16 cycles/pixel", "at 1/4", "at 1/2 (Nyquist)"}, t)
	long := 0
	for _, c := range cols {
		long = max(long, len(c))
	}
	data := make([][]float64, long)
	for i := range data {
		for _, c := range cols {
			v := math.NaN()
			if i < len(c) {
				v = c[i]
			}
			data[i] = append(data[i], v)
		}
	}
	if err := e.csv("half_fit", header, data); err != nil {
		return err
	}
	if len(series) > 0 {
		p, err := lines("Predicted fitting time (gradient descent on the NTK)", "frequency (cycles/pixel)", "half-fit iteration (step 1/lambda_max)", series, plotting.Options{LogX: true, LogY: true, LegendLeft: true})
		if err != nil {
			return err
		}
		if err := e.figure("half_fit", "iteration at which gradient descent on the NTK halves the residual at each frequency, step 1/lambda_max", p); err != nil {
			return err
		}
	}
	return e.step("figures")
}

func keyList(keys, specs []string) string {
	var s []string
	for i := range keys {
		s = append(s, fmt.Sprintf("%s = `%s`", keys[i], specs[i]))
	}
	return strings.Join(s, ", ")
}

// nearest returns y at the x closest to x0.
func nearest(x, y []float64, x0 float64) float64 {
	best, v := math.Inf(1), math.NaN()
	for i := range x {
		if d := math.Abs(x[i] - x0); d < best {
			best, v = d, y[i]
		}
	}
	return v
}
