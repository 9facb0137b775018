package experiments

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/plotting"
)

// spectralOrderImages are the triangle images of the spectral-bias paper.
var spectralOrderImages = []string{"triangle-0.2.png", "triangle-0.9.png"}

// spectralOrder holds one spectral-order experiment: its setting and what
// the runs on each image collect for the report and the figures.
type spectralOrder struct {
	e     *env
	st    trainSetting
	extra int // run pairs per image beyond the first, for the spread over seeds

	over      [2]orderSpread
	cur       map[string]float64 // the numbers of the first pair being trained
	fbcPanels []*plot.Plot
	sse, half []plotting.Series
	rows      [][]string
}

// orderSpread collects, per image, one value per pair of runs.
type orderSpread struct{ order, sseLast, sseMax []float64 }

// orderImage is the state of the first pair of runs on one image.
type orderImage struct {
	ii        int
	name, key string
	src       string
	img       imageio.Image
	a         arch.Arch
	spec      string
	cfg       dip.Config
	r1, r2    *run

	// Trajectory distance between the two runs.
	xs, ys []float64
	imax   int

	// Order of fitting.
	ag      dip.Agreement
	centers []float64
	order   float64
}

func runSpectralOrder(e *env) error {
	so := newSpectralOrder(e)
	so.settingMD()
	var keys []string
	for _, file := range spectralOrderImages {
		for k := 0; k <= so.extra; k++ {
			keys = append(keys, fmt.Sprintf("%s pair %d", strings.TrimSuffix(file, ".png"), k+1))
		}
	}
	units, done, err := e.runUnits(keys, so.st.iters, func(i int) (unitData, error) {
		ii, k := i/(so.extra+1), i%(so.extra+1)
		if k == 0 {
			return so.fitImage(ii, spectralOrderImages[ii])
		}
		return so.otherPair(ii, k)
	})
	if err != nil {
		return err
	}
	if !done {
		// A shard draws the figures of the first pairs it trained.
		if len(so.fbcPanels) > 0 {
			if err := so.figures(); err != nil {
				return err
			}
		}
		return e.shardNote(nil, len(keys))
	}
	if err := so.collect(units); err != nil {
		return err
	}
	so.overSeedsMD()
	return so.figures()
}

func newSpectralOrder(e *env) *spectralOrder {
	st := e.trainSetting([3]int{30, 1000, 1000}, 64)
	// Chakrabarty and Maji's settings (PCJohn/dip-spectral, dip.py, its
	// command-line defaults): Adam LR 0.001, 1000 iterations, skip net of
	// depth 5 with 256 channels, 4 skip channels, LeakyReLU, bilinear
	// up-sampling, input N(0, 1) with as many channels as the image, two
	// runs per image.
	st.spec = pick(e.cfg.Mode, "dip-skip:scales=2,channels=8,skip=4", "dip-skip:channels=64", "dip-skip:channels=256") +
		",in_channels=1,input=gaussian,in_scale=1"
	so := &spectralOrder{e: e, st: st, extra: pick(e.cfg.Mode, 1, 2, 4)}
	e.steps(6 + 2*so.extra)
	return so
}

func (so *spectralOrder) settingMD() {
	so.e.md("## Setting\n\nChakrabarty and Maji's settings (PCJohn/dip-spectral, dip.py: Adam LR 0.001, 1000 iterations, "+
		"5-scale skip net with 256 channels and 4 skip channels, LeakyReLU, bilinear up-sampling, input N(0, 1) with "+
		"the image's channels, no input noise; quick mode: 64 channels, 64x64 crops). "+
		"DIP fits the clean image itself (task fit, y = x) with Adam (LR 0.001, no input noise, so that a "+
		"run is determined by its initialization), %d iterations, measured every %d, on each triangle image; two runs per "+
		"image differ only in their seed (weights and input noise). Measured along the runs (`dip.Train`): the FBC bands "+
		"H_b(t) of Shi et al. (5 radial bands, low to high frequency), the residual ratio per radial frequency bin "+
		"|F(f_t - y)| / |F(f_0 - y)| and its half-fit iteration (`dip.HalfFit`), and the trajectory distance "+
		"SSE(t) = sum (f1_t - f2_t)^2 between the two runs (`dip.SSE`). The order of fitting is summarized by Spearman's "+
		"rank correlation between a bin's frequency and its half-fit iteration (+1: strictly low frequencies first), and "+
		"compared with the order the NTK predicts (`dip.Compare`, one fitted time scale for Adam).", so.st.iters, so.st.every())
}

