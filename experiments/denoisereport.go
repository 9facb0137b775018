package experiments

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/plotting"
)

// denoiseImages are the images of denoise-sgld's runs written by the run
// (or the shard) that trained them.
type denoiseImages struct{ paths, labels []string }

// denoiseUnit returns what denoise-sgld keeps of a run: its headline
// numbers and its PSNR curves, so that a merge of shards reports it as the
// unsharded run does.
func denoiseUnit(r *run) unitData {
	ms := r.res.Measurements
	last := ms[len(ms)-1]
	u := unitData{Numbers: map[string]float64{
		"best": r.res.Best.PSNR, "best_iter": float64(r.res.Best.Iter), "final": last.PSNR,
		"avg_final": math.NaN(), "mean_final": last.PSNRMean, "ms_per_step": r.res.StepSeconds * 1000,
	}, Series: map[string][]float64{
		"iter": field(ms, func(m dip.Measurement) float64 { return float64(m.Iter) }),
		"psnr": field(ms, func(m dip.Measurement) float64 { return m.PSNR }),
		"mean": field(ms, func(m dip.Measurement) float64 { return m.PSNRMean }),
	}}
	if r.cfg.ExpAvg > 0 {
		u.Numbers["avg_final"] = last.PSNRAvg
		u.Series["avg"] = field(ms, func(m dip.Measurement) float64 { return m.PSNRAvg })
	}
	return u
}

// denoiseRunFiles writes a run's metrics and its last output (and
// posterior mean), and adds the images to shown.
func (e *env) denoiseRunFiles(key string, r *run, shown *denoiseImages) error {
	if err := e.metricsCSV("metrics_"+key, r); err != nil {
		return err
	}
	ms := r.res.Measurements
	last := ms[len(ms)-1]
	p, err := e.image("output_"+key, r.res.Output)
	if err != nil {
		return err
	}
	shown.paths, shown.labels = append(shown.paths, p), append(shown.labels, fmt.Sprintf("%s, last: %s dB", r.label, f2(last.PSNR)))
	if r.res.Mean.Pix != nil {
		if p, err = e.image("posterior_mean_"+key, r.res.Mean); err != nil {
			return err
		}
		shown.paths, shown.labels = append(shown.paths, p), append(shown.labels, fmt.Sprintf("%s, posterior mean: %s dB", r.label, f2(last.PSNRMean)))
	}
	return nil
}

// curveOf returns the points of a unit's series y against its iterations,
// leaving out NaN values.
func curveOf(u unitData, y string) (xs, ys []float64) {
	it, v := u.Series["iter"], u.Series[y]
	for i := range v {
		if i < len(it) && !math.IsNaN(v[i]) && !math.IsInf(v[i], 0) {
			xs, ys = append(xs, it[i]), append(ys, v[i])
		}
	}
	return xs, ys
}

func (e *env) denoiseReport(units []unitData, labels []string, prob dip.Problem, shown denoiseImages) error {
	var series []plotting.Series
	var rows [][]string
	paths, ilabels := []string{}, []string{}
	p, err := e.image("clean", prob.Clean)
	if err != nil {
		return err
	}
	paths, ilabels = append(paths, p), append(ilabels, "clean")
	if p, err = e.image("noisy", prob.Target); err != nil {
		return err
	}
	pn, _ := imageio.ClippedPSNR(prob.Target, prob.Clean)
	paths, ilabels = append(paths, p), append(ilabels, fmt.Sprintf("noisy: %s dB", f2(pn)))
	e.num("psnr_noisy", pn)
	for i, u := range units {
		key, label, n := fmt.Sprintf("run%d", i+1), labels[i], u.Numbers
		x, y := curveOf(u, "psnr")
		series = append(series, plotting.Series{Name: label, X: x, Y: y})
		avg, mean := "-", "-"
		if xa, ya := curveOf(u, "avg"); len(xa) > 0 {
			series = append(series, plotting.Series{Name: label + ", averaged", X: xa, Y: ya, Dashed: true})
			avg = f2(n["avg_final"])
			e.num("psnr_avg_final_"+key, n["avg_final"])
		}
		if xm, ym := curveOf(u, "mean"); len(xm) > 0 {
			series = append(series, plotting.Series{Name: label + ", posterior mean", X: xm, Y: ym, Dashed: true})
			mean = f2(n["mean_final"])
			e.num("psnr_mean_final_"+key, n["mean_final"])
		}
		e.num("psnr_best_"+key, n["best"])
		e.num("psnr_final_"+key, n["final"])
		rows = append(rows, []string{key, label, fmt.Sprintf("%s (iteration %.0f)", f2(n["best"]), n["best_iter"]), f2(n["final"]), avg, mean, fg(n["ms_per_step"], 3)})
	}
	e.md("## PSNR against iterations")
	pl, err := lines("Denoising: PSNR against iterations", "iteration", "PSNR against the clean image (dB)", series, plotting.Options{LegendBottom: true})
	if err != nil {
		return err
	}
	if err := e.figureSized("psnr", "PSNR of the output (solid) and of its average (dashed: DIP's exponential average, or the SGLD posterior mean after burn-in) against iterations", pl, 8*72, 5.5*72); err != nil {
		return err
	}
	e.table([]string{"key", "run", "best PSNR (dB)", "last PSNR (dB)", "last averaged PSNR (dB)", "posterior mean PSNR (dB)", "ms per step"}, rows)
	e.md("PSNR is that of the output clipped to [0, 1] (`imageio.ClippedPSNR`); the noisy input has %s dB. Without averaging the "+
		"output first improves, then fits the noise; the averages and the posterior means do not decline in the same way.", f2(pn))
	e.md("## Images (last iteration)")
	if len(shown.paths) == 0 {
		e.md("This merge has every run's numbers and curves; the runs' output images are in the folders of the shards that trained them.")
	}
	e.images(append(paths, shown.paths...), append(ilabels, shown.labels...))
	return nil
}
