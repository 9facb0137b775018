package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/netinit"
)

func init() {
	register("compare", "Train the network and compare what it fits, frequency by frequency, with the NTK's prediction (half-fit iterations per radial bin, rank correlation, FBC gaps).", &compareCmd{})
}

type compareCmd struct {
	dipRunFlags
	Widths string `help:"Width sweep (preset architectures), e.g. 16,64,256: one run per width in width<N>/ and the agreement against width in widths.csv."`
	Out    string `help:"Output folder." default:"out/compare"`
	JSON   bool   `help:"Print the agreement as JSON on stdout." name:"json"`

	Predict   string  `help:"Predictions to compare with, comma-separated: ntk (the infinite-width NTK) and linearized (the network's own linearization at initialization, f(theta0) + J(theta0)(theta - theta0), trained with the same loss and optimizer; gd or adam)." default:"ntk,linearized"`
	Threshold float64 `help:"Relative output distance |f_t - f_lin_t| / |f_lin_t - f_0| above which the network has left its linearization." default:"0.1"`
	LRFrom    string  `help:"Where the default gd learning rate (eta_eff lambda_max = 0.9) takes lambda_max from: infinite (the infinite-width NTK, the theory's choice), empirical (the network's own NTK J J^T at initialization, by Lanczos: the step its linearization tolerates) or both (the larger of the two: stable for both predictions). Ignored with --lr." name:"lr-from" enum:"infinite,empirical,both" default:"both"`
	NTKEigs   int     `help:"Also write ntk_spectrum.json: the top K eigenvalues of the empirical NTK J J^T at initialization (Lanczos, 3K products) and their eigenvectors' radial frequency content (0: off)." name:"ntk-eigs"`
}

func (c *compareCmd) Help() string {
	return "Everything 'dipgp train' writes, with the NTK's curves added to psnr.png and fbc.png (dashed) and residual.png (predicted heat map " +
		"beside the observed one), plus compare.csv (observed and predicted PSNR, FBC bands and residual ratios per measured iteration), " +
		"halffit.csv and halffit.png (per radial bin, the iteration at which the bin's mean residual ratio reaches 1/2, observed and " +
		"predicted) and agreement.json: Spearman rank correlation of the half-fit iterations, their RMS log10 ratio, the RMS gap per FBC " +
		"band, and the time scale c fitted to the observed half-fit iterations (kernel time per iteration; for gd, c/eta_eff = 1 when the " +
		"kernel's clock is right).\n\n" +
		"The prediction is the linearized dynamics with the architecture's infinite-width NTK (NTK parameterization, through the final " +
		"activation in the mean-field sense) started from the run's own f_0: r_t = (1 - eta_eff Theta)^t r_0 with eta_eff = 2 lr / n for " +
		"DIP's mean squared error over n values. Adam and sgld-cheng have no fixed step: the prediction is then the gradient flow " +
		"exp(-c t Theta) r_0 with c fitted, and the output says so. The theory is exact for gd with param=ntk as the width grows; " +
		"try e.g. --opt gd --arch dip-skip:scales=3,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity --widths 16,64,256.\n\n" +
		"With --predict linearized the network's own linearization at initialization is trained too (linearized.json, linearized.csv, " +
		"predictions.png). For gd, step.json reports eta_eff lambda_max with the infinite-width NTK and with the network's empirical NTK " +
		"J J^T (largest eigenvalue by Lanczos). At finite width the empirical one is larger, and a step set from the infinite-width NTK can " +
		"exceed the linearization's stability limit 2: the linearized model then diverges (reported, with no agreement computed) while the " +
		"network may still train by leaving its linearization. The default --lr-from both sets the gd step from the larger eigenvalue, so that " +
		"both predictions are stable and comparable; it tends to the infinite-width choice as the width grows. --lr-from infinite keeps " +
		"the theory's step at every width (the same step across a width sweep)."
}

// dipCompareRow is one width of a sweep.
type dipCompareRow struct {
	Width      int                  `json:"width"`
	Agreement  *dip.Agreement       `json:"agreement,omitempty"`
	Best       dip.Best             `json:"best"`
	Step       *dipStep             `json:"step,omitempty"`
	Linearized *dip.LinearAgreement `json:"linearized,omitempty"`
}

