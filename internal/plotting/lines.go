package plotting

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Series is one curve of a line plot. X and Y must have equal length. Lo
// and Hi optionally give a shaded band (for example mean ± 2 standard
// errors) at the same X positions: both nil, or both of length len(X).
// Dashed draws the curve dashed. Name appears in the legend ("" for no
// legend entry). Color, when positive, picks Palette[Color-1] instead of
// the series' position in the list: give an observed curve and its
// prediction the same Color and draw the prediction Dashed.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
	Dashed bool
	Color  int
}

// Options controls a line plot.
type Options struct {
	// LogX and LogY select base-10 logarithmic axes. Points with a
	// non-positive coordinate on a log axis (including non-positive
	// Lo/Hi band values on a log y axis) are dropped.
	LogX, LogY bool
	// LegendLeft and LegendBottom move the legend from the default top
	// right corner.
	LegendLeft, LegendBottom bool
	// LegendOutside draws the legend to the right of the data area, top
	// aligned, so that it never covers data; the data area narrows to
	// make room (widen the figure by about the legend's width).
	LegendOutside bool
	// Markers draws a small circle at every data point as well.
	Markers bool
	// XTicks, when not empty, are the x-axis ticks (e.g. the measured
	// widths of a sweep), labelled in short form.
	XTicks []float64
}

func checkFinite(name string, s []float64) error {
	for i, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("plotting: %s[%d] is %v; plot data must be finite (remove or replace such points)", name, i, v)
		}
	}
	return nil
}

// Lines returns a line plot of the series with the given title and axis
// labels (include units in the labels, e.g. "frequency (cycles/pixel)").
// Series are coloured in order from Palette; bands are drawn in the series
// colour, translucent, behind the curves. It returns an error if any value
// is NaN or infinite, if lengths disagree, or if no point remains to be
// drawn.
func Lines(title, xlabel, ylabel string, series []Series, opts Options) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plotting: Lines needs at least one series")
	}
	p := newPlot(title, xlabel, ylabel)
	p.X.Tick.Marker = distinctTicks{}
	p.Y.Tick.Marker = distinctTicks{}
	if opts.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if opts.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if len(opts.XTicks) > 0 {
		p.X.Tick.Marker = fixedTicks(opts.XTicks)
	}
	p.Legend.Top = !opts.LegendBottom
	p.Legend.Left = opts.LegendLeft
	p.Legend.Padding = vg.Points(4)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Add(plotter.NewGrid())

	var bands, curves []plot.Plotter
	type entry struct {
		name  string
		thumb plot.Thumbnailer
	}
	var legend []entry
	drawn, droppedX := 0, false
	var droppedNotes []string
	for k, s := range series {
		droppedY := 0
		id := s.Name
		if id == "" {
			id = fmt.Sprintf("#%d", k)
		}
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plotting: series %q has %d X values but %d Y values; they must match", id, len(s.X), len(s.Y))
		}
		hasBand := s.Lo != nil || s.Hi != nil
		if hasBand && (len(s.Lo) != len(s.X) || len(s.Hi) != len(s.X)) {
			return nil, fmt.Errorf("plotting: series %q band has %d Lo and %d Hi values for %d points; give both with len(X) values, or neither", id, len(s.Lo), len(s.Hi), len(s.X))
		}
		for _, c := range []struct {
			n string
			v []float64
		}{{"X", s.X}, {"Y", s.Y}, {"Lo", s.Lo}, {"Hi", s.Hi}} {
			if err := checkFinite(fmt.Sprintf("series %q %s", id, c.n), c.v); err != nil {
				return nil, err
			}
		}
		col := Palette[k%len(Palette)]
		if s.Color > 0 {
			col = Palette[(s.Color-1)%len(Palette)]
		}
		var pts, lo, hi plotter.XYs
		for i := range s.X {
			if opts.LogX && s.X[i] <= 0 {
				droppedX = true
				continue
			}
			if !(opts.LogY && s.Y[i] <= 0) {
				pts = append(pts, plotter.XY{X: s.X[i], Y: s.Y[i]})
			} else {
				droppedY++
			}
			if hasBand && !(opts.LogY && (s.Lo[i] <= 0 || s.Hi[i] <= 0)) {
				lo = append(lo, plotter.XY{X: s.X[i], Y: s.Lo[i]})
				hi = append(hi, plotter.XY{X: s.X[i], Y: s.Hi[i]})
			}
		}
		if droppedY > 0 {
			droppedNotes = append(droppedNotes, fmt.Sprintf("%d of %s", droppedY, id))
		}
		if len(lo) >= 2 {
			ring := append(plotter.XYs(nil), lo...)
			for i := len(hi) - 1; i >= 0; i-- {
				ring = append(ring, hi[i])
			}
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return nil, fmt.Errorf("plotting: series %q band: %w", id, err)
			}
			poly.Color = color.NRGBA{col.R, col.G, col.B, 0x40}
			poly.LineStyle.Width = 0
			bands = append(bands, poly)
		}
		if len(pts) == 0 {
			continue
		}
		drawn += len(pts)
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("plotting: series %q: %w", id, err)
		}
		l.LineStyle.Color = col
		l.LineStyle.Width = vg.Points(1.75)
		if s.Dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		curves = append(curves, l)
		var thumb plot.Thumbnailer = l
		if opts.Markers || len(pts) == 1 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("plotting: series %q: %w", id, err)
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(2.5)
			curves = append(curves, sc)
			if len(pts) == 1 {
				thumb = sc
			}
		}
		if s.Name != "" {
			legend = append(legend, entry{s.Name, thumb})
		}
	}
	if drawn == 0 {
		if opts.LogX || opts.LogY {
			return nil, errors.New("plotting: no point has positive coordinates on the log axes; use linear axes or positive data")
		}
		return nil, errors.New("plotting: all series are empty; nothing to plot")
	}
	var notes []string
	if droppedX {
		notes = append(notes, "x <= 0 not drawn")
	}
	if len(droppedNotes) > 3 {
		droppedNotes = append(droppedNotes[:2], fmt.Sprintf("%d more series", len(droppedNotes)-2))
	}
	if len(droppedNotes) > 0 {
		notes = append(notes, "values <= 0 not drawn: "+strings.Join(droppedNotes, ", "))
	}
	if len(notes) > 0 {
		p.Title.Text += "\n(log axis: " + strings.Join(notes, "; ") + ")"
	}
	p.Add(bands...)
	p.Add(curves...)
	if opts.LegendOutside && len(legend) > 0 {
		ol := &outsideLegend{Legend: p.Legend, gap: vg.Points(10)}
		ol.Top, ol.Left = true, true
		for _, e := range legend {
			ol.Add(e.name, e.thumb)
		}
		p.Add(ol)
		return p, nil
	}
	for _, e := range legend {
		p.Legend.Add(e.name, e.thumb)
	}
	return p, nil
}

