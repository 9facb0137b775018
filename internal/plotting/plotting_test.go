package plotting

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s does not decode as PNG: %v", path, err)
	}
	return m
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 200 || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("</svg>")) {
		t.Errorf("%s is not a complete SVG (%d bytes)", path, len(b))
	}
}

func ramp(n int, f func(float64) float64) (x, y []float64) {
	for i := 0; i < n; i++ {
		v := float64(i) / float64(n-1)
		x = append(x, v)
		y = append(y, f(v))
	}
	return x, y
}

func TestLinesSave(t *testing.T) {
	dir := t.TempDir()
	x, y := ramp(50, func(v float64) float64 { return math.Exp(-3 * v) })
	lo, hi := make([]float64, len(y)), make([]float64, len(y))
	for i := range y {
		lo[i], hi[i] = 0.9*y[i], 1.1*y[i]
	}
	_, y2 := ramp(50, func(v float64) float64 { return 1 - v })
	p, err := Lines("Decay", "time (s)", "amplitude (a.u.)", []Series{
		{Name: "exp", X: x, Y: y, Lo: lo, Hi: hi},
		{Name: "linear", X: x, Y: y2, Dashed: true},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "lines")
	if err := Save(p, base+".png", 6*vg.Inch, 4*vg.Inch); err != nil {
		t.Fatal(err)
	}
	m := decodePNG(t, base+".png")
	if b := m.Bounds(); b.Dx() != 6*DPI || b.Dy() != 4*DPI {
		t.Errorf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), 6*DPI, 4*DPI)
	}
	checkSVG(t, base+".svg")
	// The first series colour must appear in the image.
	if countColor(m, Palette[0], 0, 1) == 0 || countColor(m, Palette[1], 0, 1) == 0 {
		t.Error("series colours not found in the PNG")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("expected exactly 2 files, got %d", len(entries))
	}
}

// countColor counts pixels equal to c (within tol per channel) with x in
// [fx0, fx1) as a fraction of the width.
func countColor(m image.Image, c color.NRGBA, fx0, fx1 float64) int {
	b := m.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + int(fx0*float64(b.Dx())); x < b.Min.X+int(fx1*float64(b.Dx())); x++ {
			p := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
			if p == c {
				n++
			}
		}
	}
	return n
}