// predictions parses --predict.
func (c *compareCmd) predictions() (ntk, lin bool, err error) {
	for _, f := range strings.Split(c.Predict, ",") {
		switch strings.TrimSpace(f) {
		case "ntk":
			ntk = true
		case "linearized":
			lin = true
		default:
			return false, false, fmt.Errorf("--predict %q: give ntk, linearized or both (comma-separated)", c.Predict)
		}
	}
	return ntk, lin, nil
}

func (c *compareCmd) Run(ctx context.Context, g *Globals) error {
	if _, _, err := c.predictions(); err != nil {
		return err
	}
	if err := prepareOut(c.Out, g, c.Resume, c.Image, c.Signal, c.Mask, c.Arch); err != nil {
		return err
	}
	if c.Widths == "" {
		row, err := c.one(ctx, g, c.dipRunFlags, c.Out)
		if row != nil {
			if row.Agreement != nil {
				dipPrintAgreement(*row.Agreement, c.JSON)
			}
			if row.Step != nil && !c.JSON {
				fmt.Println(row.Step)
			}
			if row.Linearized != nil {
				dipPrintLinear(*row.Linearized, c.JSON)
			}
		}
		return err
	}
	widths, err := parseCounts("--widths", c.Widths)
	if err != nil {
		return err
	}
	var rows []dipCompareRow
	for _, w := range widths {
		f := c.dipRunFlags
		f.Width = &w
		row, err := c.one(ctx, g, f, filepath.Join(c.Out, fmt.Sprintf("width%d", w)))
		if err != nil {
			return err
		}
		row.Width = w
		rows = append(rows, *row)
		if err := dipWriteSweep(c.Out, rows); err != nil {
			return err
		}
	}
	if c.JSON {
		b, _ := json.MarshalIndent(rows, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	dipPrintSweep(rows)
	return nil
}

// dipPrintSweep prints the sweep's tables: agreement with the NTK, with
// the linearization, and the step against both kernels' largest
// eigenvalues (each only where measured; - marks what is absent).
func dipPrintSweep(rows []dipCompareRow) {
	if rows[0].Agreement != nil {
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "width\tSpearman\tbins\thalf-fit RMS\tc/eta_eff\tratio RMS\tFBC RMS (bands 1-5)\tPSNR RMS\tbest (observed)\tbest (NTK)")
		for _, r := range rows {
			a := r.Agreement
			fmt.Fprintf(tw, "%d\t%.3f\t%d\t%s\t%.3f\t%.4f\t%s\t%.2f dB\t%d (%.2f dB)\t%s\n", r.Width, a.Spearman, a.BinsFitted, dipFactor(a.HalfFitLogRMS),
				a.TimeRatio, a.RatioRMS, dipNums(a.FBCRMS), a.PSNRRMS, a.Best.Iter, a.Best.PSNR, dipBest(*a))
		}
		tw.Flush()
		fmt.Printf("(half-fit RMS: typical factor between observed and predicted half-fit iterations; %s)\n", rows[0].Agreement.Note)
	}
	if rows[0].Linearized != nil {
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "width\tSpearman (lin)\thalf-fit RMS (lin)\thalf-fit RMS (NTK)\tratio RMS (lin)\tFBC RMS (lin, bands 1-5)\tleaves linearization at\tlin step / train step")
		for _, r := range rows {
			l, ntk := r.Linearized, "-"
			if r.Agreement != nil {
				ntk = dipFactor(r.Agreement.HalfFitLogRMS)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Width, dipNum("%.3f", l.Spearman), dipFactor(l.HalfFitLogRMS), ntk,
				dipNum("%.4f", l.RatioRMS), dipNums(l.FBCRMS), dipDeparture(*l), dipNum("%.2f", l.StepRatio))
		}
		tw.Flush()
		fmt.Printf("(linearized: %s)\n", rows[0].Linearized.Note)
	}
	if rows[0].Step != nil {
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "width\tlr (from)\teta_eff lambda_max (NTK)\teta_eff lambda_max (empirical)")
		for _, r := range rows {
			if st := r.Step; st != nil {
				fmt.Fprintf(tw, "%d\t%.4g (%s)\t%s\t%s\n", r.Width, st.LR, st.LRFrom, dipNum("%.3f", st.EtaLambdaInfinite), dipNum("%.3f", st.EtaLambdaEmpirical))
			}
		}
		tw.Flush()
		fmt.Println("(gd on the linearized model diverges when eta_eff lambda_max of the empirical NTK exceeds 2)")
	}
}

