package experiments

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/plotting"
)

// inputImages writes the first pair's clean image and noisy target.
func (lp *lowpass) inputImages(clean, target imageio.Image) error {
	p, err := lp.e.image("clean", clean)
	if err != nil {
		return err
	}
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, "clean")
	if p, err = lp.e.image("noisy", target); err != nil {
		return err
	}
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, "noisy target")
	return nil
}

// alongRun compares the first pair's observed outputs with the predicted
// images along the run: CSV files and a panel of PSNR curves.
func (lp *lowpass) alongRun(c lowpassRun, r *run, prob dip.Problem, g func(float64) func(float64) float64, predictable bool) error {
	e := lp.e
	var cx, cy, ox, oy, qx, qy []float64
	var data [][]float64
	for _, m := range r.res.Measurements {
		o, ok := r.outputs[m.Iter]
		if !ok || !predictable {
			continue
		}
		pred, err := predictImage(lp.k, prob.Target, r.res.Start, g(float64(m.Iter)))
		if err != nil {
			return err
		}
		gap, err := imageio.PSNR(o, pred)
		if err != nil {
			return err
		}
		pp, err := imageio.ClippedPSNR(pred, prob.Clean)
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

// bestImages writes the first pair's output at its best iteration and the
// prediction there.
func (lp *lowpass) bestImages(c lowpassRun, r *run, pred, clean imageio.Image) error {
	t := r.res.Best.Iter
	p, err := lp.e.image("output_"+c.key+"_best", r.res.BestOutput)
	if err != nil {
		return err
	}
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, fmt.Sprintf("%s at iteration %d: %s dB", c.label, t, f2(r.res.Best.PSNR)))
	pc := imageio.Image{W: pred.W, H: pred.H, C: pred.C, Pix: make([]float64, len(pred.Pix))}
	for j, v := range pred.Pix {
		pc.Pix[j] = math.Min(1, math.Max(0, v))
	}
	if p, err = lp.e.image("predicted_"+c.key+"_best", pc); err != nil {
		return err
	}
	pp, _ := imageio.ClippedPSNR(pred, clean)
	lp.paths, lp.labels = append(lp.paths, p), append(lp.labels, fmt.Sprintf("NTK low-pass prediction at iteration %d: %s dB", t, f2(pp)))
	return nil
}

// row is the first pair's table row of a run.
func (lp *lowpass) row(c lowpassRun, r *run, ag dip.Agreement, closeAtBest float64) []string {
	predBest, predKind := ag.PredictedBest, "expected over the noise"
	if predBest.Iter < 0 {
		predBest, predKind = ag.PredictedBestRealized, "for this target"
	}
	return []string{c.label, fmt.Sprintf("%s (iteration %d)", f2(r.res.Best.PSNR), r.res.Best.Iter),
		fmt.Sprintf("%s (iteration %d, %s)", f2(predBest.PSNR), predBest.Iter, predKind), f2(closeAtBest), fg(float64(ag.TimeScale), 3),
		fg(float64(ag.TimeRatio), 3), fg(float64(ag.PSNRRMS), 3), ag.Note}
}

// detail writes the first pair's table, figure and images (only the run or
// shard that trained the first pair has them).
func (lp *lowpass) detail() error {
	e := lp.e
	if len(lp.rows) == 0 {
		e.md("## The first pair\n\nThis merge has the numbers of every pair; the curves and images of the first pair are in the " +
			"folder of the shard that trained it (shard 0).")
		return nil
	}
	e.md("## The first pair (%s, seed 0): best stopping and closeness", lp.src)
	e.table([]string{"run", "observed best PSNR", "predicted best PSNR", "PSNR(observed, prediction) at the observed best (dB)", "time scale c", "c / eta_eff", "RMS gap of the PSNR curves (dB)", "how the prediction was made"}, lp.rows)
	if err := e.grid("lowpass", "First pair: PSNR against the clean image of the observed output (solid) and of the NTK's low-pass prediction (dashed), and PSNR between the two", [][]*plot.Plot{lp.panels}, 2*panelW, 1.15*panelH); err != nil {
		return err
	}
	e.md("Images at the observed best iteration (first pair):")
	e.images(lp.paths, lp.labels)
	return nil
}

// lowpassClaim is one claim of the summary: a statistic over the pairs and
// how it is judged.
type lowpassClaim struct {
	key, what string
	needsPeak bool // left out for runs whose best is at their end
	v         func(u map[string]float64, run string) float64
	verdict   func(mean, se float64) string
}

// summary writes every pair's numbers, their mean ± sd over the pairs and
// the verdicts, each claim judged against its standard error.
func (lp *lowpass) summary(ps []pair, units []map[string]float64) error {
	e := lp.e
	var csvRows [][]string
	for i, u := range units {
		for _, c := range lp.runs() {
			row := []string{ps[i].image, fmt.Sprint(ps[i].seed), c.key}
			for _, q := range []string{"best_iter_observed", "best_psnr_observed", "best_iter_predicted", "best_psnr_predicted",
				"psnr_observed_vs_predicted_at_best", "time_ratio"} {
				v, ok := u[q+"_"+c.key]
				if !ok {
					v = math.NaN()
				}
				row = append(row, fg(v, 6))
			}
			csvRows = append(csvRows, row)
		}
	}
	if err := e.csvText("pairs", []string{"image", "seed", "run", "best_iter_observed", "best_psnr_observed", "best_iter_predicted",
		"best_psnr_predicted", "psnr_observed_vs_predicted_at_best", "time_ratio"}, csvRows); err != nil {
		return err
	}
	var rows [][]string
	for _, c := range lp.runs() {
		censored := 0
		for _, u := range units {
			if lp.censored(u, c.key) {
				censored++
			}
		}
		e.num("best_at_end_"+c.key, float64(censored))
		if censored > 0 {
			rows = append(rows, []string{c.label, "pairs whose best PSNR is at the end of the run (peak not reached: left out of the best-PSNR and best-iteration comparisons)",
				fmt.Sprint(len(units)), fmt.Sprint(censored), "-", "-", "-"})
		}
		for _, cl := range lowpassClaims() {
			var v []float64
			for _, u := range units {
				if cl.needsPeak && lp.censored(u, c.key) {
					continue
				}
				if x := cl.v(u, c.key); !math.IsNaN(x) && !math.IsInf(x, 0) {
					v = append(v, x)
				}
			}
			if len(v) == 0 {
				continue
			}
			mu, sd := meanSD(v)
			se := sd / math.Sqrt(float64(len(v)))
			e.num(cl.key+"_"+c.key+"_mean", mu)
			e.num(cl.key+"_"+c.key+"_sd", sd)
			verdict := "-"
			switch {
			case cl.verdict != nil && len(v) < 3:
				verdict = "too few pairs for a verdict"
			case cl.verdict != nil:
				verdict = cl.verdict(mu, se)
			}
			rows = append(rows, []string{c.label, cl.what, fmt.Sprint(len(v)), fg(mu, 4), fg(sd, 3), fg(se, 3), verdict})
		}
	}
	e.md("## Over the %d (image, seed) pairs\n\nMean, standard deviation and standard error of the mean over the pairs "+
		"(every pair in pairs.csv). A claim is judged only beyond 2 standard errors.", len(units))
	e.table([]string{"run", "quantity", "pairs", "mean", "sd", "SE", "verdict"}, rows)
	e.md("A PSNR between the observed output and the prediction above 30 dB would mean that the early-stopped network " +
		"is, to the eye, the kernel's low-pass filter of the noisy target; c / eta_eff = 1 means gradient descent runs on " +
		"the kernel's clock.")
	return e.step("summary")
}

// censored reports whether a pair's run reached its best PSNR at its last
// measurement: its peak is beyond the run, so the observed best PSNR and
// iteration are only bounds.
func (lp *lowpass) censored(u map[string]float64, run string) bool {
	return u["best_iter_observed_"+run] > float64(lp.st.iters-lp.st.every())
}

func lowpassClaims() []lowpassClaim {
	get := func(name string) func(map[string]float64, string) float64 {
		return func(u map[string]float64, run string) float64 {
			if v, ok := u[name+"_"+run]; ok {
				return v
			}
			return math.NaN()
		}
	}
	beyond := func(ref float64, above, below, within string) func(mean, se float64) string {
		return func(mean, se float64) string {
			switch {
			case mean-2*se > ref:
				return above
			case mean+2*se < ref:
				return below
			}
			return within
		}
	}
	return []lowpassClaim{
		{"best_psnr_observed", "observed best PSNR (dB)", false, get("best_psnr_observed"), nil},
		{"best_psnr_predicted", "predicted best PSNR (dB)", false, get("best_psnr_predicted"), nil},
		{"best_psnr_gap", "predicted - observed best PSNR (dB)", true, func(u map[string]float64, run string) float64 {
			return get("best_psnr_predicted")(u, run) - get("best_psnr_observed")(u, run)
		}, beyond(0, "the NTK over-predicts the best PSNR", "the NTK under-predicts the best PSNR", "agree (within 2 SE)")},
		{"best_iter_observed", "observed best iteration", false, get("best_iter_observed"), nil},
		{"best_iter_predicted", "predicted best iteration", false, get("best_iter_predicted"), nil},
		{"best_iter_log2_ratio", "log2(predicted / observed best iteration)", true, func(u map[string]float64, run string) float64 {
			o, p := get("best_iter_observed")(u, run), get("best_iter_predicted")(u, run)
			if !(o > 0 && p > 0) {
				return math.NaN()
			}
			return math.Log2(p / o)
		}, beyond(0, "the NTK predicts a later stop", "the NTK predicts an earlier stop", "agree (within 2 SE)")},
		{"psnr_observed_vs_predicted_at_best", "PSNR(observed, prediction) at the observed best (dB)", false,
			get("psnr_observed_vs_predicted_at_best"), beyond(30, "low-pass filter to the eye (above 30 dB)", "visibly different (below 30 dB)", "undecided (within 2 SE of 30 dB)")},
		{"time_ratio", "c / eta_eff (fitted kernel clock over the step)", false, get("time_ratio"),
			beyond(1, "faster than the kernel's clock", "slower than the kernel's clock", "on the kernel's clock (within 2 SE of 1)")},
	}
}
