package netinit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// WriteStats writes the mergeable statistics of a (shard of a) run into
// dir: stats.json (what was run) and stats.npy (float64, shape (8, L):
// sum hi, sum lo, sum-of-squares hi and lo per phase and offset; entries
// without data are NaN), and rows 5 to 8 the same for the row-centered
// estimates.
func WriteStats(dir string, cfg CheckConfig, s *Stats) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	aj, err := cfg.Arch.MarshalJSON()
	if err != nil {
		return err
	}
	shards := max(cfg.Options.Shards, 1)
	meta := statsMeta{Arch: aj, Size: s.Size, Seed: cfg.Options.Seed, FixedInput: cfg.Options.FixedInput,
		Period: s.Period, Margin: cfg.Options.Margin, Samples: cfg.Options.Samples, Shard: cfg.Options.Shard,
		Shards: shards, N: s.N, BN: string(cfg.BN), BNSamples: cfg.BNSamples, BNSeed: cfg.BNSeed, BNMaxFlops: cfg.BNMaxFlops, BNNEff: cfg.BNMeanFieldNEff}
	mj, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	L := len(s.SumHi)
	rows := s.rows()
	data := make([]float64, len(rows)*L)
	for i := 0; i < L; i++ {
		for k, r := range rows {
			if s.Valid[i] {
				data[k*L+i] = r[i]
			} else {
				data[k*L+i] = math.NaN()
			}
		}
	}
	if err := npy.WriteFloat64(filepath.Join(dir, "stats.npy"), []int{len(rows), L}, data); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "stats.json"), append(mj, '\n'), 0o644)
}

// ReadStats reads what WriteStats wrote.
func ReadStats(dir string) (CheckConfig, *Stats, error) {
	var cfg CheckConfig
	mj, err := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err != nil {
		return cfg, nil, fmt.Errorf("netinit: %s is not a check output (no stats.json): %w", dir, err)
	}
	var meta statsMeta
	if err := json.Unmarshal(mj, &meta); err != nil {
		return cfg, nil, fmt.Errorf("netinit: %s/stats.json: %v", dir, err)
	}
	a, err := arch.Decode(meta.Arch)
	if err != nil {
		return cfg, nil, fmt.Errorf("netinit: %s/stats.json: %w", dir, err)
	}
	shape, data, err := npy.ReadFloat64(filepath.Join(dir, "stats.npy"))
	if err != nil {
		return cfg, nil, err
	}
	if len(shape) != 2 || shape[0] != 8 {
		return cfg, nil, fmt.Errorf("netinit: %s/stats.npy has shape %v, want (8, L)", dir, shape)
	}
	L := shape[1]
	valid := make([]bool, L)
	for i := range valid {
		valid[i] = !math.IsNaN(data[i])
	}
	s, err := NewStats(meta.Period, meta.Size, valid)
	if err != nil {
		return cfg, nil, err
	}
	if len(s.SumHi) != L {
		return cfg, nil, fmt.Errorf("netinit: %s/stats.npy has %d entries, want %d", dir, L, len(s.SumHi))
	}
	for k, r := range s.rows() {
		for i := 0; i < L; i++ {
			if valid[i] {
				r[i] = data[k*L+i]
			}
		}
	}
	s.N = meta.N
	cfg = CheckConfig{Arch: a, Size: meta.Size, Options: Options{Samples: meta.Samples, Seed: meta.Seed,
		FixedInput: meta.FixedInput, Period: meta.Period, Margin: meta.Margin, Shard: meta.Shard, Shards: meta.Shards},
		BN: kernel.BNMode(meta.BN), BNSamples: meta.BNSamples, BNSeed: meta.BNSeed, BNMaxFlops: meta.BNMaxFlops, BNMeanFieldNEff: meta.BNNEff}
	return cfg, s, nil
}

// Merge combines the statistics written by the shards of one run (the same
// architecture, size, seed and shard count, different shard indices) and
// compares the result with the analytic kernel. With all shards present
// it equals the result of one unsharded run.
func Merge(ctx context.Context, dirs []string) (CheckConfig, CheckResult, error) {
	return MergeAs(ctx, dirs, nil)
}

