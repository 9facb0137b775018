package netinit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/kernel"
)

// WriteStats writes the mergeable statistics of a (shard of a) run into
// dir: stats.json (what was run) and stats.npy (float64, shape (8, L):
// sum hi, sum lo, sum-of-squares hi and lo per phase and offset; entries
// without data are NaN), and rows 5 to 8 the same for the row-centered
// estimates), and features.npy (the sums the agreement test needs).
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
	if err := writeFeatures(filepath.Join(dir, "features.npy"), s.Feat); err != nil {
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
	if err := readFeatures(filepath.Join(dir, "features.npy"), s.Feat, s.N); err != nil {
		return cfg, nil, fmt.Errorf("netinit: %s: %w", dir, err)
	}
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

// shardMismatch returns the first setting in which two shards' runs
// differ, with the two values, or differ false when they could be shards
// of one run. The batch-norm settings of the analytic kernel are not
// compared: they do not change the networks drawn, and the first shard's
// (or MergeAs's) apply.
func shardMismatch(a, b CheckConfig, sa, sb *Stats) (field, va, vb string, differ bool) {
	aj, _ := a.Arch.MarshalJSON()
	bj, _ := b.Arch.MarshalJSON()
	checks := []struct {
		field  string
		va, vb any
		same   bool
	}{
		{"architecture", a.Arch.String(), b.Arch.String(), bytes.Equal(aj, bj)},
		{"size", a.Size, b.Size, slices.Equal(a.Size, b.Size)},
		{"seed", a.Options.Seed, b.Options.Seed, a.Options.Seed == b.Options.Seed},
		{"samples (networks in the whole run)", a.Options.Samples, b.Options.Samples, a.Options.Samples == b.Options.Samples},
		{"shard count", a.Options.Shards, b.Options.Shards, a.Options.Shards == b.Options.Shards},
		{"fixed input", a.Options.FixedInput, b.Options.FixedInput, a.Options.FixedInput == b.Options.FixedInput},
		{"margin", a.Options.Margin, b.Options.Margin, a.Options.Margin == b.Options.Margin},
		{"kernel period", sa.Period, sb.Period, sa.Period == sb.Period},
		{"estimated region (offsets with data)", countTrue(sa.Valid), countTrue(sb.Valid), slices.Equal(sa.Valid, sb.Valid)},
	}
	for _, c := range checks {
		if !c.same {
			return c.field, fmt.Sprint(c.va), fmt.Sprint(c.vb), true
		}
	}
	return "", "", "", false
}

// countTrue returns how many entries of v are true.
func countTrue(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
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
		if field, v1, v2, differ := shardMismatch(cfg, c, total, s); differ {
			return cfg, CheckResult{}, fmt.Errorf("netinit: %s and %s are not shards of the same run: %s differs (%s against %s); merge only the outputs of one 'dipgp check --shard i/n' run", dirs[0], d, field, v1, v2)
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