func TestLinesErrors(t *testing.T) {
	x, y := ramp(5, func(v float64) float64 { return v })
	bad := append([]float64(nil), y...)
	bad[2] = math.NaN()
	cases := map[string][]Series{
		"NaN":        {{Name: "a", X: x, Y: bad}},
		"Inf":        {{Name: "a", X: x, Y: []float64{1, 2, math.Inf(1), 4, 5}}},
		"length":     {{Name: "a", X: x, Y: y[:4]}},
		"band len":   {{Name: "a", X: x, Y: y, Lo: y}},
		"band NaN":   {{Name: "a", X: x, Y: y, Lo: y, Hi: bad}},
		"no series":  nil,
		"all empty":  {{Name: "a"}},
		"second bad": {{Name: "ok", X: x, Y: y}, {Name: "b", X: x, Y: bad}},
	}
	for name, s := range cases {
		if p, err := Lines("t", "x", "y", s, Options{}); err == nil {
			t.Errorf("%s: want error, got plot %v", name, p != nil)
		}
	}
	_, err := Lines("t", "x", "y", []Series{{Name: "a", X: x, Y: bad}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN error should mention NaN: %v", err)
	}
}

func TestLinesLogDropsNonPositive(t *testing.T) {
	dir := t.TempDir()
	x := []float64{0, 0.5, 1, 2, 4}
	y := []float64{1, 0, -1, 0.1, 0.01}
	p, err := Lines("log", "x (px)", "y (a.u.)", []Series{{Name: "s", X: x, Y: y, Lo: y, Hi: y}}, Options{LogX: true, LogY: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, filepath.Join(dir, "log"), 5*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatalf("drawing log plot with dropped points: %v", err)
	}
	decodePNG(t, filepath.Join(dir, "log.png"))
	// Only x=2 and x=4 survive; the axis range must be positive.
	if p.X.Min <= 0 || p.Y.Min <= 0 {
		t.Errorf("log axis range includes non-positive values: x %v y %v", p.X.Min, p.Y.Min)
	}
	if _, err := Lines("log", "x", "y", []Series{{Name: "s", X: []float64{1, 2}, Y: []float64{0, -1}}}, Options{LogY: true}); err == nil {
		t.Error("all points non-positive on log axis: want error")
	}
}

func TestLogTicks(t *testing.T) {
	ticks := logTicks{}.Ticks(1e-3, 10)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
		if tk.Value < 1e-3*(1-1e-9) || tk.Value > 10*(1+1e-9) {
			t.Errorf("tick %v outside range", tk.Value)
		}
	}
	if strings.Join(labels, " ") != "0.001 0.01 0.1 1 10" {
		t.Errorf("labels %v", labels)
	}
	// Less than a decade: ordinary ticks, more than one label.
	n := 0
	for _, tk := range (logTicks{}).Ticks(2, 5) {
		if tk.Label != "" {
			n++
		}
	}
	if n < 2 {
		t.Errorf("narrow log range has %d labelled ticks", n)
	}
}

func TestIndexTicks(t *testing.T) {
	ticks := indexTicks{n: 16, flip: true}.Ticks(-0.5, 15.5)
	found := false
	for _, tk := range ticks {
		if tk.Label == "0" {
			found = true
			if tk.Value != 15 {
				t.Errorf("row 0 tick at %v, want 15 (top)", tk.Value)
			}
		}
	}
	if !found {
		t.Error("no tick labelled 0")
	}
	if tk := (indexTicks{n: 1}).Ticks(-0.5, 0.5); len(tk) != 1 || tk[0].Label != "0" {
		t.Errorf("1-cell ticks %v", tk)
	}
}

func TestHeatmapOrientationAndColours(t *testing.T) {
	dir := t.TempDir()
	// Row 0: [min, max]; row 1: [mid, mid].
	p, err := Heatmap("orientation", "x (px)", "y (px)", 2, 2, []float64{0, 1, 0.5, 0.5}, false)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "hm")
	if err := Save(p, base, 5*vg.Inch, 4*vg.Inch); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, base+".svg")
	m := decodePNG(t, base+".png")
	// Expected colours (viridis endpoints and midpoint), searched only in
	// the left 75% of the figure to exclude the colour bar.
	dark := color.NRGBA{0x44, 0x01, 0x54, 0xff}
	bright := color.NRGBA{0xfd, 0xe7, 0x25, 0xff}
	mid := Viridis(0.5)
	bd, bb, bm := bbox(m, dark, 0.75), bbox(m, bright, 0.75), bbox(m, mid, 0.75)
	if bd.Empty() || bb.Empty() || bm.Empty() {
		t.Fatalf("colours not found: dark %v bright %v mid %v", bd, bb, bm)
	}
	// dark is top-left, bright top-right, mid spans the bottom row.
	if !(bd.Max.X <= bb.Min.X+2) {
		t.Errorf("dark cell %v should be left of bright cell %v", bd, bb)
	}
	if abs(bd.Min.Y-bb.Min.Y) > 2 {
		t.Errorf("dark %v and bright %v should share a row", bd, bb)
	}
	if !(bm.Min.Y >= bd.Max.Y-2) {
		t.Errorf("mid row %v should be below the top row %v (row 0 at top)", bm, bd)
	}
	if bm.Dx() < bd.Dx()+bb.Dx()-4 {
		t.Errorf("mid row %v should span both columns", bm)
	}
	// The colour bar must be drawn on the right: viridis-like colours
	// exist in the right 25%.
	if countNear(m, Viridis(0.25), 0.75, 1, 6) == 0 {
		t.Error("no colour bar found on the right")
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func bbox(m image.Image, c color.NRGBA, fx float64) image.Rectangle {
	b := m.Bounds()
	r := image.Rectangle{}
	first := true
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Min.X+int(fx*float64(b.Dx())); x++ {
			if color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA) == c {
				pt := image.Rect(x, y, x+1, y+1)
				if first {
					r, first = pt, false
				} else {
					r = r.Union(pt)
				}
			}
		}
	}
	return r
}

