package plotting

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/dipgp/dipgp/internal/atomicfile"
)

// DPI is the resolution of PNG output.
const DPI = 150

// Save writes p as base.png (DPI dots per inch) and base.svg, each of size
// wIn × hIn (for example 6*vg.Inch × 4*vg.Inch), atomically. A ".png" or
// ".svg" extension on base is removed first. Drawing failures inside gonum
// plot are returned as errors.
func Save(p *plot.Plot, base string, wIn, hIn vg.Length) error {
	if p == nil {
		return errors.New("plotting: Save got a nil plot")
	}
	return render(base, wIn, hIn, p.Draw)
}

// SaveGrid writes the plots tiled in rows and columns (plots[row][col];
// nil entries leave a blank tile) as base.png and base.svg of total size
// wIn × hIn. Data areas are aligned across tiles.
func SaveGrid(base string, plots [][]*plot.Plot, wIn, hIn vg.Length) error {
	if len(plots) == 0 || len(plots[0]) == 0 {
		return errors.New("plotting: SaveGrid needs at least one row and one column")
	}
	cols := len(plots[0])
	for i, r := range plots {
		if len(r) != cols {
			return fmt.Errorf("plotting: SaveGrid row %d has %d plots but row 0 has %d; rows must have equal length", i, len(r), cols)
		}
	}
	t := draw.Tiles{
		Rows: len(plots), Cols: cols,
		PadX: vg.Points(12), PadY: vg.Points(12),
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4),
	}
	return render(base, wIn, hIn, func(dc draw.Canvas) {
		dc.SetColor(colorWhite)
		dc.Fill(dc.Rectangle.Path())
		cs := plot.Align(plots, t, dc)
		for j, r := range plots {
			for i, p := range r {
				if p != nil {
					p.Draw(cs[j][i])
				}
			}
		}
	})
}

// SideBySide writes two plots next to each other (for example a target
// and a reconstruction heat map) as base.png and base.svg.
func SideBySide(base string, left, right *plot.Plot, wIn, hIn vg.Length) error {
	return SaveGrid(base, [][]*plot.Plot{{left, right}}, wIn, hIn)
}

// render draws with fn onto PNG and SVG canvases and writes both files.
func render(base string, w, h vg.Length, fn func(draw.Canvas)) (err error) {
	if !(w > 0 && h > 0) || w > 100*vg.Inch || h > 100*vg.Inch {
		return fmt.Errorf("plotting: figure size %v x %v; use positive sizes up to 100 inches, e.g. 6*vg.Inch", w, h)
	}
	if base == "" {
		return errors.New("plotting: empty output name; pass a base path such as out/figure")
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".png", ".svg":
		base = base[:len(base)-4]
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plotting: drawing %s failed: %v", base, r)
		}
	}()
	png := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	fn(draw.New(png))
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: png}).WriteTo(&pb); err != nil {
		return fmt.Errorf("plotting: encoding %s.png: %w", base, err)
	}
	svg := vgsvg.New(w, h)
	fn(draw.New(svg))
	var sb bytes.Buffer
	if _, err := svg.WriteTo(&sb); err != nil {
		return fmt.Errorf("plotting: encoding %s.svg: %w", base, err)
	}
	if err := atomicfile.WriteFile(base+".png", pb.Bytes(), 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(base+".svg", sb.Bytes(), 0o644)
}
