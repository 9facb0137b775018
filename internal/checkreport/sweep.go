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
	name := s.Points[0].Result.Arch
	if i := strings.Index(name, "channels="); i >= 0 {
		j := strings.IndexByte(name[i:], ',')
		if j < 0 {
			name = strings.TrimRight(name[:i], ",:")
		} else {
			name = name[:i] + name[i+j+1:]
		}
	}
	p, err := plotting.Lines(fmt.Sprintf("%s: error against width", name), "width (channels)", "error / variance",
		[]plotting.Series{
			{Name: fmt.Sprintf("RMS error (slope %.2f)", s.Slope), X: x, Y: rms},
			{Name: fmt.Sprintf("|mean bias| (slope %.2f)", s.BiasSlope), X: x, Y: bias},
			{Name: "mean standard error", X: x, Y: se, Dashed: true},
			{Name: fmt.Sprintf("shape: excess RMS error (slope %.2f)", s.ShapeSlope), X: shx, Y: shape},
			{Name: "shape: mean standard error", X: x, Y: shse, Dashed: true},
		}, plotting.Options{LogX: true, LogY: true, Markers: true, LegendBottom: true, LegendLeft: true})
	if err != nil {
		return err
	}
	return plotting.Save(p, filepath.Join(dir, "error_vs_width"), 7*vg.Inch, 5*vg.Inch)
}
