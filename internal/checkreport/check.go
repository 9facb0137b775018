package checkreport

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
	"github.com/dipgp/dipgp/netinit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// WriteCheck writes a check's outputs into dir: analytic.npy,
// empirical.npy, stderr.npy (kernel maps, shape (P,P,H,W) or (P,N)),
// compare.csv (one row per phase and offset with data), summary.json,
// stats.json + stats.npy (mergeable), and the figures profile.png/.svg
// (analytic against empirical profiles with ±2 SE bands) and maps.png/.svg
// (the two maps side by side).
func WriteCheck(dir string, cfg netinit.CheckConfig, r netinit.CheckResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, m := range map[string]kernel.Map{"analytic.npy": r.Analytic, "empirical.npy": r.Empirical, "stderr.npy": r.Stderr} {
		if err := npy.WriteFloat64(filepath.Join(dir, name), m.Shape(), m.Data); err != nil {
			return err
		}
	}
	if r.Stats != nil {
		if err := netinit.WriteStats(dir, cfg, r.Stats); err != nil {
			return err
		}
	}
	if err := writeCompareCSV(filepath.Join(dir, "compare.csv"), r); err != nil {
		return err
	}
	sj, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "summary.json"), append(sj, '\n'), 0o644); err != nil {
		return err
	}
	return writeCheckFigures(dir, r)
}

func writeCompareCSV(path string, r netinit.CheckResult) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	m := r.Empirical
	a, err := r.Analytic.WithPeriod(m.Period)
	if err != nil {
		f.Abort()
		return err
	}
	v := a.MeanVariance()
	header := []string{"phase", "dx", "analytic", "empirical", "stderr", "z", "rel_error"}
	if m.Dims() == 2 {
		header = []string{"phase_y", "phase_x", "dy", "dx", "analytic", "empirical", "stderr", "z", "rel_error"}
	}
	w.Write(header)
	n := m.Points()
	ff := func(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
	for p := 0; p < m.Phases(); p++ {
		for d := 0; d < n; d++ {
			i := p*n + d
			e := m.Data[i]
			if math.IsNaN(e) {
				continue
			}
			z := (e - a.Data[i]) / r.Stderr.Data[i]
			vals := []string{ff(a.Data[i]), ff(e), ff(r.Stderr.Data[i]), ff(z), ff((e - a.Data[i]) / v)}
			var row []string
			if m.Dims() == 2 {
				row = []string{strconv.Itoa(p / m.Period), strconv.Itoa(p % m.Period), strconv.Itoa(signed(d/m.Size[1], m.Size[0])), strconv.Itoa(signed(d%m.Size[1], m.Size[1]))}
			} else {
				row = []string{strconv.Itoa(p), strconv.Itoa(signed(d, n))}
			}
			w.Write(append(row, vals...))
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}

// signed maps an offset index in [0, n) to (-n/2, n/2].
func signed(d, n int) int {
	if d > n/2 {
		return d - n
	}
	return d
}

// profile returns phase-0 values along the last axis (dy = 0), for offsets
// -n/2..n/2, normalized by v, with x positions.
func profile(m kernel.Map, v float64, axis int) (x, y []float64) {
	n := m.Size[len(m.Size)-1-axis]
	for k := -n / 2; k <= n/2; k++ {
		d := (k + n) % n
		var idx int
		switch {
		case m.Dims() == 1:
			idx = d
		case axis == 0:
			idx = d
		default:
			idx = d * m.Size[1]
		}
		x = append(x, float64(k))
		y = append(y, m.Data[idx]/v)
	}
	return
}

func writeCheckFigures(dir string, r netinit.CheckResult) error {
	a, err := r.Analytic.WithPeriod(r.Empirical.Period)
	if err != nil {
		return err
	}
	v := a.MeanVariance()
	var plots [][]*plot.Plot
	axes := []string{"dx", "dy"}
	naxes := r.Empirical.Dims()
	var row []*plot.Plot
	for ax := 0; ax < naxes; ax++ {
		xa, ya := profile(a, v, ax)
		xe, ye := profile(r.Empirical, v, ax)
		_, se := profile(r.Stderr, v, ax)
		var xs, ys, lo, hi []float64
		for i := range xe {
			if isFinite(ye[i]) && isFinite(se[i]) {
				xs, ys = append(xs, xe[i]), append(ys, ye[i])
				lo, hi = append(lo, ye[i]-2*se[i]), append(hi, ye[i]+2*se[i])
			}
		}
		series := []plotting.Series{{Name: "analytic (infinite width)", X: xa, Y: ya, Dashed: true}}
		if len(xs) > 0 {
			series = append(series, plotting.Series{Name: fmt.Sprintf("empirical, %d nets\n(band ±2 SE)", r.Samples), X: xs, Y: ys, Lo: lo, Hi: hi})
		}
		if ax < naxes-1 { // one legend, beside the last panel
			for i := range series {
				series[i].Name = ""
			}
		}
		label := "offset " + axes[ax] + " (pixels)"
		if naxes == 1 {
			label = "offset d (samples)"
		}
		title := fmt.Sprintf("%s, width %d: K(x, x+%s) / var", ShortArch(r.Arch), r.Width, axes[ax])
		if naxes == 1 {
			title = fmt.Sprintf("%s, width %d: K(x, x+d) / var", ShortArch(r.Arch), r.Width)
		}
		p, err := plotting.Lines(title, label, "normalized kernel (phase 0)", series, plotting.Options{LegendOutside: ax == naxes-1})
		if err != nil {
			return err
		}
		row = append(row, p)
	}
	plots = append(plots, row)
	if err := plotting.SaveGrid(filepath.Join(dir, "profile"), plots, vg.Length(6*naxes+2)*vg.Inch, 4.5*vg.Inch); err != nil {
		return err
	}
	if r.Empirical.Dims() != 2 {
		return nil
	}
	h, w := r.Empirical.Size[0], r.Empirical.Size[1]
	shift := func(m kernel.Map) []float64 {
		out := make([]float64, h*w)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				val := m.Data[((y+h/2)%h)*w+(x+w/2)%w] / v
				if !isFinite(val) {
					val = 0
				}
				out[y*w+x] = val
			}
		}
		return out
	}
	left, err := plotting.Heatmap("analytic, phase 0 (d = 0 at centre)", "offset dx + W/2 (pixels)", "offset dy + H/2 (pixels)", w, h, shift(a), false)
	if err != nil {
		return err
	}
	right, err := plotting.Heatmap(fmt.Sprintf("empirical, %d nets", r.Samples), "offset dx + W/2 (pixels)", "offset dy + H/2 (pixels)", w, h, shift(r.Empirical), false)
	if err != nil {
		return err
	}
	return plotting.SideBySide(filepath.Join(dir, "maps"), left, right, 12*vg.Inch, 5*vg.Inch)
}

// ShortArch is an architecture's name short enough for a figure title:
// the preset or file name without its key=value settings (the full string
// is in summary.json).
func ShortArch(arch string) string {
	if i := strings.IndexByte(arch, ':'); i > 0 {
		arch = arch[:i]
	}
	if len(arch) > 32 {
		arch = arch[:29] + "..."
	}
	return arch
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