// dipNum formats v, or - when it is NaN or infinite.
func dipNum(format string, v dip.Num) string {
	if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return fmt.Sprintf(format, float64(v))
}

func dipDeparture(l dip.LinearAgreement) string {
	if l.Diverged {
		if !math.IsNaN(float64(l.EtaLambda)) {
			return fmt.Sprintf("lin diverged at iter %d (eta_eff lambda_max %.3g)", l.DivergedIter, l.EtaLambda)
		}
		return fmt.Sprintf("lin diverged at iter %d", l.DivergedIter)
	}
	if l.DepartureIter < 0 {
		return "never"
	}
	return fmt.Sprintf("iter %d", l.DepartureIter)
}

func dipPrintLinear(l dip.LinearAgreement, asJSON bool) {
	if asJSON {
		b, _ := json.MarshalIndent(l, "", "  ")
		fmt.Println(string(b))
		return
	}
	fmt.Println()
	fmt.Println("comparison with the linearized network:", l.Note)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "frequency (c/px)\thalf-fit observed\thalf-fit linearized")
	for k := range l.BinCenters {
		fmt.Fprintf(tw, "%.3f\t%s\t%s\n", l.BinCenters[k], dipIter(l.ObservedHalf[k]), dipIter(l.PredictedHalf[k]))
	}
	tw.Flush()
	if l.Diverged {
		fmt.Printf("the linearized model diverged at iteration %d: no agreement computed\n", l.DivergedIter)
		return
	}
	fmt.Printf("Spearman %.3f (%d bins half fitted on both sides); half-fit iterations differ by %s RMS; FBC RMS gap %s; ratio RMS gap %.4f\n",
		l.Spearman, l.BinsFitted, dipFactor(l.HalfFitLogRMS), dipNums(l.FBCRMS), l.RatioRMS)
	fmt.Printf("leaves its linearization (|f - f_lin| / |f_lin - f_0| > %g): %s; linearized iteration %.2f x a training step\n", l.Threshold, dipDeparture(l), l.StepRatio)
}

func dipFactor(logRMS dip.Num) string {
	v := float64(logRMS)
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("x%.3f", math.Pow(10, v))
}

func dipNums(v []dip.Num) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = dipNum("%.3f", x)
	}
	return strings.Join(s, " ")
}

func dipBest(a dip.Agreement) string {
	if a.PredictedBest.Iter >= 0 {
		return fmt.Sprintf("%d (%.2f dB expected)", a.PredictedBest.Iter, a.PredictedBest.PSNR)
	}
	return fmt.Sprintf("%d (%.2f dB)", a.PredictedBestRealized.Iter, a.PredictedBestRealized.PSNR)
}

