package main

import (
	"path/filepath"
	"strconv"
	"testing"
)

func TestTrajectoriesCommand(t *testing.T) {
	dir := t.TempDir()
	a := dipTestArch + ",param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity"
	args := []string{"-q", "trajectories", "--arch", a, "--size", "16", "--opt", "gd", "--iters", "8", "--every", "2", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp trajectories exited with %d", code)
	}
	dipMustExist(t, dir, "trajectories.csv", "trajectories.png", "summary.json", "run1/metrics.csv", "run2/output.png")
	rows := dipReadCSV(t, filepath.Join(dir, "trajectories.csv"))
	if len(rows) != 6 || rows[0][4] != "sse_ntk" {
		t.Fatalf("trajectories.csv: %v", rows)
	}
	// At iteration 0 the prediction is the observed distance itself.
	o, _ := strconv.ParseFloat(rows[1][1], 64)
	p, _ := strconv.ParseFloat(rows[1][4], 64)
	if o <= 0 || (o-p)/o > 1e-9 || (p-o)/o > 1e-9 {
		t.Errorf("SSE(0) observed %v, predicted %v; want equal", o, p)
	}
	if code := run([]string{"-q", "trajectories", "--size", "16", "--arch", dipTestArch, "--seed", "3", "--seed2", "3", "--out", t.TempDir()}); code == 0 {
		t.Error("equal seeds did not fail")
	}
}
