package experiments

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/plotting"
)

// lowpass holds one spectral-lowpass experiment: the denoising problem, the
// NTK, and what the runs collect for the report and the figures.
type lowpass struct {
	e       *env
	st      trainSetting
	clean   imageio.Image
	src     string
	prob    dip.Problem
	n       int // values in the target
	k       *dip.Kernel
	gdLR    float64
	aNTK    arch.Arch
	aSP     arch.Arch
	specNTK string
	specSP  string

	rows          [][]string
	panels        []*plot.Plot
	paths, labels []string
}

// lowpassRun is one of the two training runs: gradient descent in the NTK
// parameterization, or Adam.
type lowpassRun struct {
	label, key, spec string
	a                arch.Arch
	opt              dip.Optimizer
}

// lowpassSigma is the noise level on the 0..255 scale.
const lowpassSigma = 25.0

func runSpectralLowpass(e *env) error {
	lp, err := newLowpass(e)
	if err != nil {
		return err
	}
	lp.settingMD()
	if err := lp.inputImages(); err != nil {
		return err
	}
	for i, c := range []lowpassRun{
		{"GD (NTK param.)", "gd", lp.specNTK, lp.aNTK, dip.Optimizer{Kind: dip.GD, LR: lp.gdLR}},
		{"Adam", "adam", lp.specSP, lp.aSP, dip.Optimizer{Kind: dip.Adam, LR: 0.01}},
	} {
		if err := lp.trainAndCompare(i, c); err != nil {
			return err
		}
	}
	return lp.report()
}

// newLowpass sets up the problem, the two networks and the NTK, and the
// gradient-descent step.
func newLowpass(e *env) (*lowpass, error) {
	lp := &lowpass{e: e, st: e.trainSetting([3]int{40, 800, 3000}, 64)}
	st := lp.st
	var err error
	if lp.clean, lp.src, err = e.testImage("cameraman256.png", st.side, 1); err != nil {
		return nil, err
	}
	if lp.prob, err = dip.NewProblem(lp.clean, dip.TaskOptions{Task: dip.Denoise, Sigma: lowpassSigma, Seed: e.seed(1)}); err != nil {
		return nil, err
	}
	lp.n = len(lp.prob.Target.Pix)
	e.steps(5)
	if lp.aNTK, lp.specNTK, err = st.archFor(1, arch.NTK); err != nil {
		return nil, err
	}
	if lp.aSP, lp.specSP, err = st.archFor(1, arch.Standard); err != nil {
		return nil, err
	}
	if lp.k, err = dip.NewKernel(e.ctx, lp.aNTK, []int{st.side, st.side}); err != nil {
		return nil, err
	}
	if err := e.step("kernel"); err != nil {
		return nil, err
	}
	if lp.gdLR, err = dip.DefaultLR(dip.GD, lp.k, lp.n, 0); err != nil {
		return nil, err
	}
	return lp, nil
}

func (lp *lowpass) settingMD() {
	e := lp.e
	e.md("## Setting\n\nImage: %s with Gaussian noise of std %g/255 (seed %d). Two runs of %d iterations, measured every "+
		"%d: gradient descent on `%s` (NTK parameterization, LR = 0.5 x the step at which eta_eff lambda_max = 1, i.e. "+
		"%s) and DIP's Adam (LR 0.01, no input noise, no averaging) on `%s`. The NTK is the exact infinite-width kernel of "+
		"the architecture (`dip.NewKernel`, %s).\n\n"+
		"The kernel's prediction of the output at iteration t is the target's low-pass filtered version "+
		"f_t = y + g_t(Theta)(f_0 - y) with the run's own start f_0 (docs/theory.md section 5): g_t(lambda) = (1 - eta_eff lambda)^t "+
		"for gd (nothing fitted), and exp(-c t lambda) for Adam with the time scale c fitted by `dip.Compare` to the "+
		"observed half-fit iterations. The images are applied in the kernel's modes (`gp.Prior.Apply`).",
		lp.src, lowpassSigma, e.seed(1), lp.st.iters, lp.st.every(), lp.specNTK, fg(lp.gdLR, 3), lp.specSP, lp.k.Prior.Note())
}

// inputImages writes the clean image and the noisy target.
func (lp *lowpass) inputImages() error {
	p, err := lp.e.image("clean", lp.clean)
	if err != nil {
		return err
	}
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, "clean")
	if p, err = lp.e.image("noisy", lp.prob.Target); err != nil {
		return err
	}
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, "noisy target")
	return nil
}