func dipWriteSweep(out string, rows []dipCompareRow) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("width,spearman,bins_fitted,half_fit_log10_rms,time_ratio,ratio_rms,psnr_rms,fbc1_rms,fbc2_rms,fbc3_rms,fbc4_rms,fbc5_rms,best_iter,best_psnr,predicted_best_iter,predicted_best_realized_iter," +
		"lin_spearman,lin_bins_fitted,lin_half_fit_log10_rms,lin_ratio_rms,lin_fbc1_rms,lin_fbc2_rms,lin_fbc3_rms,lin_fbc4_rms,lin_fbc5_rms,departure_iter,lin_step_ratio,lin_diverged_iter," +
		"lr,lr_from,eta_lambda_max_infinite,eta_lambda_max_empirical\n")
	for _, r := range rows {
		if a := r.Agreement; a != nil {
			fmt.Fprintf(&sb, "%d,%g,%d,%g,%g,%g,%g", r.Width, a.Spearman, a.BinsFitted, a.HalfFitLogRMS, a.TimeRatio, a.RatioRMS, a.PSNRRMS)
			for _, v := range a.FBCRMS {
				fmt.Fprintf(&sb, ",%g", v)
			}
			fmt.Fprintf(&sb, ",%d,%g,%d,%d", a.Best.Iter, a.Best.PSNR, a.PredictedBest.Iter, a.PredictedBestRealized.Iter)
		} else {
			fmt.Fprintf(&sb, "%d,,,,,,,,,,,,%d,%g,,", r.Width, r.Best.Iter, r.Best.PSNR)
		}
		if l := r.Linearized; l != nil {
			fmt.Fprintf(&sb, ",%g,%d,%g,%g", l.Spearman, l.BinsFitted, l.HalfFitLogRMS, l.RatioRMS)
			for _, v := range l.FBCRMS {
				fmt.Fprintf(&sb, ",%g", v)
			}
			div := ""
			if l.Diverged {
				div = strconv.Itoa(l.DivergedIter)
			}
			fmt.Fprintf(&sb, ",%d,%g,%s", l.DepartureIter, l.StepRatio, div)
		} else {
			sb.WriteString(",,,,,,,,,,,,")
		}
		if st := r.Step; st != nil {
			fmt.Fprintf(&sb, ",%g,%s,%g,%g\n", st.LR, st.LRFrom, st.EtaLambdaInfinite, st.EtaLambdaEmpirical)
		} else {
			sb.WriteString(",,,,\n")
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "widths.csv"), []byte(sb.String()), 0o644); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "widths.json"), rows, false); err != nil {
		return err
	}
	if len(rows) < 2 || rows[0].Agreement == nil {
		return nil
	}
	var x, sp, hl, rr []float64
	for _, r := range rows {
		x = append(x, float64(r.Width))
		sp = append(sp, float64(r.Agreement.Spearman))
		hl = append(hl, float64(r.Agreement.HalfFitLogRMS))
		rr = append(rr, float64(r.Agreement.RatioRMS))
	}
	var series []plotting.Series
	for _, s := range []struct {
		name string
		y    []float64
	}{{"Spearman (half-fit order)", sp}, {"half-fit log10 RMS", hl}, {"residual-ratio RMS gap", rr}} {
		var xs, ys []float64
		for i, v := range s.y {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				xs, ys = append(xs, x[i]), append(ys, v)
			}
		}
		if len(xs) > 0 {
			series = append(series, plotting.Series{Name: s.name, X: xs, Y: ys})
		}
	}
	if len(series) == 0 {
		return nil
	}
	p, err := plotting.Lines("Agreement with the NTK against width", "width (channels)", "", series, plotting.Options{LogX: true, Markers: true, XTicks: x})
	if err != nil {
		return err
	}
	return plotting.Save(p, filepath.Join(out, "widths"), 6*vg.Inch, 4*vg.Inch)
}

