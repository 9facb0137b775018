package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

const dipTestArch = "dip-skip:scales=2,channels=8,skip=4,in_channels=8"

func dipReadCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func dipMustExist(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("missing output %s: %v", n, err)
		}
	}
}

func TestTrainCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-q", "train", "--arch", dipTestArch, "--size", "16", "--iters", "6", "--every", "2", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp train exited with %d", code)
	}
	dipMustExist(t, dir, "summary.json", "psnr.png", "psnr.svg", "fbc.png", "residual.png", "output.png", "average.png",
		"clean.png", "target.png", "best.png", "bins.csv", "snapshots/output_000000.png", "checkpoint/state.json", "checkpoint/net")
	rows := dipReadCSV(t, filepath.Join(dir, "metrics.csv"))
	if len(rows) != 5 || rows[0][0] != "iter" || rows[4][0] != "6" {
		t.Fatalf("metrics.csv has %d rows (want header + iterations 0, 2, 4, 6): %v", len(rows), rows)
	}
	var sum dipSummary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.LastIter != 6 || sum.StepSeconds <= 0 || sum.DataSeed != 1 {
		t.Errorf("summary: %+v", sum)
	}
	// Resume with more iterations: the table continues.
	args = append(args[:len(args)-2], "--iters", "10", "--resume", "--out", dir)
	if code := run(args); code != 0 {
		t.Fatalf("dipgp train --resume exited with %d", code)
	}
	rows = dipReadCSV(t, filepath.Join(dir, "metrics.csv"))
	var iters []string
	for _, r := range rows[1:] {
		iters = append(iters, r[0])
	}
	if len(iters) != 6 || iters[0] != "0" || iters[5] != "10" {
		t.Errorf("after resuming, metrics.csv holds iterations %v; want 0, 2, ..., 10", iters)
	}
}

func TestTrainCommandTasksAndErrors(t *testing.T) {
	for _, extra := range [][]string{
		{"--task", "inpaint", "--keep", "0.6", "--gray"},
		{"--task", "fit", "--opt", "sgld-cheng"},
		{"--task", "denoise", "--opt", "gd", "--no-kernel", "--lr", "0.5"},
	} {
		dir := t.TempDir()
		args := append([]string{"-q", "train", "--arch", dipTestArch, "--size", "16", "--iters", "3", "--every", "1", "--out", dir}, extra...)
		if code := run(args); code != 0 {
			t.Errorf("dipgp train %v exited with %d", extra, code)
		}
	}
	dir := t.TempDir()
	for _, bad := range [][]string{
		{"--size", "18"},                               // not divisible by 4
		{"--size", "16", "--task", "blur"},             // unknown task
		{"--size", "16", "--opt", "gd", "--no-kernel"}, // gd needs the kernel or --lr
	} {
		args := append([]string{"-q", "train", "--arch", dipTestArch, "--iters", "2", "--out", dir}, bad...)
		if code := run(args); code == 0 {
			t.Errorf("dipgp train %v succeeded", bad)
		}
	}
}

// TestResumeCutParameterFile cuts a checkpoint's parameter file to 60
// bytes (inside its header, where the .npy reader panicked): --resume must
// fail with an error.
func TestResumeCutParameterFile(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-q", "train", "--size", "16", "--iters", "2", "--arch", "dip-skip:scales=2,channels=4", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("train exited with %d", code)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "checkpoint", "net", "*.npy"))
	if len(files) == 0 {
		t.Fatal("no parameter files in the checkpoint")
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], b[:60], 0o644); err != nil {
		t.Fatal(err)
	}
	resume := []string{"-q", "train", "--size", "16", "--iters", "4", "--arch", "dip-skip:scales=2,channels=4", "--out", dir, "--resume"}
	if code := run(resume); code != 1 {
		t.Errorf("resume from a cut file: exit code %d, want 1", code)
	}
}
