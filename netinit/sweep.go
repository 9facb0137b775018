package netinit

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/plotting"
	"gonum.org/v1/plot/vg"
)

// SweepPoint is the check at one width.
type SweepPoint struct {
	Width  int         `json:"width"`
	Result CheckResult `json:"result"`
}

// Sweep is a width sweep: the check at several widths and the fitted
// log-log slope of the error against width.
type Sweep struct {
	Points []SweepPoint `json:"points"`
	// Slope is the least-squares slope of log(RMS error) on log(width);
	// the theory expects about -1 once sampling noise is below the bias.
	Slope float64 `json:"rms_slope"`
	// BiasSlope is the same for the absolute mean bias.
	BiasSlope float64 `json:"bias_slope"`
}

// RunSweep runs Check for the preset architecture a at each width (its
// "channels" key set to the width). It stops at the first error; the
// points completed so far are returned.
func RunSweep(ctx context.Context, cfg CheckConfig, widths []int, each func(SweepPoint)) (Sweep, error) {
	var s Sweep
	for _, w := range widths {
		a, err := arch.WithPresetKey(cfg.Arch, "channels", strconv.Itoa(w))
		if err != nil {
			return s, fmt.Errorf("netinit: width sweep: %w", err)
		}
		c := cfg
		c.Arch = a
		r, err := Check(ctx, c)
		if err != nil {
			return s, err
		}
		p := SweepPoint{Width: w, Result: r}
		s.Points = append(s.Points, p)
		if each != nil {
			each(p)
		}
	}
	return Fit(s), nil
}

// Fit returns the sweep with its slopes fitted to its points.
func Fit(s Sweep) Sweep {
	var xs, ys, bs []float64
	for _, p := range s.Points {
		xs = append(xs, math.Log(float64(p.Width)))
		ys = append(ys, math.Log(p.Result.Comparison.RMSRelError))
		bs = append(bs, math.Log(math.Abs(p.Result.Comparison.BiasRelError)))
	}
	s.Slope = slope(xs, ys)
	s.BiasSlope = slope(xs, bs)
	return s
}

// slope is the least-squares slope of y on x (NaN for fewer than 2 points).
func slope(x, y []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(x))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}

// WriteSweep writes sweep.csv and the figure error_vs_width.png/.svg.
func WriteSweep(dir string, s Sweep) error {
	f, err := atomicfile.Create(filepath.Join(dir, "sweep.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"width", "samples", "rms_rel_error", "max_rel_error", "bias_rel_error", "mean_rel_stderr", "within_2se", "within_3se", "consistent"})
	ff := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	var x, rms, bias, se []float64
	for _, p := range s.Points {
		c := p.Result.Comparison
		w.Write([]string{strconv.Itoa(p.Width), strconv.Itoa(p.Result.Samples), ff(c.RMSRelError), ff(c.MaxRelError), ff(c.BiasRelError), ff(c.MeanStderr), ff(c.Within2), ff(c.Within3), strconv.FormatBool(c.Consistent)})
		x = append(x, float64(p.Width))
		rms, bias, se = append(rms, c.RMSRelError), append(bias, math.Abs(c.BiasRelError)), append(se, c.MeanStderr)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Abort()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if len(s.Points) == 0 {
		return nil
	}
	p, err := plotting.Lines(fmt.Sprintf("%s: error against width", s.Points[0].Result.Arch), "width (channels)", "error / variance",
		[]plotting.Series{
			{Name: fmt.Sprintf("RMS error (slope %.2f)", s.Slope), X: x, Y: rms},
			{Name: fmt.Sprintf("|mean bias| (slope %.2f)", s.BiasSlope), X: x, Y: bias},
			{Name: "mean standard error", X: x, Y: se, Dashed: true},
		}, plotting.Options{LogX: true, LogY: true, Markers: true})
	if err != nil {
		return err
	}
	return plotting.Save(p, filepath.Join(dir, "error_vs_width"), 7*vg.Inch, 5*vg.Inch)
}
