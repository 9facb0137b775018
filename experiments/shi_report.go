package experiments

import (
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/plotting"
)

// shiPairRho returns, for each (image, seed) pair with all its settings
// run, the Spearman correlation over the settings between the kernel's
// prediction pred[setting] and the measured value get(run).
func shiPairRho(sw *shiSweep, pred []float64, get func(shiRunRow) float64) []float64 {
	type pair struct{ im, sd int }
	x := map[pair][]float64{}
	y := map[pair][]float64{}
	var order []pair
	for _, r := range sw.runs {
		p := pair{r.image, r.seed}
		if _, ok := x[p]; !ok {
			order = append(order, p)
		}
		x[p] = append(x[p], pred[r.setting])
		y[p] = append(y[p], get(r))
	}
	var rho []float64
	for _, p := range order {
		if len(x[p]) == len(pred) {
			rho = append(rho, spearmanFinite(x[p], y[p]))
		}
	}
	return rho
}

// shiSweepReport writes the sweep's table, correlations and figures from
// the runs finished so far.
func (e *env) shiSweepReport(m shiSize, sets []shiSetting, sw *shiSweep) error {
	if len(sw.kernels) == 0 {
		return nil
	}
	e.md("## Lambda and sigma against the predicted spectrum and the measured band speeds\n\n"+
		"Band speed of a run: minus the mean over the 5 FBC bands of log(iteration at which the band's FBC reaches 0.5), "+
		"a band not there within the run counted at %d iterations (twice the run); larger is faster. Late decline: best "+
		"PSNR - final PSNR. Means ± standard deviations over the (image, seed) pairs; every run is a row of runs.csv.",
		2*m.iters)
	var table [][]string
	hp, hpT := make([]float64, len(sets)), make([]float64, len(sets))
	meanSpeed, meanTop := make([]float64, len(sets)), make([]float64, len(sets))
	for i, s := range sets {
		hp[i], meanSpeed[i], meanTop[i] = math.NaN(), math.NaN(), math.NaN()
		hpT[i] = math.NaN()
		if i >= len(sw.kernels) {
			continue
		}
		k := sw.kernels[i]
		// Ranked at 6 significant digits: settings whose kernels agree to
		// rounding (the lambdas' NNGP) tie.
		hp[i], hpT[i] = roundSig(k.halfPower, 6), roundSig(k.halfPowerNTK, 6)
		var speed, top, best, decline []float64
		for _, r := range sw.runs {
			if r.setting == i {
				speed = append(speed, r.speed)
				top = append(top, topSpeed(r, m.shiNet))
				best = append(best, r.best)
				decline = append(decline, r.decline)
			}
		}
		meanSpeed[i], meanTop[i] = mean(speed), mean(top)
		table = append(table, []string{s.label, fg(k.halfPower, 3), fg(k.slope, 3), fg(k.halfPowerNTK, 3),
			fmt.Sprintf("%d", len(speed)), pmSD(speed), halfIter(math.Exp(-mean(top))), pmSD(best), pmSD(decline)})
		e.num("half_power_"+s.key, k.halfPower)
		e.num("slope_"+s.key, k.slope)
		e.num("band_speed_"+s.key, mean(speed))
		e.num("decline_db_"+s.key, mean(decline))
		e.num("decline_db_sd_"+s.key, stdev(decline))
	}
	e.table([]string{"setting", "NNGP half-power (cyc/px)", "NNGP slope", "NTK half-power", "runs", "band speed",
		"band 5 at FBC 0.5 (iter, geometric mean)", "best PSNR (dB)", "late decline (dB)"}, table)
	e.shiCorrelations(m, sets, hp, hpT, meanSpeed, meanTop, sw)
	return e.shiSweepFigures(sets, sw)
}

// topSpeed is minus the log of the top band's half-fit iteration
// (censored as in bandSpeed).
func topSpeed(r shiRunRow, m shiNet) float64 {
	return bandSpeed(r.halfBand[dip.FBCBands-1:], 2*float64(m.iters))
}

