package plotting

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// Font sizes used by every figure.
const (
	TitleSize  = 14 // points
	LabelSize  = 13 // points
	TickSize   = 12 // points
	LegendSize = 12 // points
)

// sans is the font family used for all text.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Palette is the qualitative colour cycle used for line series (Tableau 10).
var Palette = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// viridisCtl are ten evenly spaced samples of matplotlib's viridis map.
var viridisCtl = [][3]uint8{
	{0x44, 0x01, 0x54}, {0x48, 0x27, 0x77}, {0x3e, 0x4a, 0x89}, {0x31, 0x68, 0x8e}, {0x26, 0x82, 0x8e},
	{0x1f, 0x9e, 0x89}, {0x35, 0xb7, 0x79}, {0x6d, 0xcd, 0x59}, {0xb4, 0xde, 0x2c}, {0xfd, 0xe7, 0x25},
}

// Viridis returns the viridis colour for t in [0, 1] (clamped), linearly
// interpolated between ten reference samples.
func Viridis(t float64) color.NRGBA {
	if !(t > 0) { // also NaN
		t = 0
	}
	if t > 1 {
		t = 1
	}
	s := t * float64(len(viridisCtl)-1)
	i := int(s)
	if i >= len(viridisCtl)-1 {
		i = len(viridisCtl) - 2
	}
	f := s - float64(i)
	a, b := viridisCtl[i], viridisCtl[i+1]
	mix := func(u, v uint8) uint8 { return uint8(math.Round(float64(u) + f*(float64(v)-float64(u)))) }
	return color.NRGBA{mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2]), 0xff}
}

// newPlot returns a plot with the package's fonts and labels applied.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, TitleSize)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sans, LabelSize)
		ax.Tick.Label.Font = font.From(sans, TickSize)
		ax.Label.Padding = vg.Points(4)
	}
	p.Legend.TextStyle.Font = font.From(sans, LegendSize)
	return p
}
