package experiments

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/plotting"
)

// fbcRun is one of fbc's two runs whose band curves are compared with the
// NTK's.
type fbcRun struct {
	label, key, spec string
	a                arch.Arch
	opt              dip.Optimizer
	reg              float64
}

func runFBC(e *env) error {
	const sigma = 25.0
	const peakSeeds = 3
	d, err := e.denoiseCase([3]int{40, 1000, 3000}, sigma, 4+peakSeeds)
	if err != nil {
		return err
	}
	gdLR, err := dip.DefaultLR(dip.GD, d.k, d.n, 0)
	if err != nil {
		return err
	}
	e.md("## Setting\n\nImage: %s with Gaussian noise of std %g/255 (seed %d). FBC (`dip.FBC`, docs/theory.md section 6): "+
		"the grey output's Fourier magnitude over the noisy target's, clipped to [0, 1], averaged over 5 radial bands "+
		"(band 1: lowest frequencies). Runs of %d iterations measured every %d: DIP's Adam (LR 0.01, input noise 1/30) "+
		"on `%s`, and gradient descent on `%s` (NTK parameterization, LR %s = 0.5 x the step at which "+
		"eta_eff lambda_max = 1). Predicted curves: `dip.Compare` with the exact NTK (%s): for gd with the step as it is, "+
		"for Adam with one time scale fitted to the observed half-fit iterations.",
		d.src, sigma, e.seed(1), d.st.iters, d.st.every(), d.specSP, d.specNTK, fg(gdLR, 3), d.k.Prior.Note())
	runs := []fbcRun{
		{"Adam (DIP)", "adam", d.specSP, d.aSP, dip.Optimizer{Kind: dip.Adam, LR: dip.AdamLR}, dip.DefaultRegNoise},
		{"GD (NTK param.)", "gd", d.specNTK, d.aNTK, dip.Optimizer{Kind: dip.GD, LR: gdLR}, 0},
	}
	keys := []string{runs[0].label, runs[1].label}
	for s := 0; s < peakSeeds; s++ {
		keys = append(keys, fmt.Sprintf("Adam at the PSNR peak, seed %d", s))
	}
	units, done, err := e.runUnits(keys, d.st.iters, func(i int) (unitData, error) {
		if i < len(runs) {
			return e.fbcCurveRun(d, runs[i], i)
		}
		return e.fbcPeakRun(d, sigma, i-len(runs))
	})
	if err != nil {
		return err
	}
	if !done {
		return e.shardNote(nil, len(keys))
	}
	if err := e.fbcCurves(runs, units[:len(runs)]); err != nil {
		return err
	}
	return e.fbcAtPeak(units[len(runs):])
}

// fbcCurveRun trains the i-th run and returns its observed and predicted
// band curves and its numbers.
func (e *env) fbcCurveRun(d denoiseCase, c fbcRun, i int) (unitData, error) {
	cfg := dip.Config{Arch: c.a, Problem: d.prob, Opt: c.opt, Iters: d.st.iters, Every: d.st.every(), Seed: e.seed(2 + i), BurnIn: -1, RegNoise: c.reg}
	r, err := e.train(c.label, c.spec, cfg, false)
	if err != nil {
		return unitData{}, err
	}
	cmp, err := dip.Compare(e.ctx, d.k, cfg, r.res)
	if err != nil {
		return unitData{}, err
	}
	if err := e.metricsCSV("metrics_"+c.key, r); err != nil {
		return unitData{}, err
	}
	ag := cmp.Agreement
	u := unitData{Numbers: map[string]float64{"best_psnr": r.res.Best.PSNR, "time_ratio": float64(ag.TimeRatio)},
		Series: map[string][]float64{"iter": itersOf(cmp.Observed)}}
	for b := 0; b < dip.FBCBands; b++ {
		u.Series[fmt.Sprintf("band%d_observed", b+1)] = field(cmp.Observed, func(m dip.Measurement) float64 { return m.FBC[b] })
		u.Series[fmt.Sprintf("band%d_predicted", b+1)] = field(cmp.Predicted, func(m dip.Measurement) float64 { return m.FBC[b] })
		rms := math.NaN()
		if b < len(ag.FBCRMS) {
			rms = float64(ag.FBCRMS[b])
		}
		u.Numbers[fmt.Sprintf("rms_band%d", b+1)] = rms
	}
	return u, e.step(c.label)
}

