package plotting

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var colorWhite = color.White

// NonPositiveColor fills cells of a logarithmic heat map whose value is
// zero or negative (and so has no place on the colour scale).
var NonPositiveColor = color.NRGBA{0xc0, 0xc0, 0xc0, 0xff}

// Heatmap returns a plot of a w×h grid given row-major (data[y*w+x]), drawn
// as an image with row 0 at the top, as for images, and a viridis colour
// bar on the right. Axis ticks are column (x) and row (y) indices; cell
// (x, y) is centred on those coordinates. When log is true the colours
// encode log10 of the values and the colour bar is labelled in the
// original units; cells with non-positive values are drawn in
// NonPositiveColor. The grid is rendered as a raster with nearest-neighbour
// upsampling, so every cell is a sharp square block in both PNG and SVG.
//
// It returns an error if w or h is < 1, len(data) != w*h, any value is NaN
// or infinite, or (for log) no value is positive. See HeatmapWith for a
// fixed colour range and physical axis coordinates.
func Heatmap(title, xlabel, ylabel string, w, h int, data []float64, log bool) (*plot.Plot, error) {
	return HeatmapWith(title, xlabel, ylabel, w, h, data, HeatmapOptions{Log: log})
}

// HeatmapOptions controls HeatmapWith. The zero value gives Heatmap's
// defaults.
type HeatmapOptions struct {
	// Log colours by log10 of the values (see Heatmap).
	Log bool
	// VMin and VMax fix the colour range (in data units, also for Log),
	// so that several heat maps share one scale; values outside are drawn
	// in the end colours. Used only when VMin < VMax; otherwise the range
	// of the data is used.
	VMin, VMax float64
	// Extent gives the axis coordinates of the outer cell edges as
	// {left, right, bottom, top}, e.g. {-0.5, 0.5, -0.5, 0.5} for a
	// centred spectrum in cycles per pixel. Row 0 is drawn at the top, as
	// matplotlib's imshow(origin="upper", extent=...). Used only when
	// left < right and bottom < top; otherwise axes show cell indices.
	Extent [4]float64
}

// HeatmapWith is Heatmap with options for the colour range and the axis
// coordinates.
func HeatmapWith(title, xlabel, ylabel string, w, h int, data []float64, opts HeatmapOptions) (*plot.Plot, error) {
	log := opts.Log
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("plotting: heat map size %dx%d; width and height must be >= 1", w, h)
	}
	if len(data) != w*h {
		return nil, fmt.Errorf("plotting: heat map %dx%d needs %d values but data has %d", w, h, w*h, len(data))
	}
	if err := checkFinite("heat map data", data); err != nil {
		return nil, err
	}
	if err := checkFinite("heat map options", []float64{opts.VMin, opts.VMax, opts.Extent[0], opts.Extent[1], opts.Extent[2], opts.Extent[3]}); err != nil {
		return nil, err
	}
	vals := data
	if log {
		vals = make([]float64, len(data))
		for i, v := range data {
			if v > 0 {
				vals[i] = math.Log10(v)
			} else {
				vals[i] = math.NaN()
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		return nil, errors.New("plotting: log heat map has no positive value; use log=false")
	}
	if opts.VMin < opts.VMax {
		if log {
			if opts.VMin <= 0 {
				return nil, fmt.Errorf("plotting: log heat map colour range [%v, %v] must be positive", opts.VMin, opts.VMax)
			}
			lo, hi = math.Log10(opts.VMin), math.Log10(opts.VMax)
		} else {
			lo, hi = opts.VMin, opts.VMax
		}
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.05, 0.5)
		if log {
			d = 0.5
		}
		lo, hi = lo-d, hi+d
	}

	// Nearest-neighbour upsampling so renderers that interpolate when
	// scaling images still show sharp cells.
	k := 1
	if m := max(w, h); m < 512 {
		k = (512 + m - 1) / m
	}
	img := image.NewNRGBA(image.Rect(0, 0, w*k, h*k))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := vals[y*w+x]
			c := NonPositiveColor
			if !math.IsNaN(v) {
				c = Viridis((v - lo) / (hi - lo))
			}
			for yy := y * k; yy < (y+1)*k; yy++ {
				o := yy*img.Stride + x*k*4
				for xx := 0; xx < k; xx++ {
					img.Pix[o+4*xx] = c.R
					img.Pix[o+4*xx+1] = c.G
					img.Pix[o+4*xx+2] = c.B
					img.Pix[o+4*xx+3] = c.A
				}
			}
		}
	}

	p := newPlot(title, xlabel, ylabel)
	p.X.Padding, p.Y.Padding = 0, 0
	e := opts.Extent
	if e[0] < e[1] && e[2] < e[3] {
		p.Add(plotter.NewImage(img, e[0], e[2], e[1], e[3]))
		p.X.Min, p.X.Max = e[0], e[1]
		p.Y.Min, p.Y.Max = e[2], e[3]
	} else {
		// The image occupies x in [-0.5, w-0.5]; row y is drawn at height
		// h-1-y so that row 0 is at the top.
		p.Add(plotter.NewImage(img, -0.5, -0.5, float64(w)-0.5, float64(h)-0.5))
		p.X.Min, p.X.Max = -0.5, float64(w)-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(h)-0.5
		p.X.Tick.Marker = indexTicks{n: w}
		p.Y.Tick.Marker = indexTicks{n: h, flip: true}
	}
	p.Add(&colorBar{lo: lo, hi: hi, log: log})
	return p, nil
}