// trainAndCompare trains the i-th run, compares it with the NTK's low-pass
// prediction along the run and at its best stopping, and records its
// numbers and its row of the table.
func (lp *lowpass) trainAndCompare(i int, c lowpassRun) error {
	e := lp.e
	cfg := dip.Config{Arch: c.a, Problem: lp.prob, Opt: c.opt, Iters: lp.st.iters, Every: lp.st.every(), Seed: e.seed(2 + i), BurnIn: -1}
	r, err := e.train(c.label, c.spec, cfg, true)
	if err != nil {
		return err
	}
	cmp, err := dip.Compare(e.ctx, lp.k, cfg, r.res)
	if err != nil {
		return err
	}
	ag := cmp.Agreement
	g := lowpassFilter(c.opt, lp.n, float64(ag.TimeScale))
	// The prediction needs a fitted time scale unless the run is gd.
	predictable := c.opt.Kind == dip.GD || !math.IsNaN(float64(ag.TimeScale))
	if err := lp.alongRun(c, r, g, predictable); err != nil {
		return err
	}
	closeAtBest, err := lp.atBest(c, r, g, predictable)
	if err != nil {
		return err
	}
	lp.record(c, r, ag, closeAtBest)
	return e.step(c.label)
}

// lowpassFilter returns g_t(lambda) of the NTK's prediction: (1 - eta_eff
// lambda)^t for gradient descent, exp(-c t lambda) with the fitted time
// scale c otherwise.
func lowpassFilter(opt dip.Optimizer, n int, timeScale float64) func(t float64) func(float64) float64 {
	if opt.Kind == dip.GD {
		eta := dip.EffectiveStep(opt, n)
		return func(t float64) func(float64) float64 {
			return func(l float64) float64 { return math.Pow(1-eta*l, t) }
		}
	}
	return func(t float64) func(float64) float64 {
		return func(l float64) float64 { return math.Exp(-timeScale * t * l) }
	}
}

// alongRun compares the observed outputs with the predicted images along
// the run: CSV files and a panel of PSNR curves.
func (lp *lowpass) alongRun(c lowpassRun, r *run, g func(float64) func(float64) float64, predictable bool) error {
	e := lp.e
	var cx, cy, ox, oy, qx, qy []float64
	var data [][]float64
	for _, m := range r.res.Measurements {
		o, ok := r.outputs[m.Iter]
		if !ok || !predictable {
			continue
		}
		pred, err := predictImage(lp.k, lp.prob.Target, r.res.Start, g(float64(m.Iter)))
		if err != nil {
			return err
		}
		gap, err := imageio.PSNR(o, pred)
		if err != nil {
			return err
		}
		pp, err := imageio.ClippedPSNR(pred, lp.clean)
		if err != nil {
			return err
		}
		// At t = 0 the prediction is f_0 itself.
		if m.Iter > 0 && !math.IsInf(gap, 0) {
			cx, cy = append(cx, float64(m.Iter)), append(cy, gap)
		}
		ox, oy = append(ox, float64(m.Iter)), append(oy, m.PSNR)
		qx, qy = append(qx, float64(m.Iter)), append(qy, pp)
		data = append(data, []float64{float64(m.Iter), m.PSNR, pp, gap})
	}
	if err := e.csv("lowpass_"+c.key, []string{"iter", "psnr_observed_db", "psnr_predicted_db", "psnr_observed_vs_predicted_db"}, data); err != nil {
		return err
	}
	if err := e.metricsCSV("metrics_"+c.key, r); err != nil {
		return err
	}
	ser := []plotting.Series{{Name: "observed output vs clean", X: ox, Y: oy}, {Name: "NTK low-pass prediction vs clean", X: qx, Y: qy, Dashed: true}}
	if len(cx) > 0 {
		ser = append(ser, plotting.Series{Name: "observed vs prediction", X: cx, Y: cy})
	}
	pl, err := lines(c.label, "iteration", "PSNR (dB)", ser, plotting.Options{LegendBottom: true})
	if err != nil {
		return err
	}
	lp.panels = append(lp.panels, pl)
	return nil
}

