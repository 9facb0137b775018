package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dipgp/dipgp/internal/imageio"
)

// TestNoCommandOverwritesInputs puts each command's inputs (image, mask,
// architecture file, check shards) inside its output folder and checks
// that the command refuses, even with --force, and leaves the inputs
// byte for byte as they were.
func TestNoCommandOverwritesInputs(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "clean.png")
	if err := imageio.Save(img, imageio.Synthetic(16, 16, 3)); err != nil {
		t.Fatal(err)
	}
	mask := filepath.Join(dir, "mask.png")
	m := make([]bool, 16*16)
	for i := range m {
		m[i] = i%2 == 0
	}
	if err := imageio.SaveMask(mask, m, 16, 16); err != nil {
		t.Fatal(err)
	}
	archFile := filepath.Join(dir, "arch.yaml")
	yaml := "dims: 1\ninput:\n  channels: 4\n  dist: gaussian\n  std: 1\ninit:\n  scheme: normal\n  sw: 1\n  sb: 0\nparam: standard\npad: circular\nlayers:\n  - conv:\n      out: 4\n      k: 3\n      stride: 1\n      bias: false\n  - act:\n      fn: relu\n"
	if err := os.WriteFile(archFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"-q", "kernel", "--arch", archFile, "--size", "16", "--out", t.TempDir()}); code != 0 {
		t.Fatalf("the test's architecture file does not run: exit code %d", code)
	}
	shard := filepath.Join(dir, "shard0")
	if code := run([]string{"-q", "check", "--arch", "conv-stack:dims=1,depth=1,channels=4", "--size", "16", "--samples", "4", "--shard", "0/2", "--out", shard}); code != 0 {
		t.Fatalf("shard run exited with %d", code)
	}
	inputs := []string{img, mask, archFile, filepath.Join(shard, "summary.json"), filepath.Join(shard, "stats.npy")}
	before := map[string][]byte{}
	for _, f := range inputs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
	}
	for _, args := range [][]string{
		{"gp", "denoise", "--image", img, "--arch", gpTestArch, "--out", dir},
		{"gp", "denoise", "--image", img, "--crop", "--arch", gpTestArch, "--out", dir},
		{"gp", "inpaint", "--image", img, "--mask", mask, "--arch", gpTestArch, "--out", dir},
		{"predict", "--image", img, "--arch", gpTestArch, "--iters", "3", "--out", dir},
		{"train", "--image", img, "--iters", "2", "--arch", "dip-skip:scales=2,channels=4", "--out", dir},
		{"train", "--image", img, "--iters", "2", "--arch", "dip-skip:scales=2,channels=4", "--out", dir, "--resume"},
		{"compare", "--image", img, "--iters", "2", "--arch", "dip-skip:scales=2,channels=4", "--out", dir},
		{"trajectories", "--image", img, "--iters", "2", "--arch", "dip-skip:scales=2,channels=4", "--out", dir},
		{"kernel", "--arch", archFile, "--size", "16", "--out", dir},
		{"check", "--arch", archFile, "--size", "16", "--samples", "4", "--out", dir},
		{"check", "merge", shard, shard, "--out", shard},
		{"sample", "--arch", archFile, "--size", "16", "--out", dir},
		{"spectrum", "--arch", archFile, "--size", "16", "--out", dir},
	} {
		if code := run(append([]string{"-q", "--force"}, args...)); code != 1 {
			t.Errorf("%v: exit code %d, want 1 (an input lies in the output folder)", args, code)
		}
		for _, f := range inputs {
			if b, _ := os.ReadFile(f); !bytes.Equal(b, before[f]) {
				t.Fatalf("%v changed its input %s", args, f)
			}
		}
	}
}

// TestOutputFolderOfAnotherRun checks that a second run into a folder that
// is not empty is refused unless --force.
func TestOutputFolderOfAnotherRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-q", "kernel", "--arch", "conv-stack:dims=1,depth=1", "--size", "16", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("first run exited with %d", code)
	}
	if code := run(args); code != 1 {
		t.Errorf("second run into the same folder: exit code %d, want 1", code)
	}
	if code := run(append(args, "--force")); code != 0 {
		t.Errorf("--force: exit code %d, want 0", code)
	}
}

// TestFailedRunLeavesNoEmptyOut checks that a command refused after its
// output folder was made removes that folder when it is still empty, and
// keeps a folder that already holds files.
func TestFailedRunLeavesNoEmptyOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new")
	if code := run([]string{"-q", "train", "--arch", "dip-skip:scales=2,channels=4,bn=maybe", "--size", "16", "--iters", "2", "--out", out}); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused run left %s behind (%v)", out, err)
	}
	kept := t.TempDir()
	if err := os.WriteFile(filepath.Join(kept, "old.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"-q", "--force", "train", "--arch", "dip-skip:scales=2,channels=4,bn=maybe", "--size", "16", "--iters", "2", "--out", kept}); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(kept, "old.txt")); err != nil {
		t.Errorf("the refused run lost a file of its --out: %v", err)
	}
}