// indexTicks puts integer ticks on an axis of n cells; flip labels
// coordinate v with index n-1-v.
type indexTicks struct {
	n    int
	flip bool
}

// Ticks implements plot.Ticker.
func (t indexTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	if t.n < 2 {
		return []plot.Tick{{Value: 0, Label: "0"}}
	}
	for _, tk := range (plot.DefaultTicks{}).Ticks(0, float64(t.n-1)) {
		if tk.Label == "" || tk.Value != math.Trunc(tk.Value) || tk.Value < 0 || tk.Value > float64(t.n-1) {
			continue
		}
		pos := tk.Value
		if t.flip {
			pos = float64(t.n-1) - tk.Value
		}
		out = append(out, plot.Tick{Value: pos, Label: strconv.Itoa(int(tk.Value))})
	}
	if len(out) == 0 {
		out = append(out, plot.Tick{Value: 0, Label: "0"})
		if t.flip {
			out[0].Value = float64(t.n - 1)
		}
	}
	return out
}

// colorBar draws a vertical viridis scale to the right of the data area.
// Its glyph box makes the plot reserve room for it.
type colorBar struct {
	lo, hi float64 // colour range (log10 units when log)
	log    bool
}

const (
	cbGap   = 10 // points between data area and bar
	cbWidth = 14 // points
	cbTick  = 4  // points
)

// ticks returns tick positions in colour-scale units and their labels.
func (cb *colorBar) ticks() []plot.Tick {
	var raw []plot.Tick
	if cb.log {
		raw = logTicks{}.Ticks(math.Pow(10, cb.lo), math.Pow(10, cb.hi))
		for i := range raw {
			raw[i].Value = math.Log10(raw[i].Value)
		}
	} else {
		raw = plot.DefaultTicks{}.Ticks(cb.lo, cb.hi)
	}
	var out []plot.Tick
	eps := 1e-9 * (cb.hi - cb.lo)
	for _, t := range raw {
		if t.Label != "" && t.Value >= cb.lo-eps && t.Value <= cb.hi+eps {
			out = append(out, t)
		}
	}
	return out
}

// Plot implements plot.Plotter.
func (cb *colorBar) Plot(c draw.Canvas, plt *plot.Plot) {
	const n = 256
	bar := image.NewNRGBA(image.Rect(0, 0, 1, n))
	for i := 0; i < n; i++ {
		bar.SetNRGBA(0, n-1-i, Viridis((float64(i)+0.5)/n))
	}
	x0 := c.Max.X + vg.Points(cbGap)
	x1 := x0 + vg.Points(cbWidth)
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}, bar)
	ls := draw.LineStyle{Color: color.Black, Width: vg.Points(0.75)}
	c.StrokeLines(ls, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}, {X: x0, Y: c.Min.Y}})
	sty := plt.Y.Tick.Label
	sty.XAlign = draw.XLeft
	sty.YAlign = draw.YCenter
	for _, t := range cb.ticks() {
		y := c.Min.Y + vg.Length((t.Value-cb.lo)/(cb.hi-cb.lo))*(c.Max.Y-c.Min.Y)
		c.StrokeLine2(ls, x1, y, x1+vg.Points(cbTick), y)
		c.FillText(sty, vg.Point{X: x1 + vg.Points(cbTick+2), Y: y}, t.Label)
	}
}

// GlyphBoxes implements plot.GlyphBoxer, reserving the bar's width.
func (cb *colorBar) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	var lw vg.Length
	for _, t := range cb.ticks() {
		if w := plt.Y.Tick.Label.Width(t.Label); w > lw {
			lw = w
		}
	}
	width := vg.Points(cbGap+cbWidth+cbTick+2) + lw + vg.Points(2)
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: width}}}}
}