// logTicks labels a logarithmic axis with powers of ten when the range
// spans at least one full decade, and with ordinary ticks otherwise.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	if min > 0 && max > 0 && math.Floor(math.Log10(max))-math.Ceil(math.Log10(min)) >= 1 {
		var ticks []plot.Tick
		for _, t := range (plot.LogTicks{Prec: -1}).Ticks(min, max) {
			if t.Value >= min*(1-1e-9) && t.Value <= max*(1+1e-9) {
				if t.Label != "" {
					t.Label = ShortNumber(t.Value)
				}
				ticks = append(ticks, t)
			}
		}
		return ticks
	}
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = ShortNumber(ticks[i].Value)
		}
	}
	return ticks
}

// distinctTicks are gonum's default linear ticks, labelled with as many
// significant digits as it takes for each label to be within 1% of the
// tick spacing of its value (the default labels of a range such as
// 1 ± 1e-7 all read "1").
type distinctTicks struct{}

// Ticks implements plot.Ticker.
func (distinctTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	var major []int
	for i, t := range ticks {
		if t.Label != "" {
			major = append(major, i)
		}
	}
	if len(major) < 2 {
		return ticks
	}
	step := ticks[major[1]].Value - ticks[major[0]].Value
	for prec := 1; prec <= 15; prec++ {
		labels := make([]string, len(major))
		ok := true
		for j, i := range major {
			v := ticks[i].Value
			if math.Abs(v) < 1e-9*step {
				v = 0
			}
			labels[j] = shortNumber(v, prec)
			v, _ = strconv.ParseFloat(labels[j], 64)
			if math.Abs(v-ticks[i].Value) > 0.01*step {
				ok = false
				break
			}
		}
		if ok {
			for j, i := range major {
				ticks[i].Label = labels[j]
			}
			break
		}
	}
	return ticks
}

// fixedTicks puts labelled ticks at given values.
type fixedTicks []float64

// Ticks implements plot.Ticker.
func (f fixedTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range f {
		if v >= min*(1-1e-9) && v <= max*(1+1e-9) {
			out = append(out, plot.Tick{Value: v, Label: ShortNumber(v)})
		}
	}
	return out
}

// ShortNumber formats a tick value in at most 4 significant digits without
// trailing zeros: 1e-04 as "1e-04", 25 as "25", 0.5 as "0.5", 125 as "125".
func ShortNumber(v float64) string { return shortNumber(v, 4) }

// shortNumber formats v in at most prec significant digits, plainly for
// magnitudes in [1e-3, 1e5) and in exponent form otherwise.
func shortNumber(v float64, prec int) string {
	if v == 0 {
		return "0"
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', prec, 64), 64)
	if a := math.Abs(r); a >= 1e-3 && a < 1e5 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strconv.FormatFloat(r, 'e', -1, 64)
}
