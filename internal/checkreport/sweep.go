package checkreport

import (
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/netinit"
	"gonum.org/v1/plot/vg"
)

// WriteSweep writes sweep.csv and the figure error_vs_width.png/.svg.
func WriteSweep(dir string, s netinit.Sweep) error {
	f, err := atomicfile.Create(filepath.Join(dir, "sweep.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"width", "samples", "rms_rel_error", "max_rel_error", "bias_rel_error", "mean_rel_stderr", "within_2se", "within_3se",
		"shape_rms_rel_error", "shape_excess_rms", "shape_mean_rel_stderr", "shape_within_2se", "p_value", "shape_p_value", "consistent"})
	ff := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	var x, rms, bias, se, shx, shape, shse []float64
	for _, p := range s.Points {
		c, sh := p.Result.Comparison, p.Result.Shape
		w.Write([]string{strconv.Itoa(p.Width), strconv.Itoa(p.Result.Samples), ff(c.RMSRelError), ff(c.MaxRelError), ff(c.BiasRelError), ff(c.MeanStderr), ff(c.Within2), ff(c.Within3),
			ff(sh.RMSRelError), ff(sh.ExcessRMS), ff(sh.MeanStderr), ff(sh.Within2), ff(p.Result.Test.Joint.P), ff(p.Result.Test.Shape.P), strconv.FormatBool(p.Result.Test.Agree)})
		x = append(x, float64(p.Width))
		rms, bias, se = append(rms, c.RMSRelError), append(bias, math.Abs(c.BiasRelError)), append(se, c.MeanStderr)
		shse = append(shse, sh.MeanStderr)
		if sh.ExcessRMS > 0 {
			shx, shape = append(shx, float64(p.Width)), append(shape, sh.ExcessRMS)
		}
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
	var zero []string
	for _, p := range s.Points {
		if !(p.Result.Shape.ExcessRMS > 0) {
			zero = append(zero, strconv.Itoa(p.Width))
		}
	}
	title := ShortArch(s.Points[0].Result.Arch) + ": error against width"
	if len(zero) > 0 {
		title += fmt.Sprintf("\n(shape excess RMS is 0, within sampling error, at width %s: not drawn)", strings.Join(zero, ", "))
	}
	p, err := plotting.Lines(title, "width (channels)", "error / variance",
		[]plotting.Series{
			{Name: "RMS error" + slopeNote(s.Slope), X: x, Y: rms, Color: 1},
			{Name: "mean standard error", X: x, Y: se, Dashed: true, Color: 1},
			{Name: "|mean bias|" + slopeNote(s.BiasSlope), X: x, Y: bias, Color: 2},
			{Name: "shape: excess RMS error" + slopeNote(s.ShapeSlope), X: shx, Y: shape, Color: 3},
			{Name: "shape: mean standard error", X: x, Y: shse, Dashed: true, Color: 3},
		}, plotting.Options{LogX: true, LogY: true, Markers: true, LegendOutside: true, XTicks: x})
	if err != nil {
		return err
	}
	return plotting.Save(p, filepath.Join(dir, "error_vs_width"), 9.5*vg.Inch, 5*vg.Inch)
}

// slopeNote is " (slope s)" for a fitted log-log slope, or " (no slope)"
// when too few widths have data to fit one.
func slopeNote(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return " (no slope)"
	}
	return fmt.Sprintf(" (slope %.2f)", s)
}