// MergeAs is Merge with set, if not nil, applied to the run's
// configuration before the analytic kernel is computed: e.g. to compare
// the same networks with another batch-norm rule (set BN, BNSamples,
// BNSeed) without drawing them again.
func MergeAs(ctx context.Context, dirs []string, set func(*CheckConfig)) (CheckConfig, CheckResult, error) {
	if len(dirs) == 0 {
		return CheckConfig{}, CheckResult{}, fmt.Errorf("netinit: nothing to merge; give the output folders of the shards")
	}
	cfg, total, err := ReadStats(dirs[0])
	if err != nil {
		return cfg, CheckResult{}, err
	}
	seen := map[int]string{cfg.Options.Shard: dirs[0]}
	for _, d := range dirs[1:] {
		c, s, err := ReadStats(d)
		if err != nil {
			return cfg, CheckResult{}, err
		}
		aj1, _ := cfg.Arch.MarshalJSON()
		aj2, _ := c.Arch.MarshalJSON()
		if !bytes.Equal(aj1, aj2) || !slices.Equal(c.Size, cfg.Size) || c.Options.Seed != cfg.Options.Seed ||
			c.Options.Shards != cfg.Options.Shards || c.Options.FixedInput != cfg.Options.FixedInput || c.Options.Samples != cfg.Options.Samples {
			return cfg, CheckResult{}, fmt.Errorf("netinit: %s and %s are not shards of the same run (architecture, size, seed, samples and shard count must agree)", dirs[0], d)
		}
		if prev, dup := seen[c.Options.Shard]; dup {
			return cfg, CheckResult{}, fmt.Errorf("netinit: %s and %s are the same shard %d/%d", prev, d, c.Options.Shard, c.Options.Shards)
		}
		seen[c.Options.Shard] = d
		if err := total.Merge(s); err != nil {
			return cfg, CheckResult{}, err
		}
	}
	complete := len(seen) == cfg.Options.Shards && total.N == cfg.Options.Samples
	cfg.Options.Shard, cfg.Options.Shards = 0, 1
	r := CheckResult{Arch: cfg.Arch.String(), Size: cfg.Size, Width: Width(cfg.Arch), Seed: cfg.Options.Seed,
		FixedInput: cfg.Options.FixedInput, Period: total.Period, Margin: cfg.Options.Margin}
	r.Region = "the whole periodic grid"
	if r.Margin > 0 {
		r.Region = fmt.Sprintf("interior: %d pixels from every border left out", r.Margin)
	}
	if set != nil {
		set(&cfg)
	}
	nngp, _, rep, err := kernel.ComputeReport(ctx, cfg.Arch, cfg.Size, kernel.Options{BN: cfg.BN, Samples: cfg.BNSamples, Seed: cfg.BNSeed, BNMaxFlops: cfg.BNMaxFlops, BNMeanFieldNEff: cfg.BNMeanFieldNEff})
	if err != nil {
		return cfg, r, err
	}
	r.Analytic = nngp
	r.BN, r.BNSegments = string(cfg.BN), rep.BN
	if r.BN == "" {
		r.BN = string(kernel.BNExact)
	}
	if err := r.finish(total); err != nil {
		return cfg, r, err
	}
	r.Complete = complete
	return cfg, r, nil
}

// WriteCheck writes a check's outputs into dir: analytic.npy,
// empirical.npy, stderr.npy (kernel maps, shape (P,P,H,W) or (P,N)),
// compare.csv (one row per phase and offset with data), summary.json,
// stats.json + stats.npy (mergeable), and the figures profile.png/.svg
// (analytic against empirical profiles with ±2 SE bands) and maps.png/.svg
// (the two maps side by side).
func WriteCheck(dir string, cfg CheckConfig, r CheckResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, m := range map[string]kernel.Map{"analytic.npy": r.Analytic, "empirical.npy": r.Empirical, "stderr.npy": r.Stderr} {
		if err := npy.WriteFloat64(filepath.Join(dir, name), m.Shape(), m.Data); err != nil {
			return err
		}
	}
	if r.Stats != nil {
		if err := WriteStats(dir, cfg, r.Stats); err != nil {
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

func writeCompareCSV(path string, r CheckResult) error {
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

func writeCheckFigures(dir string, r CheckResult) error {
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
		series := []plotting.Series{{Name: "analytic (infinite width)", X: xa, Y: ya}}
		if len(xs) > 0 {
			series = append(series, plotting.Series{Name: fmt.Sprintf("empirical, %d nets (±2 SE)", r.Samples), X: xs, Y: ys, Lo: lo, Hi: hi, Dashed: true})
		}
		label := "offset " + axes[ax] + " (pixels)"
		if naxes == 1 {
			label = "offset d (samples)"
		}
		p, err := plotting.Lines(fmt.Sprintf("%s, width %d: K(x, x+%s)/var, phase 0", r.Arch, r.Width, axes[ax]), label, "normalized kernel", series, plotting.Options{})
		if err != nil {
			return err
		}
		row = append(row, p)
	}
	plots = append(plots, row)
	if err := plotting.SaveGrid(filepath.Join(dir, "profile"), plots, vg.Length(7*naxes)*vg.Inch, 5*vg.Inch); err != nil {
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