// fbcCurves writes the band curves of the two runs, observed and
// predicted, their CSV files, numbers and table.
func (e *env) fbcCurves(runs []fbcRun, units []unitData) error {
	var panels []*plot.Plot
	var rows [][]string
	for i, c := range runs {
		u := units[i]
		it := u.Series["iter"]
		header, cols, row := []string{"iter"}, [][]float64{it}, []string{c.label}
		for b := 0; b < dip.FBCBands; b++ {
			obs, pred := u.Series[fmt.Sprintf("band%d_observed", b+1)], u.Series[fmt.Sprintf("band%d_predicted", b+1)]
			x, y := curveOf(u, fmt.Sprintf("band%d_observed", b+1))
			xp, yp := curveOf(u, fmt.Sprintf("band%d_predicted", b+1))
			pl, err := lines(fmt.Sprintf("%s, band %d", c.label, b+1), "iteration", "FBC H_b(t)",
				[]plotting.Series{{X: x, Y: y}, {X: xp, Y: yp, Dashed: true, Color: 1}}, plotting.Options{}) // the caption names solid and dashed
			if err != nil {
				return err
			}
			pl.Y.Min, pl.Y.Max = 0, 1
			panels = append(panels, pl)
			header = append(header, fmt.Sprintf("band%d_observed", b+1), fmt.Sprintf("band%d_predicted", b+1))
			cols = append(cols, obs, pred)
			// Iteration at which the band reaches 0.5.
			ho := dip.HalfFit(it, complement(obs), 0.5)
			hp := dip.HalfFit(it, complement(pred), 0.5)
			rms := u.Numbers[fmt.Sprintf("rms_band%d", b+1)]
			e.num(fmt.Sprintf("fbc_rms_band%d_%s", b+1, c.key), rms)
			e.num(fmt.Sprintf("fbc_final_band%d_%s", b+1, c.key), obs[len(obs)-1])
			row = append(row, fmt.Sprintf("%s / %s (RMS gap %s)", halfIter(ho), halfIter(hp), fg(rms, 2)))
		}
		rows = append(rows, append(row, fg(u.Numbers["time_ratio"], 3)))
		data := make([][]float64, len(it))
		for j := range data {
			for _, col := range cols {
				data[j] = append(data[j], col[j])
			}
		}
		if err := e.csv("fbc_"+c.key, header, data); err != nil {
			return err
		}
		e.num("best_psnr_"+c.key, u.Numbers["best_psnr"])
	}
	e.md("## FBC curves")
	grid := [][]*plot.Plot{}
	for i := 0; i < len(panels); i += dip.FBCBands {
		grid = append(grid, panels[i:i+dip.FBCBands])
	}
	if err := e.grid("fbc", "FBC bands (band 1 = lowest frequencies) observed during training (solid) and predicted by the NTK (dashed); top: Adam (NTK with a fitted time scale), bottom: gradient descent (no fitted parameter)", grid, 5*3.4*72, vg.Length(len(grid))*3*72); err != nil {
		return err
	}
	h := []string{"run"}
	for b := 1; b <= dip.FBCBands; b++ {
		h = append(h, fmt.Sprintf("band %d: iteration at 0.5, observed / predicted", b))
	}
	e.table(append(h, "c / eta_eff"), rows)
	e.md("0 means the band is above 0.5 from the start; 'not reached' means it stays below 0.5 within the run. Low bands rise first: the spectral bias. " +
		"c / eta_eff is the fitted kernel time per iteration over gradient descent's step (1: the kernel's clock; n/a for Adam).")
	return e.step("figures")
}
