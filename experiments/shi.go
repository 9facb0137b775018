package experiments

import (
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register(Experiment{
		Name: "shi-controls",
		Summary: "Shi et al.'s spectral-bias controls (Lipschitz-controlled convs with lambda, Gaussian up-sampling with sigma, " +
			"mean-only batch norm): the kernel's predicted spectrum (half-power frequency, slope) for each lambda and sigma " +
			"against FBC band speeds and PSNR curves measured by training, and their blur/sharpness stopping rule against " +
			"the kernel's stopping iteration and the oracle on the 9-image set.",
		Paper:  "Shi et al. (IJCV 2022), the lambda and sigma sweeps, the late PSNR decline, and the automatic stopping rule",
		Images: shiImages,
		TinyCost: "about 15 s: 16x16, shi-decoder with 2 scales of 8 channels, 3 settings, 60 iterations per run, 1 image " +
			"for the sweep and 1 for stopping",
		QuickCost: "about 1 h on 2 cores (about 8 min on 16): 64x64 centre crops, shi-decoder with 4 scales of 32 channels, " +
			"Adam LR 0.01 for 1000 iterations measured every 5; 9 settings on 2 images, stopping on the 9 images",
		FullCost: "days (estimated): 256x256 crops, their decoder (5 scales, 128 channels), 10000 iterations measured every " +
			"iteration, sweeps and stopping on the 9 images",
		run: runShiControls,
	})
}

// shiImages are Shi et al.'s 9 denoising images (code/denoising.py).
var shiImages = []string{"denoising9/image_F16_512rgb.png", "denoising9/image_House256rgb.png", "denoising9/kodim03.png",
	"denoising9/image_Baboon512rgb.png", "denoising9/image_Lena512rgb.png", "denoising9/image_Peppers512rgb.png",
	"denoising9/kodim01.png", "denoising9/kodim02.png", "denoising9/kodim12.png"}

// shiSetting is one point of the sweeps.
type shiSetting struct {
	key, label string
	lambda     float64
	sigma      string // "" for bilinear up-sampling
}

// shiMode is the size of a mode.
type shiMode struct {
	side, scales, channels, iters, every int
	sweepImages, stopImages              int
	lr                                   float64
}

func (e *env) shiMode() shiMode {
	m := pick(e.cfg.Mode,
		shiMode{16, 2, 8, 60, 1, 1, 1, 0.01},
		shiMode{64, 4, 32, 1000, 5, 2, 9, 0.01},
		shiMode{256, 5, 128, 10000, 1, 9, 9, 0.001})
	if e.cfg.Iters > 0 {
		m.iters = e.cfg.Iters
	}
	return m
}

func shiSettings() []shiSetting {
	s := []shiSetting{{"none", "no control (bilinear)", 0, ""}}
	for _, l := range []float64{2, 1.4, 1, 0.7} {
		s = append(s, shiSetting{fmt.Sprintf("lambda%g", l), fmt.Sprintf("lambda = %g", l), l, ""})
	}
	for _, g := range []string{"0.1", "0.3", "0.5", "1"} {
		s = append(s, shiSetting{"sigma" + g, "sigma = " + g, 0, g})
	}
	return s
}

func (m shiMode) spec(s shiSetting, out int) string {
	spec := fmt.Sprintf("shi-decoder:scales=%d,channels=%d,in_channels=%d,out_channels=%d,lipschitz=%g",
		m.scales, m.channels, min(32, m.channels), out, s.lambda)
	if s.sigma != "" {
		spec += ",up_sigma=" + s.sigma
	}
	return spec
}

