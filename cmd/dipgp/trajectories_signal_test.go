package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/kernel"
)

// TestTrajectoriesSignal runs trajectories on a 1-D net and a signal file
// and checks its numbers against computations of its own: the observed
// SSE(t) from the saved outputs, and the NTK prediction by powers of the
// dense matrix I - eta_eff Theta (Theta from kernel.Compute as an n x n
// matrix, eta_eff = 2 lr / n for DIP's mean squared error, docs/linearized.md)
// applied to the difference of the two saved starts.
func TestTrajectoriesSignal(t *testing.T) {
	dir := t.TempDir()
	const n, lr = 32, 0.6
	sig := filepath.Join(dir, "signal.csv")
	var lines []string
	for _, v := range syntheticSignal(n) {
		lines = append(lines, jsonNum(v))
	}
	if err := os.WriteFile(sig, []byte("value\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"-q", "trajectories", "--arch", dipSignalArch, "--signal", sig, "--task", "fit", "--opt", "gd",
		"--lr", fmt.Sprint(lr), "--iters", "8", "--every", "2", "--out", out, "--seed", "5", "--seed2", "9"}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp trajectories on a signal exited with %d", code)
	}
	dipMustExist(t, out, "trajectories.csv", "trajectories.png", "trajectories.svg", "summary.json",
		"run1/signal.csv", "run2/signal.csv", "run1/metrics.csv")
	var sum dipTrajectorySummary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"best":`) {
		t.Errorf("summary.json has no \"best\" key: %s", b)
	}
	iters := []int{0, 2, 4, 6, 8}
	if fmt.Sprint(sum.Iters) != fmt.Sprint(iters) || sum.Seeds != [2]uint64{5, 9} || !sum.Complete || len(sum.SSENTK) != len(iters) {
		t.Fatalf("summary: iters %v, seeds %v, complete %v, %d predictions", sum.Iters, sum.Seeds, sum.Complete, len(sum.SSENTK))
	}
	rows := dipReadCSV(t, filepath.Join(out, "trajectories.csv"))
	if len(rows) != len(iters)+1 || strings.Join(rows[0], ",") != "iter,sse,psnr1,psnr2,sse_ntk" {
		t.Fatalf("trajectories.csv: %v", rows)
	}
	readOut := func(run, iter int) []float64 {
		t.Helper()
		shape, v, err := npy.ReadFloat64(filepath.Join(out, fmt.Sprintf("run%d", run), "outputs", fmt.Sprintf("output_%06d.npy", iter)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(shape) != fmt.Sprint([]int{1, 1, n}) {
			t.Fatalf("output of run %d at %d has shape %v, want [1 1 %d]", run, iter, shape, n)
		}
		return v
	}
	// The NTK as a dense matrix, from the architecture the summary names.
	ca, err := loadArch(sum.Arch, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, ntk, err := kernel.Compute(context.Background(), ca.Arch, []int{n}, kernel.Options{NTK: true})
	if err != nil {
		t.Fatal(err)
	}
	theta := ntk.Dense()
	eta := 2 * lr / n
	d := make([]float64, n) // (I - eta Theta)^t (f1_0 - f2_0)
	s1, s2 := readOut(1, 0), readOut(2, 0)
	for i := range d {
		d[i] = s1[i] - s2[i]
	}
	t0 := 0
	minSSE, minIter := math.Inf(1), -1
	for k, it := range iters {
		for ; t0 < it; t0++ {
			next := make([]float64, n)
			for i := range next {
				next[i] = d[i]
				for j := range d {
					next[i] -= eta * theta[i*n+j] * d[j]
				}
			}
			d = next
		}
		var pred, obs float64
		f1, f2 := readOut(1, it), readOut(2, it)
		for i := range d {
			pred += d[i] * d[i]
			obs += (f1[i] - f2[i]) * (f1[i] - f2[i])
		}
		row := rows[k+1]
		if row[0] != strconv.Itoa(it) {
			t.Fatalf("row %d is iteration %s, want %d", k+1, row[0], it)
		}
		var v [4]float64
		for c := range v {
			if v[c], err = strconv.ParseFloat(row[c+1], 64); err != nil || math.IsNaN(v[c]) || math.IsInf(v[c], 0) {
				t.Fatalf("iteration %d, column %s: %q is not a finite number", it, rows[0][c+1], row[c+1])
			}
		}
		if !relClose(v[0], obs, 1e-9) || !relClose(float64(sum.SSE[k]), obs, 1e-9) {
			t.Errorf("iteration %d: SSE %v (csv), %v (json); the saved outputs give %v", it, v[0], sum.SSE[k], obs)
		}
		if !relClose(v[3], pred, 1e-6) || !relClose(float64(sum.SSENTK[k]), pred, 1e-6) {
			t.Errorf("iteration %d: NTK prediction %v (csv), %v (json); the dense matrix power gives %v", it, v[3], sum.SSENTK[k], pred)
		}
		if obs < minSSE {
			minSSE, minIter = obs, it
		}
	}
	if !relClose(float64(sum.Start), float64(sum.SSE[0]), 0) || !relClose(float64(sum.Final), float64(sum.SSE[len(iters)-1]), 0) ||
		!relClose(float64(sum.Min), minSSE, 1e-9) || sum.MinIter != minIter {
		t.Errorf("summary: start %v, final %v, minimum %v at %d; the series gives %v, %v, %v at %d",
			sum.Start, sum.Final, sum.Min, sum.MinIter, sum.SSE[0], sum.SSE[len(iters)-1], minSSE, minIter)
	}
	// Each run's PSNR column is that run's own metrics.
	for r := 1; r <= 2; r++ {
		m := dipReadCSV(t, filepath.Join(out, fmt.Sprintf("run%d", r), "metrics.csv"))
		col := -1
		for c, h := range m[0] {
			if h == "psnr" {
				col = c
			}
		}
		if col < 0 || len(m) != len(iters)+1 {
			t.Fatalf("run%d/metrics.csv: header %v, %d rows", r, m[0], len(m))
		}
		best, bestIter := math.Inf(-1), -1
		for k := range iters {
			a, _ := strconv.ParseFloat(m[k+1][col], 64)
			if a > best {
				best, bestIter = a, iters[k]
			}
			b, _ := strconv.ParseFloat(rows[k+1][r+1], 64)
			if !relClose(a, b, 1e-9) {
				t.Errorf("iteration %d: psnr%d is %v in trajectories.csv, %v in run%d/metrics.csv", iters[k], r, b, a, r)
			}
		}
		if got := sum.Best[r-1]; !relClose(got.PSNR, best, 1e-9) || got.Iter != bestIter {
			t.Errorf("summary: best of run %d is %v dB at %d; its metrics give %v dB at %d", r, got.PSNR, got.Iter, best, bestIter)
		}
	}
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// TestTrajectoriesWrongInput: a 1-D architecture with --image, a 2-D one
// with --signal, and a signal inside the output folder are one clear error each.
func TestTrajectoriesWrongInput(t *testing.T) {
	dir := t.TempDir()
	sig := filepath.Join(dir, "s.csv")
	var lines []string
	for _, v := range syntheticSignal(16) {
		lines = append(lines, jsonNum(v))
	}
	if err := os.WriteFile(sig, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arch, image, signal, out, want string
	}{
		{dipSignalArch, sig, "", filepath.Join(dir, "a"), "--image"},
		{dipTestArch, "", sig, filepath.Join(dir, "b"), "--signal"},
		{dipSignalArch, "", sig, dir, "holds the input"},
	} {
		c := &trajectoriesCmd{Out: tc.out}
		c.dipRunFlags = dipRunFlags{Arch: tc.arch, Image: tc.image, Signal: tc.signal, Size: "16", Task: "fit", Opt: "gd", LR: 0.5,
			Iters: 2, Every: 1, WidthKeys: "channels", RegNoise: -1, WeightDecay: -1, BurnIn: -1, SampleEvery: 1}
		err := c.Run(context.Background(), &Globals{Quiet: true, Force: true})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("arch %s, image %q, signal %q, out %s: error %v; want one naming %s", tc.arch, tc.image, tc.signal, tc.out, err, tc.want)
		}
	}
}
