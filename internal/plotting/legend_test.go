package plotting

import (
	"strconv"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// TestLegendOutside draws into a recording canvas and checks that every
// stroke (curves, grid, axes) lies left of the legend's text.
func TestLegendOutside(t *testing.T) {
	x, y := ramp(20, func(v float64) float64 { return v * v })
	for _, outside := range []bool{false, true} {
		p, err := Lines("t", "x", "y", []Series{{Name: "curve A", X: x, Y: y}, {Name: "curve B", X: x, Y: x, Dashed: true}}, Options{LegendOutside: outside})
		if err != nil {
			t.Fatal(err)
		}
		var rc recorder.Canvas
		p.Draw(draw.NewCanvas(&rc, 6*vg.Inch, 4*vg.Inch))
		var strokeMax, textMin vg.Length = -1, 1e9
		found := 0
		for _, a := range rc.Actions {
			switch a := a.(type) {
			case *recorder.Stroke:
				for _, c := range a.Path {
					if c.Type != vg.CloseComp && c.Pos.X > strokeMax {
						strokeMax = c.Pos.X
					}
				}
			case *recorder.FillString:
				if a.String == "curve A" || a.String == "curve B" {
					found++
					textMin = min(textMin, a.Point.X)
				}
			}
		}
		if found != 2 {
			t.Fatalf("outside=%v: %d legend labels drawn, want 2", outside, found)
		}
		if outside != (textMin > strokeMax) {
			t.Errorf("outside=%v: legend text starts at %v, strokes reach %v", outside, textMin, strokeMax)
		}
		if outside && textMin > 6*vg.Inch {
			t.Errorf("legend text at %v is off the 6 inch canvas", textMin)
		}
	}
}

// TestDistinctTicks checks that a narrow range around 1 gets labels that
// differ and parse back close to their tick values.
func TestDistinctTicks(t *testing.T) {
	for _, r := range [][2]float64{{1 - 3e-7, 1 + 3e-7}, {0, 10}, {-2e-9, 5e-9}, {1234.5, 1234.6}} {
		var labels []string
		for _, tk := range (distinctTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			v, err := strconv.ParseFloat(tk.Label, 64)
			if err != nil {
				t.Fatalf("range %v: label %q does not parse: %v", r, tk.Label, err)
			}
			if d := v - tk.Value; d > (r[1]-r[0])/20 || -d > (r[1]-r[0])/20 {
				t.Errorf("range %v: label %q for tick %v", r, tk.Label, tk.Value)
			}
			for _, l := range labels {
				if l == tk.Label {
					t.Errorf("range %v: label %q repeats", r, l)
				}
			}
			labels = append(labels, tk.Label)
		}
		if len(labels) < 2 {
			t.Errorf("range %v: %d labelled ticks", r, len(labels))
		}
	}
}

// TestSeriesColor checks that Color picks the palette entry.
func TestSeriesColor(t *testing.T) {
	x, y := ramp(5, func(v float64) float64 { return v })
	p, err := Lines("t", "x", "y", []Series{{Name: "a", X: x, Y: y, Color: 3}, {Name: "b", X: x, Y: y}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rc recorder.Canvas
	p.Draw(draw.NewCanvas(&rc, 4*vg.Inch, 3*vg.Inch))
	seen := map[[3]uint8]bool{}
	for _, a := range rc.Actions {
		if c, ok := a.(*recorder.SetColor); ok && c.Color != nil {
			r, g, b, _ := c.Color.RGBA()
			seen[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}] = true
		}
	}
	for _, want := range []int{2, 1} { // Palette[2] from Color 3, Palette[1] for the second series
		c := Palette[want]
		if !seen[[3]uint8{c.R, c.G, c.B}] {
			t.Errorf("colour Palette[%d] not used", want)
		}
	}
	if c := Palette[0]; seen[[3]uint8{c.R, c.G, c.B}] {
		t.Error("Palette[0] used although the first series asked for Color 3")
	}
}

// TestDistinctTicksPlain checks ordinary ranges keep plain labels.
func TestDistinctTicksPlain(t *testing.T) {
	got := map[string]bool{}
	for _, tk := range (distinctTicks{}).Ticks(-0.3, 2000) {
		got[tk.Label] = true
	}
	for _, w := range []string{"0", "1000", "2000"} {
		if !got[w] {
			t.Errorf("ticks on [-0.3, 2000] lack label %q: %v", w, got)
		}
	}
}
