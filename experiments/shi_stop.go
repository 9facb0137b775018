package experiments

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/dip"
)

// shiStopResult is one stopping run: the oracle, Shi et al.'s rule and the
// kernel's iteration, each with the PSNR there.
type shiStopResult struct {
	oracleIter, shiIter, kernelIter int
	oracle, shi, kernel             float64
	fired                           bool
}

// shiStopRun trains once to the end, running Shi et al.'s rule on the
// measured outputs without stopping, and reads the kernel's best
// iteration from dip.Compare.
func (e *env) shiStopRun(m shiMode, k *dip.Kernel, spec, file string, opt dip.Optimizer, seed uint64) (shiStopResult, string, error) {
	var st dip.ShiStop
	stopAt := -1
	obs := st.Observer(nil, &stopAt)
	run, err := e.shiTrain(m, k.Arch, spec, file, opt, seed, func(ev dip.Event) error {
		if stopAt >= 0 {
			return nil // keep training to the end for the oracle
		}
		if err := obs(ev); err != nil && !errors.Is(err, dip.ErrShiStop) {
			return err
		}
		return nil
	})
	if err != nil {
		return shiStopResult{}, "", err
	}
	ms := run.res.Measurements
	r := shiStopResult{oracleIter: run.res.Best.Iter, oracle: run.res.Best.PSNR, fired: stopAt >= 0, kernelIter: -1, kernel: math.NaN()}
	if !r.fired {
		stopAt = ms[len(ms)-1].Iter
	}
	r.shiIter, r.shi = stopAt, m2psnr(ms, stopAt)
	cmp, err := dip.Compare(e.ctx, k, run.cfg, run.res)
	if err != nil {
		if e.ctx.Err() != nil {
			return r, "", err
		}
		return r, fmt.Sprintf("%s (%s): no kernel stopping iteration: %v", file, opt.Kind, err), nil
	}
	note := ""
	it := cmp.Agreement.PredictedBest.Iter
	if it < 0 {
		it = cmp.Agreement.PredictedBestRealized.Iter
	}
	if last := ms[len(ms)-1].Iter; it > last {
		note = fmt.Sprintf("%s (%s): the kernel's best iteration %d is past the run's %d; scored at the end", file, opt.Kind, it, last)
	}
	r.kernelIter = nearestIter(ms, it)
	r.kernel = m2psnr(ms, r.kernelIter)
	return r, note, nil
}

// shiStopping compares Shi et al.'s rule, the kernel's stopping iteration
// and the oracle on the images with their default network, trained with
// Adam (the kernel's clock fitted to the run: not a prediction) and with
// gd at 0.9 times the kernel's stable LR (the kernel's clock fixed by the
// LR: a prediction from f_0, the target and the clean image only).
func (e *env) shiStopping(m shiMode) error {
	s := shiSetting{key: "shi", lambda: 1.4}
	spec := m.spec(s, 3)
	size := []int{m.side, m.side}
	a, err := parseArch(spec, size)
	if err != nil {
		return err
	}
	k, err := dip.NewKernel(e.ctx, a, size)
	if err != nil {
		return err
	}
	if err := e.step("stopping: kernel"); err != nil {
		return err
	}
	gdLR := 0.9 * k.StableLR(3*m.side*m.side)
	e.md("## Stopping: Shi et al.'s rule, the kernel and the oracle\n\nNetwork `%s` (their lambda 1.4, bilinear), one "+
		"seed per image. Shi's rule (n = %d, eps = %g) runs on the measured outputs (every %d iterations; exact with "+
		"every iteration); when it does not fire, the run's end counts. The oracle is the best PSNR over the measured "+
		"iterations. PSNR lost = oracle - PSNR at the stopping iteration.\n\n"+
		"- **Adam (LR %g):** the kernel's iteration is the best of its predicted PSNR curve (`dip.Compare`) with the "+
		"NTK's time scale FITTED to the run's half-fit iterations: NOT a prediction made before training.\n"+
		"- **gd (LR %.4g = 0.9 x the kernel's stable LR):** the kernel's clock is fixed by the LR, so its best iteration "+
		"is a prediction made before training from the start output f_0, the noisy target and, to score PSNR, the clean "+
		"image (`gp.Predict`); Shi's rule and the oracle are on the gd run.",
		spec, dip.ShiWindow, dip.ShiEps, m.every, m.lr, gdLR)
	opts := []dip.Optimizer{{Kind: dip.Adam, LR: m.lr}, {Kind: dip.GD, LR: gdLR}}
	log := &csvLog{e: e, name: "stopping", header: []string{"image", "optimizer", "oracle_iter", "oracle_psnr", "shi_iter",
		"shi_fired", "shi_psnr", "kernel_iter", "kernel_psnr"}}
	res := make([][]shiStopResult, len(opts))
	var names []string
	var runErr error
images:
	for im := 0; im < m.stopImages; im++ {
		file := shiImages[im]
		for oi, opt := range opts {
			r, note, err := e.shiStopRun(m, k, spec, file, opt, e.seed(500+im))
			if err != nil {
				runErr = err
				break images
			}
			if note != "" {
				e.note("%s", note)
			}
			res[oi] = append(res[oi], r)
			fired := 0.0
			if r.fired {
				fired = 1
			}
			if err := log.add(append([]string{strings.TrimPrefix(file, "denoising9/"), string(opt.Kind)},
				fmtNums(float64(r.oracleIter), r.oracle, float64(r.shiIter), fired, r.shi, float64(r.kernelIter), r.kernel)...)); err != nil {
				return err
			}
			if err := e.step(fmt.Sprintf("stopping: %s (%s)", file, opt.Kind)); err != nil {
				runErr = err
				break images
			}
		}
		names = append(names, strings.TrimPrefix(file, "denoising9/"))
	}
	e.shiStopTable(opts, names, res)
	return runErr
}

func (e *env) shiStopTable(opts []dip.Optimizer, names []string, res [][]shiStopResult) {
	for oi, opt := range opts {
		var rows [][]string
		var lostShi, lostK []float64
		for i, r := range res[oi] {
			if i >= len(names) {
				break
			}
			end := ""
			if !r.fired {
				end = " (not fired: end)"
			}
			lostShi = append(lostShi, r.oracle-r.shi)
			lostK = append(lostK, r.oracle-r.kernel)
			rows = append(rows, []string{names[i], fmt.Sprintf("%d (%s)", r.oracleIter, f2(r.oracle)),
				fmt.Sprintf("%d%s (%s)", r.shiIter, end, f2(r.shi)), fmt.Sprintf("%d (%s)", r.kernelIter, f2(r.kernel)),
				f2(r.oracle - r.shi), f2(r.oracle - r.kernel)})
		}
		if len(rows) == 0 {
			continue
		}
		rows = append(rows, []string{"mean ± sd", "", "", "", pmSD(lostShi), pmSD(lostK)})
		kind := "kernel (fitted clock)"
		if opt.Kind == dip.GD {
			kind = "kernel (a priori)"
		}
		e.md("### %s", opt.Kind)
		e.table([]string{"image", "oracle iter (PSNR)", "Shi's rule iter (PSNR)", kind + " iter (PSNR)", "lost by Shi (dB)",
			"lost by kernel (dB)"}, rows)
		o := string(opt.Kind)
		e.num("psnr_lost_shi_mean_"+o, mean(lostShi))
		e.num("psnr_lost_shi_sd_"+o, stdev(lostShi))
		e.num("psnr_lost_kernel_mean_"+o, mean(lostK))
		e.num("psnr_lost_kernel_sd_"+o, stdev(lostK))
	}
}