// one runs training and the comparisons in out.
func (c *compareCmd) one(ctx context.Context, g *Globals, f dipRunFlags, out string) (*dipCompareRow, error) {
	wantNTK, wantLin, err := c.predictions()
	if err != nil {
		return nil, err
	}
	s, err := f.setup(ctx, out, wantNTK)
	if err != nil {
		return nil, err
	}
	if wantNTK && s.kern == nil {
		return nil, fmt.Errorf("compare needs the NTK of %s: %s (or use --predict linearized)", s.cfg.Arch, strings.Join(s.notes, "; "))
	}
	step, err := c.chooseStep(ctx, f, s)
	if err != nil {
		return nil, err
	}
	if step != nil {
		b, _ := json.MarshalIndent(step, "", "  ")
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.WriteFile(filepath.Join(out, "step.json"), append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	var outputs [][]float64
	keep := func(e dip.Event) error {
		if !e.Restored {
			outputs = append(outputs, append([]float64(nil), e.Output.Pix...))
		} else {
			outputs = append(outputs, nil)
		}
		return nil
	}
	res, runErr := dipTrain(ctx, g, s, out, fmt.Sprintf("compare width %s", widthLabel(f.Width)), keep)
	if res.Start.Pix == nil {
		return nil, runErr
	}
	var cmp *dip.Comparison
	var cmpErr error
	if wantNTK && len(res.Measurements) >= 2 {
		cp, err := dip.Compare(context.WithoutCancel(ctx), s.kern, s.cfg, res)
		if err == nil {
			cmp = &cp
		}
		cmpErr = err
	}
	sum := dipSummarize(s, res, cmp)
	if err := dipWriteOutputs(out, s, res, cmp, sum); err != nil {
		return nil, errors.Join(runErr, err)
	}
	if wantNTK && cmp == nil {
		return nil, errors.Join(runErr, cmpErr)
	}
	row := &dipCompareRow{Width: netinit.Width(s.cfg.Arch), Best: res.Best, Step: step}
	if cmp != nil {
		if err := dipWriteComparison(out, res, *cmp); err != nil {
			return nil, errors.Join(runErr, err)
		}
		row.Agreement = &cmp.Agreement
	}
	if runErr != nil && ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "dipgp: interrupted at iteration %d; the comparison covers iterations so far; continue with --resume\n", res.Iter)
		return row, runErr
	}
	if wantLin && runErr == nil {
		cfg := s.cfg
		cfg.Checkpoint, cfg.Resume = "", false
		lin, err := dip.TrainLinearized(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("linearized network: %w", err)
		}
		la, err := dip.CompareLinearized(res, lin, outputs, c.Threshold)
		if err != nil {
			return nil, err
		}
		row.Linearized = &la
		if err := dipWriteLinear(out, res, cmp, lin, la); err != nil {
			return nil, err
		}
	}
	if c.NTKEigs > 0 && runErr == nil {
		img := s.cfg.Problem.Target
		sp, err := dip.EmpiricalNTKSpectrum(ctx, s.cfg.Arch, gridOf(img), s.cfg.Seed, c.NTKEigs, 3*c.NTKEigs)
		if err != nil {
			return nil, fmt.Errorf("empirical NTK spectrum: %w", err)
		}
		b, _ := json.MarshalIndent(sp, "", "  ")
		if err := atomicfile.WriteFile(filepath.Join(out, "ntk_spectrum.json"), append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	return row, runErr
}

// dipWriteComparison writes compare.csv, halffit.csv, halffit.png and
// agreement.json.
func dipWriteComparison(out string, res dip.Result, cmp dip.Comparison) error {
	bins := len(res.BinCenters)
	var sb strings.Builder
	sb.WriteString("iter,loss,loss_ntk,psnr,psnr_ntk")
	for b := 1; b <= dip.FBCBands; b++ {
		fmt.Fprintf(&sb, ",fbc%d,fbc%d_ntk", b, b)
	}
	for k := 0; k < bins; k++ {
		fmt.Fprintf(&sb, ",ratio%d,ratio%d_ntk", k, k)
	}
	sb.WriteByte('\n')
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for i, o := range cmp.Observed {
		p := cmp.Predicted[i]
		sb.WriteString(strings.Join([]string{strconv.Itoa(o.Iter), f(o.Loss), f(p.Loss), f(o.PSNR), f(p.PSNR)}, ","))
		for b := range o.FBC {
			sb.WriteString("," + f(o.FBC[b]) + "," + f(p.FBC[b]))
		}
		for k := range o.Ratio {
			sb.WriteString("," + f(o.Ratio[k]) + "," + f(p.Ratio[k]))
		}
		sb.WriteByte('\n')
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "compare.csv"), []byte(sb.String()), 0o644); err != nil {
		return err
	}
	ag := cmp.Agreement
	sb.Reset()
	sb.WriteString("bin,center_cycles_per_pixel,observed_half_fit,predicted_half_fit\n")
	var xo, yo, xp, yp []float64
	for k := range ag.BinCenters {
		fmt.Fprintf(&sb, "%d,%g,%g,%g\n", k, ag.BinCenters[k], ag.ObservedHalf[k], ag.PredictedHalf[k])
		if v := float64(ag.ObservedHalf[k]); v > 0 && !math.IsInf(v, 0) {
			xo, yo = append(xo, float64(ag.BinCenters[k])), append(yo, v)
		}
		if v := float64(ag.PredictedHalf[k]); v > 0 && !math.IsInf(v, 0) {
			xp, yp = append(xp, float64(ag.BinCenters[k])), append(yp, v)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "halffit.csv"), []byte(sb.String()), 0o644); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "agreement.json"), ag, false); err != nil {
		return err
	}
	var series []plotting.Series
	if len(xo) > 0 {
		series = append(series, plotting.Series{Name: "observed", X: xo, Y: yo})
	}
	if len(xp) > 0 {
		series = append(series, plotting.Series{Name: "NTK prediction", X: xp, Y: yp, Dashed: true})
	}
	if len(series) == 0 {
		return nil
	}
	title := fmt.Sprintf("Half-fit iteration per frequency (Spearman %.2f)", ag.Spearman)
	p, err := plotting.Lines(title, "frequency (cycles/pixel)", "iteration", series, plotting.Options{LogY: true, Markers: true, LegendBottom: true})
	if err != nil {
		return err
	}
	return plotting.Save(p, filepath.Join(out, "halffit"), 6*vg.Inch, 4*vg.Inch)
}

