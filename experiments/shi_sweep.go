package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/kernel"
)

// csvLog is a CSV file that grows by rows as a run advances: every add
// rewrites it atomically, so an interruption leaves a complete file.
type csvLog struct {
	e      *env
	name   string
	header []string
	rows   [][]string
}

func (l *csvLog) add(rows ...[]string) error {
	first := len(l.rows) == 0
	l.rows = append(l.rows, rows...)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(l.header); err != nil {
		return err
	}
	if err := w.WriteAll(l.rows); err != nil {
		return err
	}
	rel := l.name + ".csv"
	if err := atomicfile.WriteFile(filepath.Join(l.e.dir, rel), b.Bytes(), 0o644); err != nil {
		return err
	}
	if first {
		l.e.addFile(rel)
	}
	return nil
}

func fmtNums(v ...float64) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return s
}

// shiKernelRow is a setting's kernel prediction, made before training.
type shiKernelRow struct {
	halfPower, slope, halfPowerNTK float64
}

// shiRunRow is one finished training run of the sweep: a row of runs.csv.
type shiRunRow struct {
	setting, image, seed int
	bestIter             int
	best, final, decline float64
	halfBand, fbcFinal   [dip.FBCBands]float64
	speed                float64 // bandSpeed of halfBand
	psnrX, psnrY         []float64
	obsFBC, predFBC      []dip.Measurement // first image and seed only
	predictErr           string
}

// shiSweep is what the sweep measured so far.
type shiSweep struct {
	kernels []shiKernelRow
	runs    []shiRunRow
}

var shiRunHeader = []string{"setting", "lambda", "sigma", "image", "seed", "half_power_nngp", "slope_nngp", "half_power_ntk",
	"best_iter", "best_psnr", "final_psnr", "decline_db", "half_iter_b1", "half_iter_b2", "half_iter_b3", "half_iter_b4",
	"half_iter_b5", "fbc_final_b1", "fbc_final_b2", "fbc_final_b3", "fbc_final_b4", "fbc_final_b5", "band_speed"}

// shiKernels computes every setting's kernel prediction and writes
// kernel.csv.
func (e *env) shiKernels(m shiSize, sets []shiSetting, sw *shiSweep) error {
	size := []int{m.side, m.side}
	log := &csvLog{e: e, name: "kernel", header: []string{"setting", "lambda", "sigma", "half_power_nngp", "slope_nngp", "half_power_ntk"}}
	for _, s := range sets {
		a, err := parseArch(m.spec(s, 3), size)
		if err != nil {
			return err
		}
		nngp, ntk, err := kernel.Compute(e.ctx, a.PreActivation(), size, kernel.Options{NTK: true})
		if err != nil {
			return err
		}
		_, sum, _, err := e.spectrumOf(nngp)
		if err != nil {
			return err
		}
		_, sumT, _, err := e.spectrumOf(ntk)
		if err != nil {
			return err
		}
		k := shiKernelRow{sum.HalfPower, sum.Slope, sumT.HalfPower}
		if !sum.HalfPowerOK {
			k.halfPower = math.NaN() // the spectrum never falls to half its lowest-frequency level
		}
		if !sumT.HalfPowerOK {
			k.halfPowerNTK = math.NaN()
		}
		sw.kernels = append(sw.kernels, k)
		if err := log.add(append([]string{s.key}, fmtNums(s.lambda, sigmaOf(s), k.halfPower, k.slope, k.halfPowerNTK)...)); err != nil {
			return err
		}
		if err := e.step(s.label + ": kernel"); err != nil {
			return err
		}
	}
	return nil
}

// shiUnit is one training run of the sweep: a unit of a sharded run.
type shiUnit struct{ setting, image, seed int }

func shiUnits(m shiSize, sets []shiSetting) ([]shiUnit, []string) {
	var us []shiUnit
	var keys []string
	for si, s := range sets {
		for im := 0; im < m.images; im++ {
			for sd := 0; sd < m.seeds; sd++ {
				us = append(us, shiUnit{si, im, sd})
				keys = append(keys, fmt.Sprintf("%s, image %d, seed %d", s.key, im+1, sd+1))
			}
		}
	}
	return us, keys
}