func runShiControls(e *env) error {
	m := e.shiMode()
	sets := shiSettings()
	e.steps(len(sets)*(1+m.sweepImages) + m.stopImages + 1)
	e.md("## Setting\n\nShi et al.'s decoder (`shi-decoder`, denoising/models/decoder.py and code/models/common.py of "+
		"shizenglin/Measure-and-Control-Spectral-Bias) at %d scales of %d channels on %dx%d centre crops with Gaussian noise "+
		"of std 25/255; Adam with LR %g (theirs: 0.001 over 10000 iterations; tiny and quick modes use DIP's 0.01 to reach the "+
		"late decline in fewer iterations), no input noise, no averaging, %d iterations measured every %d. Lipschitz "+
		"control lambda applies to every 3x3 conv; Gaussian up-sampling uses one sigma at every level. The kernel's numbers "+
		"are those of the infinite-width network (docs/theory.md section 11): NNGP spectrum of the output "+
		"before the sigmoid (half-power frequency and power-law slope over [%g, %g] cycles/pixel).",
		m.scales, m.channels, m.side, m.side, m.lr, m.iters, m.every, gp.DefaultFitLo, gp.DefaultFitHi)
	if e.cfg.Mode == Tiny {
		sets = []shiSetting{sets[0], sets[3], sets[7]}
	}
	rows, err := e.shiSweep(m, sets)
	if err != nil {
		return err
	}
	if err := e.shiSweepReport(sets, rows); err != nil {
		return err
	}
	return e.shiStopping(m)
}

// shiRow is one setting's numbers.
type shiRow struct {
	halfPower, slope, halfPowerNTK float64
	best, final, decline           []float64
	fbcFinal                       [][]float64 // per image, per band
	halfBand                       [][]float64 // per image, per band: iteration at FBC 0.5
	psnrX, psnrY                   []float64   // first image's curve
	obsFBC, predFBC                []dip.Measurement
}

