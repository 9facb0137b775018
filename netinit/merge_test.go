package netinit

import (
	"context"
	"strings"
	"testing"
)

// TestMergeNamesDifferingField writes shard 1 of runs that differ from
// shard 0 in one setting each and checks that the refusal names that
// setting and both values.
func TestMergeNamesDifferingField(t *testing.T) {
	ctx := context.Background()
	base := CheckConfig{Arch: mustArch(t, "conv-stack:depth=2,channels=4,dims=1"), Size: []int{16},
		Options: Options{Samples: 4, Seed: 3, Margin: -1, Shards: 2}}
	write := func(c CheckConfig) string {
		t.Helper()
		r, err := Check(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := WriteStats(dir, c, r.Stats); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	first := write(base)
	for _, tc := range []struct {
		set  func(*CheckConfig)
		want string
	}{
		{func(c *CheckConfig) { c.Options.Seed = 4 }, "seed differs (3 against 4)"},
		{func(c *CheckConfig) { c.Options.Samples = 6 }, "samples (networks in the whole run) differs (4 against 6)"},
		{func(c *CheckConfig) { c.Size = []int{32} }, "size differs ([16] against [32])"},
		{func(c *CheckConfig) { c.Arch = mustArch(t, "conv-stack:depth=2,channels=8,dims=1") }, "architecture differs"},
		{func(c *CheckConfig) { c.Options.Margin = 2 }, "margin differs (-1 against 2)"},
	} {
		c := base
		c.Options.Shard = 1
		tc.set(&c)
		_, _, err := Merge(ctx, []string{first, write(c)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("merge error %v; want it to say %q", err, tc.want)
		}
	}
}