func dipPrintAgreement(a dip.Agreement, asJSON bool) {
	if asJSON {
		b, _ := json.MarshalIndent(a, "", "  ")
		fmt.Println(string(b))
		return
	}
	fmt.Println()
	fmt.Println("comparison with the NTK:", a.Note)
	fmt.Println("kernel:", a.KernelNote)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "frequency (c/px)\thalf-fit observed\thalf-fit NTK")
	for k := range a.BinCenters {
		fmt.Fprintf(tw, "%.3f\t%s\t%s\n", a.BinCenters[k], dipIter(a.ObservedHalf[k]), dipIter(a.PredictedHalf[k]))
	}
	tw.Flush()
	fmt.Printf("Spearman rank correlation %.3f over %d bins (%d half fitted on both sides); half-fit iterations differ by %s RMS\n", a.Spearman, len(a.BinCenters), a.BinsFitted, dipFactor(a.HalfFitLogRMS))
	fmt.Printf("time scale c = %.4g kernel time per iteration", a.TimeScale)
	if !math.IsNaN(float64(a.EffectiveStep)) {
		fmt.Printf(" = %.3f x eta_eff (%.4g)", a.TimeRatio, a.EffectiveStep)
	}
	fmt.Println(map[bool]string{true: " (fitted and used)", false: ""}[a.Fitted])
	fmt.Printf("RMS gap: FBC bands %s, residual ratios %.4f, PSNR %.2f dB\n", dipNums(a.FBCRMS), a.RatioRMS, a.PSNRRMS)
	fmt.Printf("best iteration: observed %d (%.2f dB), NTK %s\n", a.Best.Iter, a.Best.PSNR, dipBest(a))
}

func dipIter(v dip.Num) string {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "not reached"
	}
	return fmt.Sprintf("%.1f", f)
}

// dipWriteLinear writes linearized.json (the agreement), linearized.csv
// (per measured iteration: PSNR, FBC bands and residual ratios observed,
// NTK-predicted and linearized, and the departure) and predictions.png: the
// FBC band curves and the half-fit iterations per bin, observed against
// both predictions.
func dipWriteLinear(out string, res dip.Result, cmp *dip.Comparison, lin dip.Linearized, la dip.LinearAgreement) error {
	if err := writeJSON(filepath.Join(out, "linearized.json"), la, false); err != nil {
		return err
	}
	obs := res.Measurements
	ntk := func(i int) *dip.Measurement {
		if cmp == nil {
			return nil
		}
		return &cmp.Predicted[i]
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	nan := math.NaN()
	var sb strings.Builder
	sb.WriteString("iter,psnr,psnr_ntk,psnr_lin")
	for k := 1; k <= dip.FBCBands; k++ {
		fmt.Fprintf(&sb, ",fbc%d,fbc%d_ntk,fbc%d_lin", k, k, k)
	}
	for k := range la.BinCenters {
		fmt.Fprintf(&sb, ",ratio%d,ratio%d_ntk,ratio%d_lin", k, k, k)
	}
	sb.WriteString(",departure\n")
	for i, o := range obs {
		if i >= len(lin.Measurements) {
			break // the linearized model diverged
		}
		l, p := lin.Measurements[i], ntk(i)
		pv := func(get func(m *dip.Measurement) float64) string {
			if p == nil {
				return f(nan)
			}
			return f(get(p))
		}
		sb.WriteString(strings.Join([]string{strconv.Itoa(o.Iter), f(o.PSNR), pv(func(m *dip.Measurement) float64 { return m.PSNR }), f(l.PSNR)}, ","))
		for k := range o.FBC {
			sb.WriteString("," + f(o.FBC[k]) + "," + pv(func(m *dip.Measurement) float64 { return m.FBC[k] }) + "," + f(l.FBC[k]))
		}
		for k := range o.Ratio {
			sb.WriteString("," + f(o.Ratio[k]) + "," + pv(func(m *dip.Measurement) float64 { return m.Ratio[k] }) + "," + f(l.Ratio[k]))
		}
		sb.WriteString("," + f(float64(la.Departure[i])) + "\n")
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "linearized.csv"), []byte(sb.String()), 0o644); err != nil {
		return err
	}
	return dipPredictionFigure(out, obs, cmp, lin, la)
}