func (e *env) shiCorrelations(m shiSize, sets []shiSetting, hp, hpT, meanSpeed, meanTop []float64, sw *shiSweep) {
	rho := shiPairRho(sw, hp, func(r shiRunRow) float64 { return r.speed })
	rhoT := shiPairRho(sw, hpT, func(r shiRunRow) float64 { return r.speed })
	rhoTop := shiPairRho(sw, hp, func(r shiRunRow) float64 { return topSpeed(r, m.shiNet) })
	all := spearmanFinite(hp, meanSpeed)
	e.num("spearman_halfpower_vs_band_speed_mean", mean(rho))
	e.num("spearman_halfpower_vs_band_speed_sd", stdev(rho))
	e.num("spearman_halfpower_ntk_vs_band_speed_mean", mean(rhoT))
	e.num("spearman_halfpower_vs_band5_speed_mean", mean(rhoTop))
	e.num("spearman_halfpower_vs_mean_band_speed", all)
	// Within each family: the lambda sweep (with no control as lambda =
	// infinity) and the sigma sweep; settings outside it are left out as NaN.
	family := func(pred []float64, in func(shiSetting) bool) []float64 {
		out := make([]float64, len(pred))
		for i := range pred {
			out[i] = math.NaN()
			if in(sets[i]) {
				out[i] = pred[i]
			}
		}
		return out
	}
	isLambda := func(s shiSetting) bool { return s.sigma == "" }
	isSigma := func(s shiSetting) bool { return s.sigma != "" }
	speed := func(r shiRunRow) float64 { return r.speed }
	var rows [][]string
	for _, fam := range []struct {
		name string
		in   func(shiSetting) bool
	}{{"lambda (and no control)", isLambda}, {"sigma", isSigma}} {
		a := shiPairRho(sw, family(hp, fam.in), speed)
		b := shiPairRho(sw, family(hpT, fam.in), speed)
		rows = append(rows, []string{fam.name, pmSD(a), pmSD(b)})
		key := strings.Fields(fam.name)[0]
		e.num("spearman_"+key+"_ntk_vs_band_speed_mean", mean(b))
		e.num("spearman_"+key+"_ntk_vs_band_speed_sd", stdev(b))
	}
	e.table([]string{"sweep", "Spearman NNGP half-power vs band speed", "Spearman NTK half-power vs band speed"}, rows)
	e.md("Spearman rank correlation over the settings (those with a half-power frequency) between the kernel's "+
		"half-power frequency and the measured band speed, per (image, seed) pair, mean ± sd over %d pairs: NNGP %s, "+
		"NTK %s; NNGP against the top band's speed alone: %s. Over the settings' mean speeds: %s (top band: %s). "+
		"Positive: the settings the kernel calls smoother (lower half-power frequency) fit the bands more slowly.",
		len(rho), pmSD(rho), pmSD(rhoT), pmSD(rhoTop), f(all), f(spearmanFinite(hp, meanTop)))
}

func (e *env) shiSweepFigures(sets []shiSetting, sw *shiSweep) error {
	var series []plotting.Series
	for _, r := range sw.runs {
		if r.image == 0 && r.seed == 0 {
			s := sets[r.setting]
			series = append(series, plotting.Series{Name: s.label, X: r.psnrX, Y: r.psnrY, Dashed: s.sigma != ""})
		}
	}
	if len(series) == 0 {
		return nil
	}
	pl, err := lines("PSNR during training (first image, first seed)", "iteration", "PSNR (dB)", series, plotting.Options{LegendBottom: true})
	if err != nil {
		return err
	}
	if err := e.figure("psnr", "PSNR against iterations for every setting (first image and seed); dashed: Gaussian up-sampling", pl); err != nil {
		return err
	}
	for _, r := range sw.runs {
		s := sets[r.setting]
		if r.image != 0 || r.seed != 0 || !shiPlotted(s) {
			continue
		}
		if r.predictErr != "" {
			e.note("%s: no kernel FBC curves: %s", s.label, r.predictErr)
		}
		var ss []plotting.Series
		for b := 0; b < dip.FBCBands; b++ {
			x, y := curve(r.obsFBC, func(m dip.Measurement) float64 { return m.FBC[b] })
			xp, yp := curve(r.predFBC, func(m dip.Measurement) float64 { return m.FBC[b] })
			ss = append(ss, plotting.Series{Name: fmt.Sprintf("band %d", b+1), X: x, Y: y},
				plotting.Series{Name: fmt.Sprintf("band %d NTK", b+1), X: xp, Y: yp, Dashed: true})
		}
		pl, err := lines("FBC, "+s.label, "iteration", "FBC", ss, plotting.Options{LegendBottom: true})
		if err != nil {
			return err
		}
		pl.Y.Min, pl.Y.Max = 0, 1
		if err := e.figure("fbc_"+s.key, "FBC bands measured (solid) and predicted by the NTK with one time scale fitted to the run (dashed), "+s.label, pl); err != nil {
			return err
		}
	}
	return nil
}