func (e *env) shiSweep(m shiMode, sets []shiSetting) ([]shiRow, error) {
	rows := make([]shiRow, len(sets))
	for si, s := range sets {
		r := &rows[si]
		spec := m.spec(s, 3)
		a, err := parseArch(spec, []int{m.side, m.side})
		if err != nil {
			return nil, err
		}
		nngp, ntk, err := kernel.Compute(e.ctx, a.PreActivation(), []int{m.side, m.side}, kernel.Options{NTK: true})
		if err != nil {
			return nil, err
		}
		_, sum, _, err := e.spectrumOf(nngp)
		if err != nil {
			return nil, err
		}
		_, sumT, _, err := e.spectrumOf(ntk)
		if err != nil {
			return nil, err
		}
		r.halfPower, r.slope, r.halfPowerNTK = sum.HalfPower, sum.Slope, sumT.HalfPower
		if !sum.HalfPowerOK {
			r.halfPower = math.NaN() // the spectrum never falls to half its lowest-frequency level
		}
		if !sumT.HalfPowerOK {
			r.halfPowerNTK = math.NaN()
		}
		if err := e.step(s.label + ": kernel"); err != nil {
			return nil, err
		}
		var k *dip.Kernel
		for im := 0; im < m.sweepImages; im++ {
			run, err := e.shiTrain(m, a, spec, shiImages[im], uint64(si*100+im))
			if err != nil {
				return nil, err
			}
			ms := run.res.Measurements
			r.best = append(r.best, run.res.Best.PSNR)
			r.final = append(r.final, ms[len(ms)-1].PSNR)
			r.decline = append(r.decline, run.res.Best.PSNR-ms[len(ms)-1].PSNR)
			r.fbcFinal = append(r.fbcFinal, ms[len(ms)-1].FBC)
			it := itersOf(ms)
			var hb []float64
			for b := 0; b < dip.FBCBands; b++ {
				hb = append(hb, dip.HalfFit(it, complement(field(ms, func(x dip.Measurement) float64 { return x.FBC[b] })), 0.5))
			}
			r.halfBand = append(r.halfBand, hb)
			if im == 0 {
				r.psnrX, r.psnrY = curve(ms, func(x dip.Measurement) float64 { return x.PSNR })
				// The kernel's FBC curves for this run (Adam: one fitted time scale).
				if k == nil {
					if k, err = dip.NewKernel(e.ctx, a, []int{m.side, m.side}); err != nil {
						return nil, err
					}
				}
				r.obsFBC = run.res.Measurements
				if cmp, err := dip.Compare(e.ctx, k, run.cfg, run.res); err != nil {
					e.note("%s: no kernel FBC curves: %v", s.label, err)
				} else {
					r.predFBC = cmp.Predicted
				}
			}
			if err := e.step(fmt.Sprintf("%s: image %d", s.label, im+1)); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}

// shiTrainRun is a run with its configuration.
type shiTrainRun struct {
	cfg dip.Config
	res dip.Result
}

func (e *env) shiProblem(m shiMode, file string) (dip.Problem, string, error) {
	clean, src, err := e.testImage(file, m.side, 3)
	if err != nil {
		return dip.Problem{}, "", err
	}
	p, err := dip.NewProblem(clean, dip.TaskOptions{Task: dip.Denoise, Sigma: 25, Seed: e.seed(1)})
	return p, src, err
}

func (e *env) shiTrain(m shiMode, a arch.Arch, spec, file string, k uint64) (*shiTrainRun, error) {
	p, _, err := e.shiProblem(m, file)
	if err != nil {
		return nil, err
	}
	cfg := dip.Config{Arch: a, Problem: p, Opt: dip.Optimizer{Kind: dip.Adam, LR: m.lr}, Iters: m.iters, Every: m.every,
		Seed: e.seed(10 + int(k)), BurnIn: -1}
	r, err := e.train(spec+" on "+file, spec, cfg, false)
	if err != nil {
		return nil, err
	}
	return &shiTrainRun{cfg: cfg, res: r.res}, nil
}

func mean(v []float64) float64 {
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func stdev(v []float64) float64 {
	mu := mean(v)
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s += (x - mu) * (x - mu)
			n++
		}
	}
	if n < 2 {
		return math.NaN()
	}
	return math.Sqrt(s / float64(n-1))
}

func (e *env) shiSweepReport(sets []shiSetting, rows []shiRow) error {
	e.md("## Lambda and sigma against the predicted spectrum and the measured band speeds")
	var table [][]string
	var csv [][]float64
	var hp, top, speed []float64
	for i, s := range sets {
		r := rows[i]
		var fbcTop, half3 []float64
		for j := range r.fbcFinal {
			fbcTop = append(fbcTop, r.fbcFinal[j][dip.FBCBands-1])
			half3 = append(half3, r.halfBand[j][2])
		}
		hp = append(hp, r.halfPower)
		top = append(top, mean(fbcTop))
		speed = append(speed, 1/mean(half3))
		table = append(table, []string{s.label, fg(r.halfPower, 3), fg(r.slope, 3), fg(r.halfPowerNTK, 3),
			fmt.Sprintf("%s ± %s", f2(mean(r.best)), f2(stdev(r.best))), f2(mean(r.final)),
			fmt.Sprintf("%s ± %s", f2(mean(r.decline)), f2(stdev(r.decline))), halfIter(mean(half3)), f(mean(fbcTop))})
		csv = append(csv, []float64{s.lambda, sigmaOf(s), r.halfPower, r.slope, r.halfPowerNTK, mean(r.best), stdev(r.best),
			mean(r.final), mean(r.decline), stdev(r.decline), mean(half3), mean(fbcTop)})
		e.num("half_power_"+s.key, r.halfPower)
		e.num("slope_"+s.key, r.slope)
		e.num("decline_db_"+s.key, mean(r.decline))
		e.num("fbc_top_final_"+s.key, mean(fbcTop))
	}
	e.table([]string{"setting", "NNGP half-power (cyc/px)", "NNGP slope", "NTK half-power", "best PSNR (dB)", "final PSNR",
		"late decline best - final (dB)", "band 3 at FBC 0.5 (iter)", "band 5 FBC at the end"}, table)
	if err := e.csv("controls", []string{"lambda", "sigma", "half_power_nngp", "slope_nngp", "half_power_ntk", "best_psnr",
		"best_psnr_sd", "final_psnr", "decline_db", "decline_sd", "band3_half_iter", "band5_final_fbc"}, csv); err != nil {
		return err
	}
	rhoTop, rhoSpeed := spearmanFinite(hp, top), spearmanFinite(hp, speed)
	e.num("spearman_halfpower_vs_band5_fbc", rhoTop)
	e.num("spearman_halfpower_vs_band3_speed", rhoSpeed)
	e.md("Spearman rank correlation over the settings (those with a half-power frequency and a finite speed) between the kernel's half-power frequency and the measured "+
		"top-band FBC at the end: %s; and the measured band-3 speed (1 / iteration at FBC 0.5): %s. A positive value "+
		"means the settings the kernel calls smoother (lower half-power) fit high frequencies more slowly. Means ± "+
		"standard deviations are over the images.", f(rhoTop), f(rhoSpeed))
	var series []plotting.Series
	for i, s := range sets {
		series = append(series, plotting.Series{Name: s.label, X: rows[i].psnrX, Y: rows[i].psnrY, Dashed: s.sigma != ""})
	}
	pl, err := lines("PSNR during training (first image)", "iteration", "PSNR (dB)", series, plotting.Options{LegendBottom: true})
	if err != nil {
		return err
	}
	if err := e.figure("psnr", "PSNR against iterations for every setting (first image); dashed: Gaussian up-sampling", pl); err != nil {
		return err
	}
	for i, s := range sets {
		if i != 0 && s.key != "lambda1" && s.key != "sigma0.5" {
			continue
		}
		var ss []plotting.Series
		for b := 0; b < dip.FBCBands; b++ {
			x, y := curve(rows[i].obsFBC, func(m dip.Measurement) float64 { return m.FBC[b] })
			xp, yp := curve(rows[i].predFBC, func(m dip.Measurement) float64 { return m.FBC[b] })
			ss = append(ss, plotting.Series{Name: fmt.Sprintf("band %d", b+1), X: x, Y: y},
				plotting.Series{Name: fmt.Sprintf("band %d NTK", b+1), X: xp, Y: yp, Dashed: true})
		}
		pl, err := lines("FBC, "+s.label, "iteration", "FBC", ss, plotting.Options{LegendBottom: true})
		if err != nil {
			return err
		}
		pl.Y.Min, pl.Y.Max = 0, 1
		if err := e.figure("fbc_"+s.key, "FBC bands measured (solid) and predicted by the NTK with one fitted time scale (dashed), "+s.label, pl); err != nil {
			return err
		}
	}
	return nil
}

func sigmaOf(s shiSetting) float64 {
	if s.sigma == "" {
		return 0
	}
	var v float64
	fmt.Sscan(s.sigma, &v)
	return v
}

// shiStopping compares Shi et al.'s rule, the kernel's stopping iteration
// and the oracle on the images with their default network.
func (e *env) shiStopping(m shiMode) error {
	s := shiSetting{key: "shi", lambda: 1.4}
	spec := m.spec(s, 3)
	a, err := parseArch(spec, []int{m.side, m.side})
	if err != nil {
		return err
	}
	k, err := dip.NewKernel(e.ctx, a, []int{m.side, m.side})
	if err != nil {
		return err
	}
	if err := e.step("stopping: kernel"); err != nil {
		return err
	}
	e.md("## Stopping: Shi et al.'s rule, the kernel and the oracle\n\nNetwork `%s` (their lambda 1.4, bilinear). Shi's rule "+
		"(n = %d, eps = %g) runs on the measured outputs (every %d iterations; exact with every iteration). The kernel's "+
		"iteration is the best of its predicted PSNR curve (`dip.Compare`; for Adam the NTK's time scale is fitted to the "+
		"run's half-fit iterations, so it is not a prediction made before training). The oracle is the best PSNR over "+
		"every iteration. PSNR lost = oracle - PSNR at the stopping iteration.", spec, dip.ShiWindow, dip.ShiEps, m.every)
	var rows [][]string
	var csv [][]float64
	var lostShi, lostK []float64
	for im := 0; im < m.stopImages; im++ {
		file := shiImages[im]
		p, _, err := e.shiProblem(m, file)
		if err != nil {
			return err
		}
		cfg := dip.Config{Arch: a, Problem: p, Opt: dip.Optimizer{Kind: dip.Adam, LR: m.lr}, Iters: m.iters, Every: m.every,
			Seed: e.seed(500 + im), BurnIn: -1}
		var st dip.ShiStop
		stopAt := -1
		prog := e.sub(file + ": iteration")
		obs := st.Observer(func(ev dip.Event) error { prog(ev.Measurement.Iter, cfg.Iters); return nil }, &stopAt)
		res, err := dip.Train(e.ctx, cfg, func(ev dip.Event) error {
			if stopAt >= 0 {
				return nil // keep training to the end for the oracle
			}
			if err := obs(ev); err != nil && err != dip.ErrShiStop {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		ms := res.Measurements
		fired := stopAt >= 0
		if !fired {
			stopAt = ms[len(ms)-1].Iter
		}
		psShi := m2psnr(ms, stopAt)
		kIter, psK := -1, math.NaN()
		if cmp, err := dip.Compare(e.ctx, k, cfg, res); err != nil {
			e.note("%s: no kernel stopping iteration: %v", file, err)
		} else {
			kIter = cmp.Agreement.PredictedBest.Iter
			if kIter < 0 {
				kIter = cmp.Agreement.PredictedBestRealized.Iter
			}
			kIter = nearestIter(ms, kIter)
			psK = m2psnr(ms, kIter)
		}
		lostShi = append(lostShi, res.Best.PSNR-psShi)
		lostK = append(lostK, res.Best.PSNR-psK)
		firedS := ""
		if !fired {
			firedS = " (not fired: end)"
		}
		rows = append(rows, []string{strings.TrimPrefix(file, "denoising9/"), fmt.Sprintf("%d (%s)", res.Best.Iter, f2(res.Best.PSNR)),
			fmt.Sprintf("%d%s (%s)", stopAt, firedS, f2(psShi)), fmt.Sprintf("%d (%s)", kIter, f2(psK)),
			f2(res.Best.PSNR - psShi), f2(res.Best.PSNR - psK)})
		csv = append(csv, []float64{float64(im), float64(res.Best.Iter), res.Best.PSNR, float64(stopAt), psShi, float64(kIter), psK})
		if err := e.step("stopping: " + file); err != nil {
			return err
		}
	}
	rows = append(rows, []string{"mean ± sd", "", "", "", fmt.Sprintf("%s ± %s", f2(mean(lostShi)), f2(stdev(lostShi))),
		fmt.Sprintf("%s ± %s", f2(mean(lostK)), f2(stdev(lostK)))})
	e.table([]string{"image", "oracle iter (PSNR)", "Shi's rule iter (PSNR)", "kernel iter (PSNR)", "lost by Shi (dB)", "lost by kernel (dB)"}, rows)
	e.num("psnr_lost_shi_mean", mean(lostShi))
	e.num("psnr_lost_shi_sd", stdev(lostShi))
	e.num("psnr_lost_kernel_mean", mean(lostK))
	e.num("psnr_lost_kernel_sd", stdev(lostK))
	return e.csv("stopping", []string{"image", "oracle_iter", "oracle_psnr", "shi_iter", "shi_psnr", "kernel_iter", "kernel_psnr"}, csv)
}

// spearmanFinite is dip.Spearman over the pairs where both are finite.
func spearmanFinite(x, y []float64) float64 {
	var a, b []float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsInf(x[i], 0) && !math.IsNaN(y[i]) && !math.IsInf(y[i], 0) {
			a, b = append(a, x[i]), append(b, y[i])
		}
	}
	if len(a) < 3 {
		return math.NaN()
	}
	return dip.Spearman(a, b)
}
