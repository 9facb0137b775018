package plotting

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// outsideLegend is a plotter that draws a legend to the right of the data
// area. Its glyph box makes gonum's layout reserve the legend's width there.
type outsideLegend struct {
	plot.Legend
	gap vg.Length
}

// width returns the legend's width including the gap to the data area
// and a margin of the same size to the figure's edge.
func (l *outsideLegend) width() vg.Length {
	r := l.Legend.Rectangle(draw.Canvas{})
	return 2*l.gap + r.Max.X - r.Min.X
}

// Plot implements plot.Plotter: it draws the legend just right of c, the
// data area.
func (l *outsideLegend) Plot(c draw.Canvas, _ *plot.Plot) {
	lc := c
	lc.Min.X = c.Max.X + l.gap
	lc.Max.X = lc.Min.X + l.width()
	l.Legend.Draw(lc)
}

// GlyphBoxes implements plot.GlyphBoxer: one box at the right edge, as
// wide as the legend.
func (l *outsideLegend) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{X: l.width()}}}}
}
