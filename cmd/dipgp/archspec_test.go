package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestArchFileWidthAsWritten edits an architecture written by 'arch show'
// (relu to tanh) and sets its width: the edit must survive (it used to be
// rebuilt from the preset named in the file's name: field).
func TestArchFileWidthAsWritten(t *testing.T) {
	a, err := arch.Parse("conv-stack:dims=1,depth=2,channels=4")
	if err != nil {
		t.Fatal(err)
	}
	y, err := a.YAML()
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.ReplaceAll(string(y), "fn: relu", "fn: tanh")
	if edited == string(y) {
		t.Fatal("no relu in the file to edit")
	}
	p := filepath.Join(t.TempDir(), "a.yaml")
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := loadArch(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.withWidth(16, []string{"channels"})
	if err != nil {
		t.Fatal(err)
	}
	var acts, wide int
	for _, l := range w.Layers {
		switch l := l.(type) {
		case arch.Act:
			if l.Fn != "tanh" {
				t.Errorf("activation %v, want tanh as in the file", l.Fn)
			}
			acts++
		case arch.Conv:
			if l.Out == 16 {
				wide++
			}
		}
	}
	if acts == 0 || wide == 0 {
		t.Errorf("%d activations, %d convs of width 16", acts, wide)
	}
	if _, err := c.withWidth(0, []string{"channels"}); err == nil {
		t.Error("--width 0 accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(empty, nil, 0o644)
	if _, err := loadArch(empty, 0); err == nil || strings.Contains(err.Error(), "EOF") {
		t.Errorf("empty file: %v", err)
	}
}

// TestTrainSilentFlags checks flags that used to be ignored silently.
func TestTrainSilentFlags(t *testing.T) {
	mask := filepath.Join(t.TempDir(), "mask.png")
	if err := os.WriteFile(mask, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-q", "train", "--size", "16", "--iters", "2", "--width", "0", "--out", t.TempDir()},
		{"-q", "train", "--size", "16", "--iters", "2", "--task", "denoise", "--mask", mask, "--out", t.TempDir()},
		{"-q", "gp", "inpaint", "--size", "16", "--keep", "0", "--arch", gpTestArch, "--out", t.TempDir()},
	} {
		if code := run(args); code != 1 {
			t.Errorf("%v: exit code %d, want 1", args, code)
		}
	}
}

// TestCheckHelpShowsRunFlags checks that "dipgp check --help" is routed to
// the help of "check run", whose flags are the main job's.
func TestCheckHelpShowsRunFlags(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"check --help", "check run --help"},
		{"-q check --size 8 -h", "-q check run --size 8 -h"},
		{"check merge --help", "check merge --help"},
		{"check run --help", "check run --help"},
		{"kernel --help", "kernel --help"},
	} {
		if got := strings.Join(defaultHelp(strings.Fields(c.in)), " "); got != c.want {
			t.Errorf("%q -> %q, want %q", c.in, got, c.want)
		}
	}
}

// TestTrainCoordinateInput checks that a network on the pixel coordinates
// (which has no kernel map) trains, with a note that there is no NTK
// prediction instead of a refusal.
func TestTrainCoordinateInput(t *testing.T) {
	out := t.TempDir()
	args := []string{"-q", "train", "--arch", "relunet:depth=3,width=8", "--task", "denoise", "--size", "16", "--iters", "3", "--out", out}
	if code := run(args); code != 0 {
		t.Fatalf("%v: exit code %d, want 0", args, code)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "no NTK prediction") || !strings.Contains(string(b), "coords") {
		t.Errorf("summary.json does not say why there is no NTK prediction:\n%s", b)
	}
}
