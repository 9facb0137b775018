package checkreport

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/netinit"
)

func smallCheck(t *testing.T, width string) (netinit.CheckConfig, netinit.CheckResult) {
	t.Helper()
	a, err := arch.Parse("conv-stack:dims=2,depth=2,channels=" + width)
	if err != nil {
		t.Fatal(err)
	}
	cfg := netinit.CheckConfig{Arch: a, Size: []int{8, 8}, Options: netinit.Options{Samples: 6, Seed: 1, Margin: -1}}
	r, err := netinit.Check(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, r
}

// TestWriteCheckFiles writes a check and reads it back: compare.csv has
// one row per compared entry, and its z column is (empirical - analytic) /
// stderr recomputed from the .npy maps.
func TestWriteCheckFiles(t *testing.T) {
	cfg, r := smallCheck(t, "4")
	dir := t.TempDir()
	if err := WriteCheck(dir, cfg, r); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"profile.png", "profile.svg", "maps.png", "maps.svg", "stats.json", "stats.npy"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	read := func(name string) []float64 {
		_, d, err := npy.ReadFloat64(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	an, em, se := read("analytic.npy"), read("empirical.npy"), read("stderr.npy")
	f, err := os.Open(filepath.Join(dir, "compare.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != r.Comparison.Entries {
		t.Fatalf("compare.csv has %d rows, want %d entries", len(rows)-1, r.Comparison.Entries)
	}
	// Period 1 on 8x8: the row of offset (dy, dx) is entry dy*8 + dx.
	for _, row := range rows[1:] {
		dy, _ := strconv.Atoi(row[2])
		dx, _ := strconv.Atoi(row[3])
		i := ((dy+8)%8)*8 + (dx+8)%8
		z, _ := strconv.ParseFloat(row[7], 64)
		want := (em[i] - an[i]) / se[i]
		if math.Abs(z-want) > 1e-8*math.Max(1, math.Abs(want)) {
			t.Fatalf("offset (%d, %d): z %v in compare.csv, %v from the maps", dy, dx, z, want)
		}
	}
	var sum struct {
		Samples int `json:"samples"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil || sum.Samples != 6 {
		t.Errorf("summary.json: samples %d, err %v", sum.Samples, err)
	}
	var text bytes.Buffer
	if err := WriteSummary(&text, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), r.Verdict) || !strings.Contains(text.String(), "networks") {
		t.Errorf("summary text lacks the verdict:\n%s", text.String())
	}
}

func TestWriteSweep(t *testing.T) {
	var s netinit.Sweep
	for _, w := range []string{"2", "4"} {
		_, r := smallCheck(t, w)
		width, _ := strconv.Atoi(w)
		s.Points = append(s.Points, netinit.SweepPoint{Width: width, Result: r})
	}
	s = netinit.Fit(s)
	dir := t.TempDir()
	if err := WriteSweep(dir, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "4,6,") {
		t.Errorf("sweep.csv:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "error_vs_width.png")); err != nil {
		t.Error(err)
	}
}
