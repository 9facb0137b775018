package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/dipgp/dipgp/experiments"
)

// captureReproduce runs the command line and returns its exit code and
// what the reproduce command printed.
func captureReproduce(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var b bytes.Buffer
	old := reproduceOut
	reproduceOut = &b
	defer func() { reproduceOut = old }()
	return run(args), b.String()
}

func TestReproduceList(t *testing.T) {
	code, out := captureReproduce(t, "reproduce", "--list")
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, x := range experiments.List() {
		if !strings.Contains(out, x.Name) || !strings.Contains(out, x.QuickCost) || !strings.Contains(out, x.FullCost) {
			t.Errorf("--list does not show %s with its quick and full costs", x.Name)
		}
	}
}

func TestReproduceRuns(t *testing.T) {
	out := t.TempDir()
	code, printed := captureReproduce(t, "-q", "reproduce", "gp-inpaint", "cheng-kernels-1d", "--tiny", "--out", out, "--seed", "3")
	if code != 0 {
		t.Fatalf("exit code %d; printed:\n%s", code, printed)
	}
	for _, name := range []string{"gp-inpaint", "cheng-kernels-1d"} {
		rep, err := os.ReadFile(filepath.Join(out, name, "report.md"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(rep), "--seed 3") || !strings.Contains(string(rep), "Status:** complete") {
			t.Errorf("%s report lacks the command or status:\n%s", name, rep)
		}
		b, err := os.ReadFile(filepath.Join(out, name, "numbers.json"))
		if err != nil {
			t.Fatal(err)
		}
		var nums map[string]float64
		if err := json.Unmarshal(b, &nums); err != nil || len(nums) == 0 {
			t.Errorf("%s numbers.json: %v, %d numbers", name, err, len(nums))
		}
	}
	// arch-sweep with architectures from the command line (commas inside
	// a spec must survive).
	code, printed = captureReproduce(t, "-q", "reproduce", "arch-sweep", "--tiny", "--out", out,
		"--arch", "conv-stack:depth=2,sigma=1", "--arch", "conv-stack:dims=1,depth=3")
	if code != 0 {
		t.Fatalf("arch-sweep exit code %d; printed:\n%s", code, printed)
	}
	rep, _ := os.ReadFile(filepath.Join(out, "arch-sweep", "report.md"))
	if !strings.Contains(string(rep), "conv-stack:depth=2,sigma=1") || !strings.Contains(string(rep), "conv-stack:dims=1,depth=3") {
		t.Errorf("arch-sweep report does not name the given architectures:\n%s", rep)
	}
}

func TestReproduceErrors(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"reproduce"},
		{"reproduce", "no-such-experiment", "--tiny", "--out", out},
		{"reproduce", "cheng-kernels-1d", "--quick", "--tiny", "--out", out},
		{"reproduce", "cheng-kernels-1d", "--tiny", "--arch", "dip-skip", "--out", out},
		// Full mode needs the real image.
		{"-q", "reproduce", "gp-inpaint", "--out", out, "--images", filepath.Join(out, "missing")},
	} {
		if code, _ := captureReproduce(t, args...); code == 0 {
			t.Errorf("%v: exit code 0, want an error", args)
		}
	}
}

// TestReproduceImagesMissing checks that an --images folder that does not
// exist, or is a file, is refused in every mode with an error naming the
// folder and the fix, before any experiment runs (no synthetic fall-back
// for a folder the user named).
func TestReproduceImagesMissing(t *testing.T) {
	out := t.TempDir()
	file := filepath.Join(out, "a-file.png")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(out, "no-images"), file} {
		for _, mode := range []string{"--tiny", "--quick"} {
			c := &reproduceCmd{Names: []string{"gp-inpaint"}, Tiny: mode == "--tiny", Quick: mode == "--quick", Out: filepath.Join(out, "run"), Seed: 1, Images: dir}
			err := c.Run(context.Background(), &Globals{Quiet: true})
			if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "leave --images out") {
				t.Errorf("%s --images %s: error %v, want one naming the folder and the fix", mode, dir, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "run", "gp-inpaint")); err == nil {
		t.Error("the experiment ran with a missing --images folder")
	}
	if code, _ := captureReproduce(t, "-q", "reproduce", "gp-inpaint", "--tiny", "--out", out, "--images", filepath.Join(out, "no-images")); code == 0 {
		t.Error("exit code 0 with a missing --images folder")
	}
}