func countNear(m image.Image, c color.NRGBA, fx0, fx1 float64, tol int) int {
	b := m.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + int(fx0*float64(b.Dx())); x < b.Min.X+int(fx1*float64(b.Dx())); x++ {
			p := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
			if abs(int(p.R)-int(c.R)) <= tol && abs(int(p.G)-int(c.G)) <= tol && abs(int(p.B)-int(c.B)) <= tol {
				n++
			}
		}
	}
	return n
}

func TestHeatmapErrorsAndEdgeCases(t *testing.T) {
	if _, err := Heatmap("t", "x", "y", 2, 2, []float64{1, 2, 3}, false); err == nil {
		t.Error("length mismatch: want error")
	}
	if _, err := Heatmap("t", "x", "y", 0, 2, nil, false); err == nil {
		t.Error("zero width: want error")
	}
	if _, err := Heatmap("t", "x", "y", 2, 1, []float64{1, math.NaN()}, false); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN: %v", err)
	}
	if _, err := Heatmap("t", "x", "y", 2, 1, []float64{0, -1}, true); err == nil {
		t.Error("log with no positive value: want error")
	}
	dir := t.TempDir()
	// Constant data, a single cell, and log with zeros must all draw.
	for name, c := range map[string]struct {
		w, h int
		d    []float64
		log  bool
	}{
		"const":  {3, 2, []float64{2, 2, 2, 2, 2, 2}, false},
		"single": {1, 1, []float64{5}, true},
		"zeros":  {2, 2, []float64{0, 1e-3, 1, 1e3}, true},
		"big":    {600, 10, make([]float64, 6000), false},
	} {
		p, err := Heatmap(name, "x", "y", c.w, c.h, c.d, c.log)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := Save(p, filepath.Join(dir, name), 4*vg.Inch, 3*vg.Inch); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		decodePNG(t, filepath.Join(dir, name+".png"))
	}
}

