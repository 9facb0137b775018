package experiments

import (
	"context"
	"strings"
	"testing"
)

// TestShardMergeEqualsUnsharded runs a tiny Monte Carlo experiment whole,
// then in two shards merged, and compares every headline number.
func TestShardMergeEqualsUnsharded(t *testing.T) {
	x, err := Lookup("cheng-mc-1d")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	whole, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		if _, err := x.Run(ctx, Config{Out: dir, Mode: Tiny, Seed: 3, Shard: i, Shards: 2}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, dir)
	}
	merged, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 3, MergeFrom: shards})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Numbers) != len(whole.Numbers) {
		t.Fatalf("merged run has %d numbers, unsharded %d", len(merged.Numbers), len(whole.Numbers))
	}
	for k, v := range whole.Numbers {
		if strings.Contains(k, "seconds") {
			continue
		}
		if merged.Numbers[k] != v {
			t.Errorf("%s: merged %v, unsharded %v", k, merged.Numbers[k], v)
		}
	}
	// A missing shard is an error, not a smaller result.
	if _, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 3, MergeFrom: shards[:1]}); err == nil {
		t.Error("merging one of two shards did not fail")
	}
	// An experiment that runs whole refuses --shard with an error naming
	// the ones that shard.
	y, _ := Lookup("gp-inpaint")
	_, err = y.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 3, Shard: 0, Shards: 2})
	if err == nil || !strings.Contains(err.Error(), "cheng-mc-1d") {
		t.Errorf("gp-inpaint sharded: error %v, want a refusal naming the shardable experiments", err)
	}
}

// shardMergeEqual runs the experiment whole, in two shards, and merged, and
// checks that the merge has every headline number of the whole run, equal,
// and that merging one shard fails.
func shardMergeEqual(t *testing.T, name string, cfg Config, minNumbers int) {
	t.Helper()
	x, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := cfg
	c.Out = t.TempDir()
	whole, err := x.Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := 0; i < 2; i++ {
		c := cfg
		c.Out, c.Shard, c.Shards = t.TempDir(), i, 2
		if _, err := x.Run(ctx, c); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, c.Out)
	}
	c = cfg
	c.Out, c.MergeFrom = t.TempDir(), shards
	merged, err := x.Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k, v := range whole.Numbers {
		if strings.Contains(k, "seconds") {
			continue
		}
		n++
		if got, ok := merged.Numbers[k]; !ok || got != v {
			t.Errorf("%s: merged %v (present %v), unsharded %v", k, got, ok, v)
		}
	}
	if n < minNumbers {
		t.Errorf("the unsharded run has only %d numbers, want at least %d", n, minNumbers)
	}
	c.MergeFrom = shards[:1]
	c.Out = t.TempDir()
	if _, err := x.Run(ctx, c); err == nil {
		t.Error("merging one of two shards did not fail")
	}
}

// TestShardMergeTrainings checks the training experiments sharded over
// their units (spectral-lowpass: (image, seed) pairs; denoise-sgld: runs;
// spectral-order: pairs of runs; fbc: its two curve runs and its seeds at
// the PSNR peak; shi-controls: (setting, image, seed) runs; shi-stopping:
// images): each merge equals the unsharded run.
func TestShardMergeTrainings(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six tiny experiments three times each (about 60 s)")
	}
	for _, c := range []struct {
		name              string
		iters, minNumbers int
	}{
		{"spectral-lowpass", 12, 20}, {"denoise-sgld", 12, 12}, {"spectral-order", 12, 12},
		{"fbc", 12, 20}, {"shi-controls", 30, 12}, {"shi-stopping", 30, 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			shardMergeEqual(t, c.name, Config{Mode: Tiny, Seed: 4, Iters: c.iters}, c.minNumbers)
		})
	}
}

