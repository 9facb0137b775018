package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dipgp/dipgp/internal/npy"
)

func readSummary(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckCommandShardsAndMerge(t *testing.T) {
	base := []string{"-q", "check", "--arch", "conv-stack:dims=1,depth=2,channels=8,sigma=2", "--size", "32", "--samples", "12", "--seed", "5"}
	full := t.TempDir()
	if code := run(append(base, "--out", full)); code != 0 {
		t.Fatalf("check exited with %d", code)
	}
	for _, f := range []string{"analytic.npy", "empirical.npy", "stderr.npy", "compare.csv", "summary.json", "stats.json", "stats.npy", "profile.png", "profile.svg"} {
		if _, err := os.Stat(filepath.Join(full, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	s := readSummary(t, full)
	if s["samples"].(float64) != 12 || s["complete"] != true {
		t.Errorf("summary: %v", s)
	}
	var parts []string
	for _, sh := range []string{"0/2", "1/2"} {
		d := t.TempDir()
		if code := run(append(base, "--shard", sh, "--out", d)); code != 0 {
			t.Fatalf("shard %s exited with %d", sh, code)
		}
		parts = append(parts, d)
	}
	merged := t.TempDir()
	if code := run([]string{"-q", "check", "merge", parts[0], parts[1], "--out", merged}); code != 0 {
		t.Fatalf("merge exited with %d", code)
	}
	_, a, _ := npy.ReadFloat64(filepath.Join(full, "empirical.npy"))
	_, b, _ := npy.ReadFloat64(filepath.Join(merged, "empirical.npy"))
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("empirical maps of %d and %d values", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("merged shards differ from the full run at %d: %v vs %v", i, b[i], a[i])
		}
	}
}

func TestCheckCommandSweepAndErrors(t *testing.T) {
	dir := t.TempDir()
	if code := run([]string{"-q", "check", "--arch", "conv-stack:dims=1,depth=1,sigma=1", "--size", "16", "--samples", "6", "--widths", "2,4,8", "--out", dir}); code != 0 {
		t.Fatalf("sweep exited with %d", code)
	}
	for _, f := range []string{"sweep.csv", "error_vs_width.png", "width2/summary.json", "width8/summary.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	for _, args := range [][]string{
		{"-q", "check", "--arch", "dip-skip:scales=3", "--size", "20", "--out", t.TempDir()},
		{"-q", "check", "--arch", "conv-stack", "--samples", "1", "--out", t.TempDir()},
		{"-q", "check", "--shard", "3/2", "--out", t.TempDir()},
		{"-q", "check", "--arch", "no-such-arch", "--out", t.TempDir()},
		{"-q", "check", "--ntk", "--arch", "conv-stack:dims=1", "--size", "16", "--samples", "4", "--out", t.TempDir()},
	} {
		if code := run(args); code != 1 {
			t.Errorf("%v: exit code %d, want 1", args, code)
		}
	}
}

// TestCheckMergeRefuses checks that merge refuses to write over a shard
// and refuses a non-finite result before writing anything.
func TestCheckMergeRefuses(t *testing.T) {
	base := []string{"-q", "check", "--arch", "conv-stack:dims=1,depth=1,channels=4", "--size", "16", "--samples", "6"}
	var parts []string
	for _, sh := range []string{"0/2", "1/2"} {
		d := t.TempDir()
		if code := run(append(base, "--shard", sh, "--out", d)); code != 0 {
			t.Fatalf("shard %s exited with %d", sh, code)
		}
		parts = append(parts, d)
	}
	if code := run([]string{"-q", "check", "merge", parts[0], parts[1], "--out", parts[0]}); code != 1 {
		t.Errorf("merge into a shard: exit code %d, want 1", code)
	}
	// A NaN in a shard's statistics.
	p := filepath.Join(parts[1], "stats.npy")
	shape, data, err := npy.ReadFloat64(p)
	if err != nil {
		t.Fatal(err)
	}
	data[0] = math.NaN() // the first sum
	if err := npy.WriteFloat64(p, shape, data); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "merged")
	if code := run([]string{"-q", "check", "merge", parts[0], parts[1], "--out", out}); code != 1 {
		t.Errorf("merge of NaN statistics: exit code %d, want 1", code)
	}
	if files, _ := os.ReadDir(out); len(files) > 0 {
		t.Errorf("merge of NaN statistics wrote %d files", len(files))
	}
}