// fitImage runs the first pair of runs on the ii-th image with every
// measurement, its figures and images, and returns its numbers.
func (so *spectralOrder) fitImage(ii int, file string) (unitData, error) {
	so.cur = map[string]float64{}
	oi, err := so.trainPair(ii, file)
	if err != nil {
		return unitData{}, err
	}
	for _, f := range []func(*orderImage) error{so.trajectory, so.fbcPanel, so.fitOrder, so.record, so.showImages} {
		if err := f(oi); err != nil {
			return unitData{}, err
		}
	}
	// The spread uses one estimator for every pair: half-fit from the
	// measured residual ratios (dip.HalfFit), as orderPair does.
	so.cur["pair_order"] = halfFitOrder(oi.r1.res.Measurements, oi.centers)
	so.cur["pair_sse_last"], so.cur["pair_sse_max"] = oi.ys[len(oi.ys)-1], oi.ys[oi.imax]
	return unitData{Numbers: so.cur}, nil
}

// otherPair trains the k-th further pair of runs on the ii-th image for
// the spread over seeds.
func (so *spectralOrder) otherPair(ii, k int) (unitData, error) {
	e := so.e
	file := spectralOrderImages[ii]
	name := strings.TrimSuffix(file, ".png")
	prob, a, spec, err := so.problem(file)
	if err != nil {
		return unitData{}, err
	}
	cfg := so.config(prob, a, 0)
	o, last, mx, err := e.orderPair(fmt.Sprintf("%s pair %d", name, k+1), spec, cfg, e.seed(100+10*ii+2*k), e.seed(101+10*ii+2*k))
	if err != nil {
		return unitData{}, err
	}
	return unitData{Numbers: map[string]float64{"pair_order": o, "pair_sse_last": last, "pair_sse_max": mx}}, nil
}

// collect records the first pairs' numbers and table rows and the spread
// over the pairs of each image from the units (in image order, pairs
// within).
func (so *spectralOrder) collect(units []unitData) error {
	e := so.e
	for i, u := range units {
		ii, k := i/(so.extra+1), i%(so.extra+1)
		n := u.Numbers
		sp := &so.over[ii]
		sp.order, sp.sseLast, sp.sseMax = append(sp.order, n["pair_order"]), append(sp.sseLast, n["pair_sse_last"]), append(sp.sseMax, n["pair_sse_max"])
		if k != 0 {
			continue
		}
		name := strings.TrimSuffix(spectralOrderImages[ii], ".png")
		key := orderKey(name)
		for _, q := range []string{"sse_final", "sse_max", "sse_argmax_iter", "spearman_freq_vs_half_fit", "spearman_observed_vs_ntk", "psnr_final"} {
			e.num(q+"_"+key, n[q+"_"+key])
		}
		_, src, err := e.testImage(spectralOrderImages[ii], so.st.side, 1)
		if err != nil {
			return err
		}
		so.rows = append(so.rows, []string{name, src, fg(n["spearman_freq_vs_half_fit_"+key], 3), fg(n["spearman_observed_vs_ntk_"+key], 3),
			fmt.Sprintf("%.0f", n["bins_fitted_"+key]), fg(n["time_scale_"+key], 3), fg(n["sse_final_"+key], 4),
			fmt.Sprintf("%s (iteration %.0f)", fg(n["sse_max_"+key], 4), n["sse_argmax_iter_"+key]), f2(n["psnr_final_"+key])})
	}
	return nil
}

// trainPair sets up the problem of the ii-th image and trains its first
// pair of runs.
func (so *spectralOrder) trainPair(ii int, file string) (*orderImage, error) {
	e, st := so.e, so.st
	img, src, err := e.testImage(file, st.side, 1)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(file, ".png")
	oi := &orderImage{ii: ii, name: name, key: orderKey(name), src: src, img: img}
	prob, a, spec, err := so.problem(file)
	if err != nil {
		return nil, err
	}
	oi.a, oi.spec = a, spec
	oi.cfg = so.config(prob, a, e.seed(10+2*ii))
	if oi.r1, err = e.train(name+" run 1", oi.spec, oi.cfg, true); err != nil {
		return nil, err
	}
	if err := e.step(name + " run 1"); err != nil {
		return nil, err
	}
	cfg2 := oi.cfg
	cfg2.Seed = e.seed(11 + 2*ii)
	if oi.r2, err = e.train(name+" run 2", oi.spec, cfg2, true); err != nil {
		return nil, err
	}
	return oi, nil
}