// TestShardMergeTrainingTable runs a tiny training table whole, then in two
// shards over its (image, seed) pairs merged, and compares every headline
// number: sharding must not change a single run.
func TestShardMergeTrainingTable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the tiny table three times (about 10 s)")
	}
	x, err := Lookup("inpaint-sgld-table")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	whole, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 5, Iters: 12})
	if err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		if _, err := x.Run(ctx, Config{Out: dir, Mode: Tiny, Seed: 5, Iters: 12, Shard: i, Shards: 2}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, dir)
	}
	merged, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 5, Iters: 12, MergeFrom: shards})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k, v := range whole.Numbers {
		if strings.Contains(k, "seconds") {
			continue
		}
		n++
		if merged.Numbers[k] != v {
			t.Errorf("%s: merged %v, unsharded %v", k, merged.Numbers[k], v)
		}
	}
	if n < 10 {
		t.Errorf("the unsharded table has only %d numbers", n)
	}
	if _, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 5, Iters: 12, MergeFrom: shards[:1]}); err == nil {
		t.Error("merging one of two shards did not fail")
	}
	if _, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 6, Iters: 12, MergeFrom: shards}); err == nil {
		t.Error("merging shards of another seed did not fail")
	}
}

// TestChengSchedule checks the SGLD posterior-mean schedule against Cheng
// et al.'s notebook (samples at i > 7000 with i % 50 == 0 over 20,000
// iterations) by enumerating their rule.
func TestChengSchedule(t *testing.T) {
	first, every := chengSchedule(20000)
	var want []int
	for i := 0; i < 20000; i++ {
		if i > 7000 && i%50 == 0 {
			want = append(want, i)
		}
	}
	if first != want[0] || every != want[1]-want[0] {
		t.Errorf("schedule of 20,000 iterations: first %d every %d, want %d and %d", first, every, want[0], want[1]-want[0])
	}
	for _, n := range []int{40, 600, 1000, 3000} {
		f, ev := chengSchedule(n)
		if ev < 1 || f <= chengBurnIn*n/chengIters || f >= n {
			t.Errorf("schedule of %d iterations: first %d every %d", n, f, ev)
		}
	}
}

// shardUnits are, per shardable experiment, the units its shards split,
// read from the experiments' run functions (what runUnits, runPairs or
// netinit's shards iterate over).
var shardUnits = map[string]string{
	"cheng-mc-1d":        "random networks",
	"cheng-encdec-1d":    "random networks",
	"encdec-bn-1d":       "random networks",
	"cheng-sgld-1d":      "(case, seed) runs",
	"denoise-sgld-table": "(image, seed) pairs",
	"inpaint-sgld-table": "(image, seed) pairs",
	"relunet-vs-dip":     "(image, seed) pairs",
	"spectral-lowpass":   "(image, seed) pairs",
	"denoise-sgld":       "training runs",
	"fbc":                "training runs",
	"spectral-order":     "(image, seed) pairs of runs",
	"shi-controls":       "(setting, image, seed) runs",
	"shi-stopping":       "images",
}

// TestShardNoteUnits checks, for every shardable experiment of the
// registry, that a shard's report names the experiment's own units, and
// that no other experiment claims to shard.
func TestShardNoteUnits(t *testing.T) {
	for _, x := range List() {
		want, ok := shardUnits[x.Name]
		if x.Shardable != ok {
			t.Errorf("%s: Shardable %v, but the test's table says %v", x.Name, x.Shardable, ok)
			continue
		}
		if !ok {
			continue
		}
		e := newEnv(context.Background(), Config{Out: t.TempDir(), Shard: 1, Shards: 3}, x, t.TempDir())
		if err := e.shardNote(nil, 7); err != nil {
			t.Fatal(err)
		}
		note := e.body.String()
		if !strings.Contains(note, "of the 7 "+want) || !strings.Contains(note, "i mod 3 == 1") {
			t.Errorf("%s: the shard note does not name its units %q:\n%s", x.Name, want, note)
		}
		if want != "(image, seed) pairs" && strings.Contains(note, "(image, seed) pairs and") {
			t.Errorf("%s: the shard note speaks of (image, seed) pairs:\n%s", x.Name, note)
		}
	}
}