func TestSaveGridAndErrors(t *testing.T) {
	dir := t.TempDir()
	a, _ := Heatmap("a", "x", "y", 4, 4, make([]float64, 16), false)
	x, y := ramp(10, math.Sqrt)
	b, _ := Lines("b", "x", "y", []Series{{Name: "sqrt", X: x, Y: y}}, Options{Markers: true})
	if err := SideBySide(filepath.Join(dir, "pair"), a, b, 8*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	m := decodePNG(t, filepath.Join(dir, "pair.png"))
	if m.Bounds().Dx() != 8*DPI {
		t.Errorf("width %d", m.Bounds().Dx())
	}
	checkSVG(t, filepath.Join(dir, "pair.svg"))
	if err := SaveGrid(filepath.Join(dir, "grid"), [][]*plot.Plot{{a, nil}, {nil, b}}, 6*vg.Inch, 6*vg.Inch); err != nil {
		t.Fatal(err)
	}
	if err := SaveGrid(filepath.Join(dir, "bad"), [][]*plot.Plot{{a, b}, {a}}, 6*vg.Inch, 6*vg.Inch); err == nil {
		t.Error("ragged grid: want error")
	}
	if err := Save(nil, filepath.Join(dir, "nil"), vg.Inch, vg.Inch); err == nil {
		t.Error("nil plot: want error")
	}
	if err := Save(b, filepath.Join(dir, "missing", "x"), 4*vg.Inch, 3*vg.Inch); err == nil {
		t.Error("missing directory: want error")
	}
	if err := Save(b, filepath.Join(dir, "zero"), 0, 3*vg.Inch); err == nil {
		t.Error("zero width: want error")
	}
}

func TestViridis(t *testing.T) {
	if Viridis(0) != (color.NRGBA{0x44, 0x01, 0x54, 0xff}) || Viridis(1) != (color.NRGBA{0xfd, 0xe7, 0x25, 0xff}) {
		t.Errorf("endpoints %v %v", Viridis(0), Viridis(1))
	}
	if Viridis(-1) != Viridis(0) || Viridis(2) != Viridis(1) || Viridis(math.NaN()) != Viridis(0) {
		t.Error("clamping")
	}
	// Luminance (approx.) increases monotonically, as for the real map.
	prev := -1.0
	for i := 0; i <= 100; i++ {
		c := Viridis(float64(i) / 100)
		l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
		if l < prev-0.5 {
			t.Fatalf("luminance decreases at %d", i)
		}
		prev = l
	}
}

func TestHeatmapWith(t *testing.T) {
	dir := t.TempDir()
	// Fixed colour range: constant 0.5 in [0, 1] must be the middle colour.
	p, err := HeatmapWith("fixed", "x", "y", 3, 3, []float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, HeatmapOptions{VMin: 0, VMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, filepath.Join(dir, "fixed"), 4*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	m := decodePNG(t, filepath.Join(dir, "fixed.png"))
	if bbox(m, Viridis(0.5), 0.75).Dx() < 100 {
		t.Error("constant data with fixed range not drawn in the middle colour")
	}
	// Log with fixed range: 10 in [1, 100] is the middle colour too.
	p, err = HeatmapWith("logfixed", "x", "y", 2, 1, []float64{10, 10}, HeatmapOptions{Log: true, VMin: 1, VMax: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, filepath.Join(dir, "logfixed"), 4*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	if bbox(decodePNG(t, filepath.Join(dir, "logfixed.png")), Viridis(0.5), 0.75).Empty() {
		t.Error("log fixed range: middle colour missing")
	}
	// Extent sets the axis ranges.
	p, err = HeatmapWith("spectrum", "fx (cycles/pixel)", "fy (cycles/pixel)", 4, 4, make([]float64, 16),
		HeatmapOptions{Extent: [4]float64{-0.5, 0.5, -0.5, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min != -0.5 || p.X.Max != 0.5 || p.Y.Min != -0.5 || p.Y.Max != 0.5 {
		t.Errorf("axis ranges %v %v %v %v", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if err := Save(p, filepath.Join(dir, "extent"), 4*vg.Inch, 3*vg.Inch); err != nil {
		t.Fatal(err)
	}
	if _, err := HeatmapWith("t", "x", "y", 1, 1, []float64{1}, HeatmapOptions{Log: true, VMin: -1, VMax: 1}); err == nil {
		t.Error("log with non-positive VMin: want error")
	}
	if _, err := HeatmapWith("t", "x", "y", 1, 1, []float64{1}, HeatmapOptions{VMax: math.NaN()}); err == nil {
		t.Error("NaN option: want error")
	}
}

func TestShortNumber(t *testing.T) {
	for v, want := range map[float64]string{9.999999999999999e-05: "1e-04", 25: "25", 75.00000001: "75", 0.5: "0.5", 125: "125", 1e6: "1e+06", 0: "0", 0.001: "0.001"} {
		if got := ShortNumber(v); got != want {
			t.Errorf("ShortNumber(%v) = %q, want %q", v, got, want)
		}
	}
	ticks := logTicks{}.Ticks(1e-5, 1)
	for _, tk := range ticks {
		if len(tk.Label) > 6 {
			t.Errorf("long tick label %q", tk.Label)
		}
	}
}
