package experiments

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
)

// lowpass holds one spectral-lowpass experiment: the networks and their
// NTK (shared by every image, all grey and of one size), the (image, seed)
// pairs, and the figures of the first pair.
type lowpass struct {
	e       *env
	st      trainSetting
	images  []string
	seeds   int
	n       int // values in a target
	k       *dip.Kernel
	gdLR    float64
	aNTK    arch.Arch
	aSP     arch.Arch
	specNTK string
	specSP  string

	src           string // the first pair's image, as the report names it
	rows          [][]string
	panels        []*plot.Plot
	paths, labels []string
}

// lowpassRun is one of the two training runs of a pair: gradient descent
// in the NTK parameterization, or Adam.
type lowpassRun struct {
	label, key, spec string
	a                arch.Arch
	opt              dip.Optimizer
}

// lowpassSigma is the noise level on the 0..255 scale.
const lowpassSigma = 25.0

// lowpassImages lists the grey test images of spectral-lowpass per mode:
// cameraman (the experiment's image) first, then the denoising set.
func lowpassImages(m Mode) []string {
	set := []string{"cameraman256.png"}
	for _, f := range denoising9 {
		set = append(set, "denoising9/"+f)
	}
	return pick(m, set[:1], []string{set[0], "denoising9/image_House256rgb.png"}, set)
}

func runSpectralLowpass(e *env) error {
	lp, err := newLowpass(e)
	if err != nil {
		return err
	}
	ps := pairsOf(lp.images, lp.seeds)
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = fmt.Sprintf("%s seed %d", p.image, p.seed)
	}
	e.steps(1 + 2*len(ps) + 1)
	lp.settingMD(len(ps))
	units, done, err := e.runUnits(keys, lp.st.iters, func(i int) (unitData, error) {
		nums, err := lp.pair(i, ps[i])
		return unitData{Numbers: nums}, err
	})
	if err != nil {
		return err
	}
	if !done && len(lp.rows) == 0 {
		return e.shardNote(nil, len(ps))
	}
	if err := lp.detail(); err != nil {
		return err
	}
	if !done {
		return e.shardNote(nil, len(ps))
	}
	nums := make([]map[string]float64, len(units))
	for i, u := range units {
		nums[i] = u.Numbers
	}
	return lp.summary(ps, nums)
}