// problem returns the fitting problem of an image and the network.
func (so *spectralOrder) problem(file string) (dip.Problem, arch.Arch, string, error) {
	img, _, err := so.e.testImage(file, so.st.side, 1)
	if err != nil {
		return dip.Problem{}, arch.Arch{}, "", err
	}
	prob, err := dip.NewProblem(img, dip.TaskOptions{Task: dip.Fit})
	if err != nil {
		return dip.Problem{}, arch.Arch{}, "", err
	}
	a, spec, err := so.st.archFor(1, arch.Standard)
	return prob, a, spec, err
}

// config is a run of the setting on prob from seed.
func (so *spectralOrder) config(prob dip.Problem, a arch.Arch, seed uint64) dip.Config {
	// Tiny runs are too short for LR 0.001 to half-fit any frequency.
	lr := pick(so.e.cfg.Mode, 0.01, 0.001, 0.001)
	return dip.Config{Arch: a, Problem: prob, Opt: dip.Optimizer{Kind: dip.Adam, LR: lr}, Iters: so.st.iters, Every: so.st.every(), Seed: seed, BurnIn: -1}
}

// orderKey is an image name as a number key: triangle-0.2 -> triangle_02.
func orderKey(name string) string {
	return strings.NewReplacer("-", "_", ".", "").Replace(name)
}

// trajectory measures the distance between the two runs of the first pair.
func (so *spectralOrder) trajectory(oi *orderImage) error {
	e := so.e
	for _, m := range oi.r1.res.Measurements {
		o1, ok1 := oi.r1.outputs[m.Iter]
		o2, ok2 := oi.r2.outputs[m.Iter]
		if !ok1 || !ok2 {
			continue
		}
		d, err := dip.SSE(o1, o2)
		if err != nil {
			return err
		}
		oi.xs = append(oi.xs, float64(m.Iter))
		oi.ys = append(oi.ys, d)
	}
	xs, ys := oi.xs, oi.ys
	if len(ys) == 0 {
		return fmt.Errorf("%s: the two runs have no common measured iteration", oi.name)
	}
	so.sse = append(so.sse, plotting.Series{Name: oi.name, X: xs, Y: ys})
	data := make([][]float64, len(xs))
	for i := range xs {
		data[i] = []float64{xs[i], ys[i]}
	}
	if err := e.csv("sse_"+oi.key, []string{"iter", "sse"}, data); err != nil {
		return err
	}
	for i := range ys {
		if ys[i] > ys[oi.imax] {
			oi.imax = i
		}
	}
	so.cur["sse_final_"+oi.key] = ys[len(ys)-1]
	so.cur["sse_max_"+oi.key] = ys[oi.imax]
	so.cur["sse_argmax_iter_"+oi.key] = xs[oi.imax]
	return nil
}

// fbcPanel plots the FBC bands of the first run.
func (so *spectralOrder) fbcPanel(oi *orderImage) error {
	var bs []plotting.Series
	for b := 0; b < dip.FBCBands; b++ {
		x, y := curve(oi.r1.res.Measurements, func(m dip.Measurement) float64 { return m.FBC[b] })
		bs = append(bs, plotting.Series{Name: fmt.Sprintf("band %d", b+1), X: x, Y: y})
	}
	pf, err := lines(oi.name+": FBC bands (run 1)", "iteration", "FBC H_b(t) (0: not fitted, 1: fitted)", bs, plotting.Options{LegendBottom: true})
	if err != nil {
		return err
	}
	pf.Y.Min, pf.Y.Max = 0, 1
	so.fbcPanels = append(so.fbcPanels, pf)
	return nil
}

