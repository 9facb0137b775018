package experiments

import (
	"errors"
	"math"

	"github.com/dipgp/dipgp/dip"
)

// shiStopResult is one stopping run: the oracle, Shi et al.'s rule and the
// kernel's iteration, each with the PSNR there. kernelBest is the kernel's
// best iteration before rounding to a measured one (it may lie past the
// run; NaN when the kernel gave none).
type shiStopResult struct {
	oracleIter, shiIter, kernelIter int
	oracle, shi, kernel, kernelBest float64
	fired                           bool
}

// shiStopRun trains once to the end, running Shi et al.'s rule on the
// measured outputs without stopping, and reads the kernel's best
// iteration from dip.Compare.
func (e *env) shiStopRun(m shiSize, k *dip.Kernel, spec, file string, opt dip.Optimizer, seed uint64) (shiStopResult, error) {
	var st dip.ShiStop
	stopAt := -1
	obs := st.Observer(nil, &stopAt)
	run, err := e.shiTrain(m.shiNet, k.Arch, spec, file, opt, seed, func(ev dip.Event) error {
		if stopAt >= 0 {
			return nil // keep training to the end for the oracle
		}
		if err := obs(ev); err != nil && !errors.Is(err, dip.ErrShiStop) {
			return err
		}
		return nil
	})
	if err != nil {
		return shiStopResult{}, err
	}
	ms := run.res.Measurements
	r := shiStopResult{oracleIter: run.res.Best.Iter, oracle: run.res.Best.PSNR, fired: stopAt >= 0, kernelIter: -1,
		kernel: math.NaN(), kernelBest: math.NaN()}
	if !r.fired {
		stopAt = ms[len(ms)-1].Iter
	}
	r.shiIter, r.shi = stopAt, m2psnr(ms, stopAt)
	cmp, err := dip.Compare(e.ctx, k, run.cfg, run.res)
	if err != nil {
		if e.ctx.Err() != nil {
			return r, err
		}
		e.note("%s (%s): no kernel stopping iteration: %v", file, opt.Kind, err)
		return r, nil
	}
	it := cmp.Agreement.PredictedBest.Iter
	if it < 0 {
		it = cmp.Agreement.PredictedBestRealized.Iter
	}
	r.kernelBest = float64(it)
	r.kernelIter = nearestIter(ms, it)
	r.kernel = m2psnr(ms, r.kernelIter)
	return r, nil
}

// shiStopping compares Shi et al.'s rule, the kernel's stopping iteration
// and the oracle on the images with their default network, trained with
// Adam (the kernel's clock fitted to the run: not a prediction) and with
// gd at 0.9 times the kernel's stable LR (the kernel's clock fixed by the
// LR: a prediction from f_0, the target and the clean image only). Its
// units are the images.
func (e *env) shiStopping(m shiSize) error {
	spec := m.spec(shiSetting{key: "shi", lambda: 1.4}, 3)
	size := []int{m.side, m.side}
	a, err := parseArch(spec, size)
	if err != nil {
		return err
	}
	e.steps(1 + 2*m.images*m.seeds)
	k, err := dip.NewKernel(e.ctx, a, size)
	if err != nil {
		return err
	}
	if err := e.step("stopping: kernel"); err != nil {
		return err
	}
	opts := shiStopOpts(m, k)
	e.md("## Stopping: Shi et al.'s rule, the kernel and the oracle\n\nNetwork `%s` (their lambda 1.4, bilinear). "+
		"Shi's rule (n = %d, eps = %g) runs on the measured outputs (every %d iterations; exact with every iteration); "+
		"when it does not fire, the run's end counts. The oracle is the best PSNR over the measured iterations. PSNR "+
		"lost = oracle - PSNR at the stopping iteration.\n\n"+
		"- **Adam (LR %g):** the kernel's iteration is the best of its predicted PSNR curve (`dip.Compare`) with the "+
		"NTK's time scale FITTED to the run's half-fit iterations: NOT a prediction made before training.\n"+
		"- **gd (LR %.4g = 0.9 x the kernel's stable LR):** the kernel's clock is fixed by the LR, so its best iteration "+
		"is a prediction made before training from the start output f_0, the noisy target and, to score PSNR, the clean "+
		"image (`gp.Predict`); Shi's rule and the oracle are on the gd run.",
		spec, dip.ShiWindow, dip.ShiEps, m.every, m.lr, opts[1].LR)
	var keys []string
	for im := 0; im < m.images; im++ {
		keys = append(keys, shortName(shiImages[im]))
	}
	log := &csvLog{e: e, name: "stopping", header: shiStopHeader}
	units, done, err := e.runUnits(keys, m.iters, func(im int) (unitData, error) {
		u, err := e.shiStopUnit(m, k, spec, im)
		if err != nil {
			return u, err
		}
		return u, log.add(shiStopCSVRows(m, opts, keys[im], u)...)
	})
	if len(e.cfg.MergeFrom) > 0 && err == nil {
		for i, u := range units {
			if err := log.add(shiStopCSVRows(m, opts, keys[i], u)...); err != nil {
				return err
			}
		}
	}
	if !done && (e.cfg.Shards > 1 || err == nil) {
		return e.shardNote(err, len(keys))
	}
	if rerr := e.shiStopReport(m, opts, keys, units); err == nil {
		err = rerr
	}
	return err // unsharded and interrupted: the report has the images done
}
