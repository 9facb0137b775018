package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/plotting"
)

// dipPanels is at most how many radial bins predictions.png shows.
const dipPanels = 5

// dipPredictionFigure writes predictions.png/svg: the fitting curve (mean
// residual ratio |r_t| / |r_0| against iteration, log scale) of up to
// dipPanels radial frequency bins from the lowest to the highest, observed
// against the infinite-width NTK and the linearized network, with the
// half-fit level 1/2 marked, and a last panel of the half-fit iteration per
// frequency; and predictions_fbc.png/svg, the same comparison for the FBC
// bands. The legend is in the first panel only; the series keep their
// colours and styles in every panel. A linearized model that diverged is
// drawn up to its divergence.
func dipPredictionFigure(out string, obs []dip.Measurement, cmp *dip.Comparison, lin dip.Linearized, la dip.LinearAgreement) error {
	var ntk []dip.Measurement
	if cmp != nil {
		ntk = cmp.Predicted
	}
	linName := "linearized network"
	if la.Diverged {
		linName = fmt.Sprintf("linearized (diverged at %d)", la.DivergedIter)
	}
	curves := func(get func(m dip.Measurement) float64, skipZero bool) [][2][]float64 {
		var res [][2][]float64
		for _, ms := range [][]dip.Measurement{obs, ntk, lin.Measurements} {
			var x, y []float64
			for _, m := range ms {
				if v := get(m); !(skipZero && m.Iter == 0) && !math.IsNaN(v) && !math.IsInf(v, 0) {
					x, y = append(x, float64(m.Iter)), append(y, v)
				}
			}
			res = append(res, [2][]float64{x, y})
		}
		return res
	}
	bins := len(la.BinCenters)
	var picks []int
	for i := 0; i < dipPanels && i < bins; i++ {
		b := int(math.Round(float64(i) * float64(bins-1) / float64(min(dipPanels, bins)-1)))
		if bins == 1 {
			b = 0
		}
		if len(picks) == 0 || picks[len(picks)-1] != b {
			picks = append(picks, b)
		}
	}
	var ratio []*plot.Plot
	for i, b := range picks {
		title := fmt.Sprintf("radial frequency %.3f cycles/px", la.BinCenters[b])
		cs := curves(func(m dip.Measurement) float64 { return m.Ratio[b] }, true)
		p, err := dipPanel(title, "iteration", "residual ratio |r_t| / |r_0|", cs, cmp != nil, linName, i == 0, plotting.Options{LogX: true})
		if err != nil {
			return err
		}
		if p != nil {
			// The same scale in every panel, from 0 to at least 1.
			p.Y.Min, p.Y.Max = 0, 1.02
			for _, xy := range cs {
				for _, v := range xy[1] {
					p.Y.Max = math.Max(p.Y.Max, 1.02*v)
				}
			}
			half := plotter.NewFunction(func(float64) float64 { return 0.5 })
			half.Color, half.Width, half.Dashes = color.Gray{0x99}, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(2)}
			p.Add(half)
		}
		ratio = append(ratio, p)
	}
	c := make([]float64, bins)
	for i, v := range la.BinCenters {
		c[i] = float64(v)
	}
	hc := [][2][]float64{dipHalf(c, la.ObservedHalf), {}, dipHalf(c, la.PredictedHalf)}
	if cmp != nil {
		hc[1] = dipHalf(c, cmp.Agreement.PredictedHalf)
	}
	hp, err := dipPanel("Iteration at which |r_t| / |r_0| = 1/2", "radial frequency (cycles/px)", "iteration", hc, cmp != nil, linName, false,
		plotting.Options{LogY: true, Markers: true})
	if err != nil {
		return err
	}
	ratio = append(ratio, hp)
	if err := dipSaveTiles(filepath.Join(out, "predictions"), ratio); err != nil {
		return err
	}
	var fbc []*plot.Plot
	for k := 0; k < dip.FBCBands; k++ {
		p, err := dipPanel(fmt.Sprintf("FBC band %d", k+1), "iteration", "FBC", curves(func(m dip.Measurement) float64 { return m.FBC[k] }, false),
			cmp != nil, linName, k == 0, plotting.Options{LegendBottom: true, LegendLeft: true})
		if err != nil {
			return err
		}
		fbc = append(fbc, p)
	}
	return dipSaveTiles(filepath.Join(out, "predictions_fbc"), fbc)
}

// dipHalf returns the finite, positive half-fit iterations against the
// bin centers c.
func dipHalf(c []float64, h []dip.Num) [2][]float64 {
	var x, y []float64
	for i, v := range h {
		if f := float64(v); f > 0 && !math.IsInf(f, 0) {
			x, y = append(x, c[i]), append(y, f)
		}
	}
	return [2][]float64{x, y}
}

// dipPanel draws observed (solid), NTK (dashed, when withNTK) and
// linearized (dashed) curves, with their names in the legend only when
// legend is set. It returns nil when no point can be drawn.
func dipPanel(title, xl, yl string, c [][2][]float64, withNTK bool, linName string, legend bool, o plotting.Options) (*plot.Plot, error) {
	names := []string{"observed network", "infinite-width NTK", linName}
	var series []plotting.Series
	n := 0
	for i, xy := range c {
		if i == 1 && !withNTK {
			continue
		}
		name := ""
		if legend {
			name = names[i]
		}
		for j := range xy[0] {
			if (!o.LogX || xy[0][j] > 0) && (!o.LogY || xy[1][j] > 0) {
				n++
			}
		}
		series = append(series, plotting.Series{Name: name, X: xy[0], Y: xy[1], Dashed: i > 0})
	}
	if n == 0 {
		return nil, nil
	}
	return plotting.Lines(title, xl, yl, series, o)
}

// dipSaveTiles saves up to six panels in two rows of three (blank tiles
// where a panel is nil or missing).
func dipSaveTiles(base string, panels []*plot.Plot) error {
	grid := [][]*plot.Plot{make([]*plot.Plot, 3), make([]*plot.Plot, 3)}
	any := false
	for i, p := range panels {
		if i < 6 {
			grid[i/3][i%3] = p
			any = any || p != nil
		}
	}
	if !any {
		return nil
	}
	return plotting.SaveGrid(base, grid, 12*vg.Inch, 7*vg.Inch)
}