// shiSweep trains every setting on the sweep's images and seeds, writing
// runs.csv and psnr_curves.csv as each run ends. Its units are the runs
// (setting, image, seed); sharded, it trains its share and reports done =
// false; merging, it reads every run from the shards. It returns what it
// measured, also when interrupted.
func (e *env) shiSweep(m shiSize, sets []shiSetting) (sw *shiSweep, done bool, err error) {
	sw = &shiSweep{}
	if err := e.shiKernels(m, sets, sw); err != nil {
		return sw, false, err
	}
	runs := &csvLog{e: e, name: "runs", header: shiRunHeader}
	curves := &csvLog{e: e, name: "psnr_curves", header: []string{"setting", "image", "seed", "iter", "psnr"}}
	size := []int{m.side, m.side}
	us, keys := shiUnits(m, sets)
	trained := map[int]shiRunRow{} // this process's runs, with their error text
	units, done, err := e.runUnits(keys, m.iters, func(i int) (unitData, error) {
		u := us[i]
		s := sets[u.setting]
		spec := m.spec(s, 3)
		a, err := parseArch(spec, size)
		if err != nil {
			return unitData{}, err
		}
		run, err := e.shiTrain(m.shiNet, a, spec, shiImages[u.image], dip.Optimizer{Kind: dip.Adam, LR: m.lr},
			e.seed(10+1000*u.seed+100*u.setting+u.image), nil)
		if err != nil {
			return unitData{}, err
		}
		r := shiRowOf(run.res, m.shiNet, u.setting, u.image, u.seed)
		if u.image == 0 && u.seed == 0 && shiPlotted(s) {
			e.shiPredictFBC(a, size, run, &r)
		}
		if err := e.shiLogRun(runs, curves, s, sw.kernels[u.setting], r); err != nil {
			return unitData{}, err
		}
		trained[i] = r
		return shiRunUnit(r), e.step(fmt.Sprintf("%s: image %d seed %d", s.label, u.image+1, u.seed+1))
	})
	merging := len(e.cfg.MergeFrom) > 0
	for i, ud := range units {
		u := us[i]
		if e.cfg.Shards > 1 {
			break // a shard's units are not in unit order; its report is the shard note
		}
		r, ok := trained[i]
		if !ok {
			r = shiRunOf(ud, m.shiNet, u.setting, u.image, u.seed)
		}
		if merging {
			if err := e.shiLogRun(runs, curves, sets[u.setting], sw.kernels[u.setting], r); err != nil {
				return sw, false, err
			}
		}
		sw.runs = append(sw.runs, r)
	}
	return sw, done, err
}

// shiLogRun adds a run to runs.csv and psnr_curves.csv.
func (e *env) shiLogRun(runs, curves *csvLog, s shiSetting, k shiKernelRow, r shiRunRow) error {
	row := append([]string{s.key}, fmtNums(s.lambda, sigmaOf(s), float64(r.image), float64(r.seed), k.halfPower, k.slope,
		k.halfPowerNTK, float64(r.bestIter), r.best, r.final, r.decline)...)
	row = append(row, fmtNums(r.halfBand[:]...)...)
	row = append(row, fmtNums(r.fbcFinal[:]...)...)
	if err := runs.add(append(row, fmtNums(r.speed)...)); err != nil {
		return err
	}
	var cr [][]string
	for i := range r.psnrX {
		cr = append(cr, append([]string{s.key}, fmtNums(float64(r.image), float64(r.seed), r.psnrX[i], r.psnrY[i])...))
	}
	return curves.add(cr...)
}

// shiRowOf summarizes a run.
func shiRowOf(res dip.Result, m shiNet, si, im, sd int) shiRunRow {
	ms := res.Measurements
	last := ms[len(ms)-1]
	r := shiRunRow{setting: si, image: im, seed: sd, bestIter: res.Best.Iter, best: res.Best.PSNR, final: last.PSNR,
		decline: res.Best.PSNR - last.PSNR}
	it := itersOf(ms)
	for b := 0; b < dip.FBCBands; b++ {
		r.halfBand[b] = dip.HalfFit(it, complement(field(ms, func(x dip.Measurement) float64 { return x.FBC[b] })), 0.5)
		r.fbcFinal[b] = last.FBC[b]
	}
	r.speed = bandSpeed(r.halfBand[:], 2*float64(m.iters))
	r.psnrX, r.psnrY = curve(ms, func(x dip.Measurement) float64 { return x.PSNR })
	return r
}

// shiPredictTimeout bounds the kernel's FBC prediction of a sweep run.
const shiPredictTimeout = 2 * time.Minute

// shiPredictFBC adds the NTK's FBC curves for the run (Adam: one time
// scale fitted to the run).
func (e *env) shiPredictFBC(a arch.Arch, size []int, run *shiTrainRun, r *shiRunRow) {
	r.obsFBC = run.res.Measurements
	// The NTK of the sigmoid output may need slow bivariate quadrature
	// (kernel's fall-back for large pre-activation variances): bounded.
	ctx, cancel := context.WithTimeout(e.ctx, shiPredictTimeout)
	defer cancel()
	k, err := dip.NewKernel(ctx, a, size)
	if err == nil {
		var cmp dip.Comparison
		if cmp, err = dip.Compare(ctx, k, run.cfg, run.res); err == nil {
			r.predFBC = cmp.Predicted
			return
		}
	}
	r.predictErr = err.Error()
}

func sigmaOf(s shiSetting) float64 {
	if s.sigma == "" {
		return 0
	}
	v, _ := strconv.ParseFloat(s.sigma, 64)
	return v
}

// shiPlotted reports whether the setting's FBC curves are plotted with the
// kernel's prediction.
func shiPlotted(s shiSetting) bool {
	return s.key == "none" || s.key == "lambda1" || s.key == "sigma0.5"
}