// atBest returns the PSNR between the observed output and the prediction
// at the measured iteration nearest the observed best, and writes both
// images; NaN when there is no prediction.
func (lp *lowpass) atBest(c lowpassRun, r *run, g func(float64) func(float64) float64, predictable bool) (float64, error) {
	closeAtBest := math.NaN()
	t := nearestIter(r.res.Measurements, r.res.Best.Iter)
	o, ok := r.outputs[t]
	if !ok || !predictable {
		return closeAtBest, nil
	}
	pred, err := predictImage(lp.k, lp.prob.Target, r.res.Start, g(float64(t)))
	if err != nil {
		return closeAtBest, err
	}
	closeAtBest, _ = imageio.PSNR(o, pred)
	p, err := lp.e.image("output_"+c.key+"_best", o)
	if err != nil {
		return closeAtBest, err
	}
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, fmt.Sprintf("%s at iteration %d: %s dB", c.label, t, f2(m2psnr(r.res.Measurements, t))))
	pc := pred
	for j := range pc.Pix {
		pc.Pix[j] = math.Min(1, math.Max(0, pc.Pix[j]))
	}
	if p, err = lp.e.image("predicted_"+c.key+"_best", pc); err != nil {
		return closeAtBest, err
	}
	pp, _ := imageio.ClippedPSNR(pred, lp.clean)
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, fmt.Sprintf("NTK low-pass prediction at iteration %d: %s dB", t, f2(pp)))
	return closeAtBest, nil
}

// record writes a run's numbers on best stopping and adds its table row.
func (lp *lowpass) record(c lowpassRun, r *run, ag dip.Agreement, closeAtBest float64) {
	e := lp.e
	predBest := ag.PredictedBest
	predKind := "expected over the noise"
	if predBest.Iter < 0 {
		predBest = ag.PredictedBestRealized
		predKind = "for this target"
	}
	e.num("best_iter_observed_"+c.key, float64(r.res.Best.Iter))
	e.num("best_psnr_observed_"+c.key, r.res.Best.PSNR)
	e.num("best_iter_predicted_"+c.key, float64(predBest.Iter))
	e.num("best_psnr_predicted_"+c.key, predBest.PSNR)
	e.num("psnr_observed_vs_predicted_at_best_"+c.key, closeAtBest)
	if c.opt.Kind.FixedStep() {
		e.num("time_ratio_"+c.key, float64(ag.TimeRatio))
	}
	e.num("psnr_rms_gap_"+c.key, float64(ag.PSNRRMS))
	lp.rows = append(lp.rows, []string{c.label, fmt.Sprintf("%s (iteration %d)", f2(r.res.Best.PSNR), r.res.Best.Iter),
		fmt.Sprintf("%s (iteration %d, %s)", f2(predBest.PSNR), predBest.Iter, predKind), f2(closeAtBest), fg(float64(ag.TimeScale), 3),
		fg(float64(ag.TimeRatio), 3), fg(float64(ag.PSNRRMS), 3), ag.Note})
}

// report writes the table, the figure and the images at the best iteration.
func (lp *lowpass) report() error {
	e := lp.e
	e.md("## Best stopping and closeness")
	e.table([]string{"run", "observed best PSNR", "predicted best PSNR", "PSNR(observed, prediction) at the observed best (dB)", "time scale c", "c / eta_eff", "RMS gap of the PSNR curves (dB)", "how the prediction was made"}, lp.rows)
	e.md("A PSNR between the observed output and the prediction above about 30 dB means the early-stopped network is, " +
		"to the eye, the kernel's low-pass filter of the noisy target; c / eta_eff = 1 means gradient descent runs on the " +
		"kernel's clock.")
	if err := e.grid("lowpass", "PSNR against the clean image of the observed output (solid) and of the NTK's low-pass prediction (dashed), and PSNR between the two", [][]*plot.Plot{lp.panels}, 2*panelW, 1.15*panelH); err != nil {
		return err
	}
	e.md("## Images at the observed best iteration")
	e.images(lp.paths, lp.labels)
	return e.step("figures")
}

// predictImage returns the NTK's prediction y + g(Theta)(f_0 - y), per
// channel, for the problem's target.
func predictImage(k *dip.Kernel, y, f0 imageio.Image, g func(lambda float64) float64) (imageio.Image, error) {
	out := imageio.Image{W: y.W, H: y.H, C: y.C, Pix: make([]float64, len(y.Pix))}
	n := y.W * y.H
	for c := 0; c < y.C; c++ {
		r := make([]float64, n)
		yc, fc := y.Channel(c), f0.Channel(c)
		for i := range r {
			r[i] = fc[i] - yc[i]
		}
		gr, err := k.Prior.Apply(g, r)
		if err != nil {
			return out, err
		}
		oc := out.Channel(c)
		for i := range oc {
			oc[i] = yc[i] + gr[i]
		}
	}
	return out, nil
}
