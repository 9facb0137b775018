package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func readFloatCSV(t *testing.T, path string) (header []string, rows [][]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		var row []float64
		for _, s := range r {
			v := math.NaN()
			if s != "" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatal(err)
				}
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

func TestPredictCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-q", "predict", "--arch", gpTestArch, "--size", "16", "--sigma", "25", "--iters", "300", "--f0", "0.5", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp predict exited with %d", code)
	}
	mustExist(t, dir, "psnr.csv", "fbc.csv", "residual.csv", "decay.csv", "rings.csv", "psnr.png", "fbc.png", "residual.png", "summary.json")
	var sum predictSummary
	readJSON(t, filepath.Join(dir, "summary.json"), &sum)
	_, psnr := readFloatCSV(t, filepath.Join(dir, "psnr.csv"))
	if len(psnr) != 301 {
		t.Fatalf("psnr.csv has %d rows, want 301", len(psnr))
	}
	best := 0
	for i, r := range psnr {
		if r[1] > psnr[best][1] {
			best = i
		}
	}
	if sum.BestIter != int(psnr[best][0]) || math.Abs(float64(sum.BestPSNR)-psnr[best][1]) > 1e-6 {
		t.Fatalf("best iteration %d (%g), psnr.csv says %g (%g)", sum.BestIter, sum.BestPSNR, psnr[best][0], psnr[best][1])
	}
	if sum.LR != 1/sum.LambdaMax || sum.MaxLR != 2/sum.LambdaMax {
		t.Fatalf("default lr %g for lambda_max %g", sum.LR, sum.LambdaMax)
	}
	// At t = 0 the output is the constant f0 = 0.5.
	h, fbc := readFloatCSV(t, filepath.Join(dir, "fbc.csv"))
	if len(h) != 6 || len(fbc) != 301 {
		t.Fatalf("fbc.csv: header %v, %d rows", h, len(fbc))
	}
	if last := fbc[len(fbc)-1]; !(last[1] > fbc[0][1]) {
		t.Fatalf("band 1 does not grow: %v -> %v", fbc[0], last)
	}
	// An unstable step is refused.
	bad := []string{"-q", "predict", "--arch", gpTestArch, "--size", "16", "--lr", strconv.FormatFloat(2.5/sum.LambdaMax, 'g', -1, 64), "--out", t.TempDir()}
	if code := run(bad); code == 0 {
		t.Fatal("unstable step accepted")
	}
}
