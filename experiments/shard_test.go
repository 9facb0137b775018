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
	// A training experiment does not shard.
	y, _ := Lookup("fbc")
	if _, err := y.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 3, Shard: 0, Shards: 2}); err == nil {
		t.Error("fbc ran sharded")
	}
}
