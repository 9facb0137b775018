package main

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/npy"
)

func TestSpectrumCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-q", "spectrum", "--arch", gpTestArch, "--size", "16", "--ntk", "--exact", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp spectrum exited with %d", code)
	}
	mustExist(t, dir, "spectrum.npy", "spectrum_ntk.npy", "spectrum.png", "spectrum.svg", "spectrum_ntk.png", "radial.png", "radial.svg", "radial.csv", "summary.json")
	// spectrum.npy holds the exact eigenvalues of the NNGP of the
	// pre-activation output.
	k, th, err := computeKernels(context.Background(), &Globals{Quiet: true}, mustArch(t, gpTestArch), []int{16, 16}, true, kernelFlags{})
	if err != nil {
		t.Fatal(err)
	}
	if k.Period != 4 {
		t.Fatalf("test architecture has period %d; the test wants a cyclostationary kernel", k.Period)
	}
	for _, f := range []struct {
		name string
		s    func() (gp.Spec, error)
	}{{"spectrum.npy", func() (gp.Spec, error) { return gp.Spectrum(k, true) }}, {"spectrum_ntk.npy", func() (gp.Spec, error) { return gp.Spectrum(th, true) }}} {
		want, err := f.s()
		if err != nil {
			t.Fatal(err)
		}
		shape, got, err := npy.ReadFloat64(filepath.Join(dir, f.name))
		if err != nil || len(shape) != 2 || shape[0] != 16 || shape[1] != 16 {
			t.Fatalf("%s: shape %v, %v", f.name, shape, err)
		}
		for i := range got {
			if got[i] != want.Eigen[i] {
				t.Fatalf("%s[%d] = %g, Spectrum gives %g", f.name, i, got[i], want.Eigen[i])
			}
		}
	}
	var sum spectrumSummary
	readJSON(t, filepath.Join(dir, "summary.json"), &sum)
	s, _ := gp.Spectrum(k, true)
	want, _ := s.Summarize(gp.DefaultFitLo, gp.DefaultFitHi)
	if sum.NTK == nil || !sum.NNGP.Exact || math.Abs(sum.NNGP.Slope-want.Slope) > 1e-12 || sum.NNGP.OffDiagonal <= 0 {
		t.Fatalf("summary %+v, want %+v", sum.NNGP, want)
	}
	f, err := os.Open(filepath.Join(dir, "radial.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 9 || len(rows[0]) != 3 || rows[0][2] != "ntk" {
		t.Fatalf("radial.csv: %d rows, header %v", len(rows), rows[0])
	}
	if v, _ := strconv.ParseFloat(rows[1][0], 64); v != 1.0/16 {
		t.Fatalf("first ring at %g, want 1/16", v)
	}
	// 1-D architectures work too; an unknown size form does not.
	if code := run([]string{"-q", "spectrum", "--arch", "conv-stack:dims=1,depth=2,channels=4", "--size", "32", "--out", t.TempDir()}); code != 0 {
		t.Fatal("1-D spectrum failed")
	}
	if code := run([]string{"-q", "spectrum", "--arch", gpTestArch, "--size", "18", "--out", t.TempDir()}); code == 0 {
		t.Fatal("size 18 accepted for an architecture that needs multiples of 4")
	}
	if code := run([]string{"-q", "spectrum", "--arch", gpTestArch, "--size", "16", "--fit-lo", "0.3", "--fit-hi", "0.2", "--out", t.TempDir()}); code == 0 {
		t.Fatal("inverted fit range accepted")
	}
}