// newLowpass sets up the networks, the NTK and the gradient-descent step.
func newLowpass(e *env) (*lowpass, error) {
	m := e.cfg.Mode
	lp := &lowpass{e: e, st: e.trainSetting([3]int{40, 800, 3000}, 64), images: lowpassImages(m), seeds: pick(m, 2, 3, 3)}
	st := lp.st
	lp.n = st.side * st.side
	var err error
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

func (lp *lowpass) runs() []lowpassRun {
	return []lowpassRun{
		{"GD (NTK param.)", "gd", lp.specNTK, lp.aNTK, dip.Optimizer{Kind: dip.GD, LR: lp.gdLR}},
		{"Adam", "adam", lp.specSP, lp.aSP, dip.Optimizer{Kind: dip.Adam, LR: dip.AdamLR}},
	}
}

func (lp *lowpass) settingMD(pairs int) {
	e := lp.e
	e.md("## Setting\n\n%d (image, seed) pairs: %d grey image(s) (%s), %dx%d centre crops, x %d seeds; each seed "+
		"re-draws the Gaussian noise of std %g/255 and both networks. Two runs per pair of %d iterations, measured "+
		"every %d: gradient descent on `%s` (NTK parameterization, LR = 0.5 x the step at which eta_eff lambda_max = 1, "+
		"i.e. %s) and DIP's Adam (LR %g, no input noise, no averaging) on `%s`. The NTK is the exact infinite-width "+
		"kernel of the architecture (`dip.NewKernel`, %s), the same for every image.\n\n"+
		"The kernel's prediction of the output at iteration t is the target's low-pass filtered version "+
		"f_t = y + g_t(Theta)(f_0 - y) with the run's own start f_0 (docs/theory.md section 5): g_t(lambda) = (1 - eta_eff lambda)^t "+
		"for gd (nothing fitted), and exp(-c t lambda) for Adam with the time scale c fitted by `dip.Compare` to the "+
		"observed half-fit iterations. The images are applied in the kernel's modes (`gp.Prior.Apply`).",
		pairs, len(lp.images), joinNames(lp.images), lp.st.side, lp.st.side, lp.seeds, lowpassSigma, lp.st.iters, lp.st.every(),
		lp.specNTK, fg(lp.gdLR, 3), dip.AdamLR, lp.specSP, lp.k.Prior.Note())
}

// pair trains the two runs of pair i and returns their numbers; the first
// pair also keeps its outputs for the figures.
func (lp *lowpass) pair(i int, p pair) (map[string]float64, error) {
	e := lp.e
	clean, src, err := e.testImage(p.image, lp.st.side, 1)
	if err != nil {
		return nil, err
	}
	prob, err := dip.NewProblem(clean, dip.TaskOptions{Task: dip.Denoise, Sigma: lowpassSigma, Seed: e.seed(1000 + i)})
	if err != nil {
		return nil, err
	}
	detail := i == 0
	if detail {
		lp.src = src
		if err := lp.inputImages(clean, prob.Target); err != nil {
			return nil, err
		}
	}
	nums := map[string]float64{}
	for j, c := range lp.runs() {
		cfg := dip.Config{Arch: c.a, Problem: prob, Opt: c.opt, Iters: lp.st.iters, Every: lp.st.every(), Seed: e.seed(2000 + 2*i + j), BurnIn: -1}
		r, err := e.train(fmt.Sprintf("%s, seed %d, %s", p.image, p.seed, c.label), c.spec, cfg, detail)
		if err != nil {
			return nil, err
		}
		if err := lp.compare(c, cfg, r, prob, detail, nums); err != nil {
			return nil, err
		}
		if err := e.step(fmt.Sprintf("%s, seed %d, %s", p.image, p.seed, c.label)); err != nil {
			return nil, err
		}
	}
	return nums, nil
}

// compare compares a run with the NTK's low-pass prediction at its best
// iteration (and, for the first pair, along the run) and stores its
// numbers under the run's key.
func (lp *lowpass) compare(c lowpassRun, cfg dip.Config, r *run, prob dip.Problem, detail bool, nums map[string]float64) error {
	cmp, err := dip.Compare(lp.e.ctx, lp.k, cfg, r.res)
	if err != nil {
		return err
	}
	ag := cmp.Agreement
	g := lowpassFilter(c.opt, lp.n, float64(ag.TimeScale))
	// The prediction needs a fitted time scale unless the run is gd.
	predictable := c.opt.Kind == dip.GD || !math.IsNaN(float64(ag.TimeScale))
	closeAtBest := math.NaN()
	if predictable {
		pred, err := predictImage(lp.k, prob.Target, r.res.Start, g(float64(r.res.Best.Iter)))
		if err != nil {
			return err
		}
		closeAtBest, _ = imageio.PSNR(r.res.BestOutput, pred)
		if detail {
			if err := lp.bestImages(c, r, pred, prob.Clean); err != nil {
				return err
			}
		}
	}
	if detail {
		if err := lp.alongRun(c, r, prob, g, predictable); err != nil {
			return err
		}
		lp.rows = append(lp.rows, lp.row(c, r, ag, closeAtBest))
	}
	predBest := ag.PredictedBest
	if predBest.Iter < 0 {
		predBest = ag.PredictedBestRealized
	}
	nums["best_iter_observed_"+c.key] = float64(r.res.Best.Iter)
	nums["best_psnr_observed_"+c.key] = r.res.Best.PSNR
	nums["best_iter_predicted_"+c.key] = float64(predBest.Iter)
	nums["best_psnr_predicted_"+c.key] = predBest.PSNR
	nums["psnr_observed_vs_predicted_at_best_"+c.key] = closeAtBest
	nums["psnr_rms_gap_"+c.key] = float64(ag.PSNRRMS)
	if c.opt.Kind.FixedStep() {
		nums["time_ratio_"+c.key] = float64(ag.TimeRatio)
	}
	return nil
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

// joinNames lists image files for the report, shortening a long list.
func joinNames(names []string) string {
	if len(names) > 3 {
		return fmt.Sprintf("%s, %s and %d more", names[0], names[1], len(names)-2)
	}
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
