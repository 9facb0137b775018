package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dipgp/dipgp/dip"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	a := dipTestArch + ",param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity"
	args := []string{"-q", "compare", "--arch", a, "--size", "16", "--opt", "gd", "--iters", "12", "--every", "2", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp compare exited with %d", code)
	}
	dipMustExist(t, dir, "compare.csv", "halffit.csv", "agreement.json", "residual.png", "psnr.png", "fbc.png", "metrics.csv")
	var ag dip.Agreement
	b, err := os.ReadFile(filepath.Join(dir, "agreement.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ag); err != nil {
		t.Fatal(err)
	}
	if ag.Fitted || ag.Optimizer != "gd" || len(ag.FBCRMS) != dip.FBCBands || len(ag.ObservedHalf) != len(ag.BinCenters) || ag.PredictedBest.Iter < 0 {
		t.Errorf("agreement: %+v", ag)
	}
	rows := dipReadCSV(t, filepath.Join(dir, "compare.csv"))
	if len(rows) != 8 || rows[0][1] != "loss" || rows[0][2] != "loss_ntk" {
		t.Errorf("compare.csv has %d rows, header %v", len(rows), rows[0])
	}
	// A width sweep.
	sweep := t.TempDir()
	args = []string{"-q", "compare", "--arch", a, "--size", "16", "--opt", "gd", "--iters", "12", "--every", "2", "--widths", "4,8", "--out", sweep}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp compare --widths exited with %d", code)
	}
	dipMustExist(t, sweep, "widths.csv", "widths.json", "widths.png", "width4/agreement.json", "width8/agreement.json")
	if rows := dipReadCSV(t, filepath.Join(sweep, "widths.csv")); len(rows) != 3 {
		t.Errorf("widths.csv has %d rows, want 3", len(rows))
	}
	// The linearization alone, with the step from the empirical NTK.
	lin := t.TempDir()
	args = []string{"-q", "compare", "--arch", a, "--size", "16", "--opt", "gd", "--iters", "12", "--every", "2", "--predict", "linearized", "--lr-from", "empirical", "--out", lin}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp compare --predict linearized exited with %d", code)
	}
	dipMustExist(t, lin, "linearized.json", "linearized.csv", "predictions.png", "step.json")
	if _, err := os.Stat(filepath.Join(lin, "agreement.json")); err == nil {
		t.Error("agreement.json written without the NTK prediction")
	}
	var st dipStep
	if b, err = os.ReadFile(filepath.Join(lin, "step.json")); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.LRFrom != "empirical" || math.Abs(float64(st.EtaLambdaEmpirical)-0.9) > 1e-9 || !(st.EtaLambdaInfinite > 0) {
		t.Errorf("step.json: %+v", st)
	}
}