// fitOrder measures the order of fitting of the first run, observed and
// predicted by the NTK.
func (so *spectralOrder) fitOrder(oi *orderImage) error {
	e := so.e
	k, err := dip.NewKernel(e.ctx, oi.a, []int{so.st.side, so.st.side})
	if err != nil {
		return err
	}
	cmp, err := dip.Compare(e.ctx, k, oi.cfg, oi.r1.res)
	if err != nil {
		return err
	}
	ag := cmp.Agreement
	oi.ag = ag
	centers := make([]float64, len(ag.BinCenters))
	obs := make([]float64, len(ag.ObservedHalf))
	pred := make([]float64, len(ag.PredictedHalf))
	var hx, hy, px, py []float64
	for i := range centers {
		centers[i] = float64(ag.BinCenters[i])
		obs[i] = float64(ag.ObservedHalf[i])
		pred[i] = float64(ag.PredictedHalf[i])
		if !math.IsNaN(obs[i]) && !math.IsInf(obs[i], 0) && obs[i] > 0 {
			hx, hy = append(hx, centers[i]), append(hy, obs[i])
		}
		if !math.IsNaN(pred[i]) && !math.IsInf(pred[i], 0) && pred[i] > 0 {
			px, py = append(px, centers[i]), append(py, pred[i])
		}
	}
	oi.centers = centers
	oi.order = dip.Spearman(centers, obs)
	if len(hx) > 0 {
		so.half = append(so.half, plotting.Series{Name: oi.name + " observed", X: hx, Y: hy})
	}
	if len(px) > 0 {
		so.half = append(so.half, plotting.Series{Name: oi.name + " NTK (fitted time scale)", X: px, Y: py, Dashed: true})
	}
	hd := make([][]float64, len(centers))
	for i := range centers {
		hd[i] = []float64{centers[i], obs[i], pred[i]}
	}
	return e.csv("half_fit_"+oi.key, []string{"bin_center", "observed_half_fit_iter", "predicted_half_fit_iter"}, hd)
}

// record writes the first pair's metrics and keeps its numbers (collect
// makes its row of the order-of-fitting table).
func (so *spectralOrder) record(oi *orderImage) error {
	e, ag := so.e, oi.ag
	if err := e.metricsCSV("metrics_"+oi.key+"_run1", oi.r1); err != nil {
		return err
	}
	if err := e.metricsCSV("metrics_"+oi.key+"_run2", oi.r2); err != nil {
		return err
	}
	last := oi.r1.res.Measurements[len(oi.r1.res.Measurements)-1]
	so.cur["spearman_freq_vs_half_fit_"+oi.key] = oi.order
	so.cur["spearman_observed_vs_ntk_"+oi.key] = float64(ag.Spearman)
	so.cur["psnr_final_"+oi.key] = last.PSNR
	so.cur["bins_fitted_"+oi.key] = float64(ag.BinsFitted)
	so.cur["time_scale_"+oi.key] = float64(ag.TimeScale)
	return e.step(oi.name + " run 2")
}

// showImages writes the target and the first run's outputs at a tenth, a
// third and the end of the run.
func (so *spectralOrder) showImages(oi *orderImage) error {
	e := so.e
	var paths, labels []string
	p, err := e.image("target_"+oi.key, oi.img)
	if err != nil {
		return err
	}
	paths, labels = append(paths, p), append(labels, oi.name)
	for _, t := range []int{so.st.iters / 10, so.st.iters / 3, so.st.iters} {
		t = nearestIter(oi.r1.res.Measurements, t)
		if o, ok := oi.r1.outputs[t]; ok {
			if p, err = e.image(fmt.Sprintf("output_%s_iter%d", oi.key, t), o); err != nil {
				return err
			}
			paths, labels = append(paths, p), append(labels, fmt.Sprintf("run 1, iteration %d", t))
		}
	}
	e.md("## %s", oi.name)
	e.images(paths, labels)
	return nil
}

