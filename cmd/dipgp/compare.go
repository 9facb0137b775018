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
)

func init() {
	register("compare", "Train the network and compare what it fits, frequency by frequency, with the NTK's prediction (half-fit iterations per radial bin, rank correlation, FBC gaps).", &compareCmd{})
}

type compareCmd struct {
	dipRunFlags
	Widths string `help:"Width sweep (preset architectures), e.g. 16,64,256: one run per width in width<N>/ and the agreement against width in widths.csv."`
	Out    string `help:"Output folder." default:"out/compare"`
	JSON   bool   `help:"Print the agreement as JSON on stdout." name:"json"`
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
		"try e.g. --opt gd --arch dip-skip:scales=3,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity --widths 16,64,256."
}

// dipCompareRow is one width of a sweep.
type dipCompareRow struct {
	Width     int           `json:"width"`
	Agreement dip.Agreement `json:"agreement"`
	Best      dip.Best      `json:"best"`
}

func (c *compareCmd) Run(ctx context.Context, g *Globals) error {
	if err := prepareOut(c.Out, g, c.Resume, c.Image, c.Mask, c.Arch); err != nil {
		return err
	}
	if c.Widths == "" {
		ag, err := c.one(ctx, g, c.dipRunFlags, c.Out)
		if ag != nil {
			dipPrintAgreement(*ag, c.JSON)
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
		ag, err := c.one(ctx, g, f, filepath.Join(c.Out, fmt.Sprintf("width%d", w)))
		if err != nil {
			return err
		}
		rows = append(rows, dipCompareRow{Width: w, Agreement: *ag, Best: ag.Best})
		if err := dipWriteSweep(c.Out, rows); err != nil {
			return err
		}
	}
	if c.JSON {
		b, _ := json.MarshalIndent(rows, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "width\tSpearman\tbins\thalf-fit RMS\tc/eta_eff\tratio RMS\tFBC RMS (bands 1-5)\tPSNR RMS\tbest (observed)\tbest (NTK)")
	for _, r := range rows {
		a := r.Agreement
		fmt.Fprintf(tw, "%d\t%.3f\t%d\t%s\t%.3f\t%.4f\t%s\t%.2f dB\t%d (%.2f dB)\t%s\n", r.Width, a.Spearman, a.BinsFitted, dipFactor(a.HalfFitLogRMS),
			a.TimeRatio, a.RatioRMS, dipNums(a.FBCRMS), a.PSNRRMS, a.Best.Iter, a.Best.PSNR, dipBest(a))
	}
	tw.Flush()
	fmt.Printf("(half-fit RMS: typical factor between observed and predicted half-fit iterations; %s)\n", rows[0].Agreement.Note)
	return nil
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
		s[i] = fmt.Sprintf("%.3f", x)
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
	sb.WriteString("width,spearman,bins_fitted,half_fit_log10_rms,time_ratio,ratio_rms,psnr_rms,fbc1_rms,fbc2_rms,fbc3_rms,fbc4_rms,fbc5_rms,best_iter,best_psnr,predicted_best_iter,predicted_best_realized_iter\n")
	for _, r := range rows {
		a := r.Agreement
		fmt.Fprintf(&sb, "%d,%g,%d,%g,%g,%g,%g", r.Width, a.Spearman, a.BinsFitted, a.HalfFitLogRMS, a.TimeRatio, a.RatioRMS, a.PSNRRMS)
		for _, v := range a.FBCRMS {
			fmt.Fprintf(&sb, ",%g", v)
		}
		fmt.Fprintf(&sb, ",%d,%g,%d,%d\n", a.Best.Iter, a.Best.PSNR, a.PredictedBest.Iter, a.PredictedBestRealized.Iter)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "widths.csv"), []byte(sb.String()), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "widths.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if len(rows) < 2 {
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

// one runs training and the comparison in out.
func (c *compareCmd) one(ctx context.Context, g *Globals, f dipRunFlags, out string) (*dip.Agreement, error) {
	s, err := f.setup(ctx, out, true)
	if err != nil {
		return nil, err
	}
	if s.kern == nil {
		return nil, fmt.Errorf("compare needs the NTK of %s: %s", s.cfg.Arch, strings.Join(s.notes, "; "))
	}
	res, runErr := dipTrain(ctx, g, s, out, fmt.Sprintf("compare width %s", widthLabel(f.Width)))
	if res.Start.Pix == nil {
		return nil, runErr
	}
	var cmp *dip.Comparison
	var cmpErr error
	if len(res.Measurements) >= 2 {
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
	if cmp == nil {
		return nil, errors.Join(runErr, cmpErr)
	}
	if err := dipWriteComparison(out, res, *cmp); err != nil {
		return nil, errors.Join(runErr, err)
	}
	if runErr != nil && ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "dipgp: interrupted at iteration %d; the comparison covers iterations so far; continue with --resume\n", res.Iter)
	}
	ag := cmp.Agreement
	return &ag, runErr
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
	b, err := json.MarshalIndent(ag, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "agreement.json"), append(b, '\n'), 0o644); err != nil {
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