func TestReproduceShardMerge(t *testing.T) {
	a, b, m := t.TempDir(), t.TempDir(), t.TempDir()
	for i, out := range []string{a, b} {
		if code, _ := captureReproduce(t, "-q", "reproduce", "cheng-mc-1d", "--tiny", "--seed", "2", "--shard", []string{"0/2", "1/2"}[i], "--out", out); code != 0 {
			t.Fatalf("shard %d: exit code %d", i, code)
		}
	}
	if code, _ := captureReproduce(t, "-q", "reproduce", "merge", a, "--out", m); code == 0 {
		t.Error("merging one of two shards succeeded")
	}
	if code, _ := captureReproduce(t, "-q", "reproduce", "merge", a, b, "--out", m); code != 0 {
		t.Fatalf("merge: exit code %d", code)
	}
	if _, err := os.Stat(filepath.Join(m, "cheng-mc-1d", "numbers.json")); err != nil {
		t.Error(err)
	}
	if code, _ := captureReproduce(t, "-q", "reproduce", "cheng-mc-1d", "--tiny", "--shard", "2/2", "--out", t.TempDir()); code == 0 {
		t.Error("--shard 2/2 accepted")
	}
}

// TestShardHelpNamesShardable checks that --shard's help, as kong renders
// it with dipgp's variables, names every shardable experiment of the
// registry with its ShardUnits and no other experiment, so the help cannot
// fall behind.
func TestShardHelpNamesShardable(t *testing.T) {
	parser, err := kong.New(&struct {
		Reproduce reproduceCmd `cmd:""`
	}{}, kongVars())
	if err != nil {
		t.Fatal(err)
	}
	var help string
	for _, n := range parser.Model.Children {
		if n.Name != "reproduce" {
			continue
		}
		for _, f := range n.Flags {
			if f.Name == "shard" {
				help = f.Help
			}
		}
	}
	_, list, ok := strings.Cut(help, "which are for ")
	list, _, ok2 := strings.Cut(list, ". Merge")
	if !ok || !ok2 {
		t.Fatalf("--shard's help has no list of experiments: %q", help)
	}
	got := map[string]string{}
	for _, g := range strings.Split(list, "; ") {
		names, units, ok := strings.Cut(g, ": ")
		if !ok {
			t.Fatalf("--shard's help: %q is not 'names: units'", g)
		}
		for _, name := range strings.Split(names, ", ") {
			got[name] = units
		}
	}
	want := map[string]string{}
	for _, x := range experiments.List() {
		if x.Shardable {
			want[x.Name] = x.ShardUnits
		}
	}
	for name, units := range want {
		if got[name] != units {
			t.Errorf("--shard's help gives %s the units %q, the registry %q", name, got[name], units)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("--shard's help names %s, which the registry does not declare shardable", name)
		}
	}
}

// TestReproduceOverridesRefused: --iters for a list that holds an
// experiment that would ignore it is refused before the first experiment
// runs (nothing written), with the error naming the experiment; the help
// lists the experiments that take --iters and --samples from the registry.
func TestReproduceOverridesRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r")
	if code := run([]string{"-q", "reproduce", "fbc", "cheng-sgld-1d", "--tiny", "--iters", "5", "--out", out}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(out, "fbc")); err == nil {
		t.Error("fbc ran before the refusal")
	}
	vars := kongVars()
	if got, want := vars["iters_experiments"], strings.Join(experiments.TakingIters(), ", "); got != want || !strings.Contains(got, "fbc") {
		t.Errorf("iters help %q, want %q", got, want)
	}
	if got := vars["samples_experiments"]; !strings.Contains(got, "cheng-mc-1d") || strings.Contains(got, "fbc") {
		t.Errorf("samples help %q", got)
	}
}