// overSeedsMD reports the spread over the pairs of runs, and the table of
// the first pairs.
func (so *spectralOrder) overSeedsMD() {
	e := so.e
	e.md("## Over seeds\n\n%d pairs of runs per image (each pair: two independent initializations; the first pair is the "+
		"one above). Mean ± standard deviation over the pairs of Spearman(frequency, observed half-fit iteration) of "+
		"each pair's first run, and of the pair's trajectory distance:", so.extra+1)
	var srows [][]string
	for ii, file := range spectralOrderImages {
		name := strings.TrimSuffix(file, ".png")
		key := orderKey(name)
		sp := so.over[ii]
		var cells []string
		for _, q := range []struct {
			k string
			v []float64
		}{{"spearman_freq_vs_half_fit", sp.order}, {"sse_final", sp.sseLast}, {"sse_max", sp.sseMax}} {
			mu, sd := meanSD(q.v)
			e.num(fmt.Sprintf("%s_%s_mean", q.k, key), mu)
			e.num(fmt.Sprintf("%s_%s_sd", q.k, key), sd)
			cells = append(cells, fmt.Sprintf("%s ± %s", fg(mu, 3), fg(sd, 2)))
		}
		srows = append(srows, append([]string{name, fmt.Sprint(len(sp.order))}, cells...))
	}
	e.table([]string{"image", "pairs", "Spearman(frequency, observed half-fit)", "SSE last", "SSE max"}, srows)
	e.md("## Order of fitting")
	e.table([]string{"image", "source", "Spearman(frequency, observed half-fit)", "Spearman(observed, NTK half-fit)", "bins half fitted (both)", "fitted time scale c", "SSE last", "SSE max", "PSNR last (dB)"}, so.rows)
}

// figures draws the FBC bands, the trajectory distances and the half-fit
// iterations.
func (so *spectralOrder) figures() error {
	e := so.e
	if len(so.fbcPanels) == 0 {
		e.md("This merge has every pair's numbers; the curves, figures and images of the first pairs are in the folders of the shards that trained them.")
		return nil
	}
	if err := e.grid("fbc", "FBC bands of run 1 against iterations (band 1: lowest frequencies)", [][]*plot.Plot{so.fbcPanels}, 2*panelW, panelH); err != nil {
		return err
	}
	ps, err := lines("Trajectory distance between two runs", "iteration", "SSE(t) = sum (f1_t - f2_t)^2", so.sse, plotting.Options{})
	if err != nil {
		return err
	}
	if err := e.figure("sse", "trajectory distance between the two runs from independent initializations", ps); err != nil {
		return err
	}
	if len(so.half) == 0 {
		return nil
	}
	ph, err := lines("Half-fit iteration per frequency", "frequency (cycles/pixel)", "iteration at which the residual is halved", so.half, plotting.Options{LogY: true, LegendLeft: true})
	if err != nil {
		return err
	}
	return e.figure("half_fit", "iteration at which the residual of each radial frequency bin is halved: observed (run 1) and predicted by the NTK with the fitted time scale; bins never half fitted are left out", ph)
}

// orderPair trains two runs of cfg from seeds a and b and returns the
// Spearman correlation between the bins' frequencies and the first run's
// half-fit iterations, and the last and largest trajectory distance.
func (e *env) orderPair(label, spec string, cfg dip.Config, a, b uint64) (order, sseLast, sseMax float64, err error) {
	cfg.Seed = a
	r1, err := e.train(label+" run 1", spec, cfg, true)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := e.step(label + " run 1"); err != nil {
		return 0, 0, 0, err
	}
	cfg.Seed = b
	r2, err := e.train(label+" run 2", spec, cfg, true)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := e.step(label + " run 2"); err != nil {
		return 0, 0, 0, err
	}
	ms := r1.res.Measurements
	for _, m := range ms {
		if o1, ok := r1.outputs[m.Iter]; ok {
			if o2, ok := r2.outputs[m.Iter]; ok {
				d, err := dip.SSE(o1, o2)
				if err != nil {
					return 0, 0, 0, err
				}
				sseLast, sseMax = d, math.Max(sseMax, d)
			}
		}
	}
	return halfFitOrder(ms, r1.res.BinCenters), sseLast, sseMax, nil
}

// halfFitOrder returns Spearman's correlation between the radial bins'
// frequencies and the iterations at which their measured residual ratios
// fall to one half.
func halfFitOrder(ms []dip.Measurement, centers []float64) float64 {
	iters := make([]float64, len(ms))
	for i, m := range ms {
		iters[i] = float64(m.Iter)
	}
	half := make([]float64, len(centers))
	for j := range centers {
		ratio := make([]float64, len(ms))
		for i, m := range ms {
			ratio[i] = math.NaN()
			if j < len(m.Ratio) {
				ratio[i] = m.Ratio[j]
			}
		}
		half[j] = dip.HalfFit(iters, ratio, 0.5)
	}
	return dip.Spearman(centers, half)
}
