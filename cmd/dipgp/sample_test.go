package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/npy"
)

func TestSampleCommand(t *testing.T) {
	for _, c := range []struct {
		arch, size string
		dims       []int
		files      []string
	}{
		{gpTestArch, "16", []int{16, 16}, []string{"sample_000.png", "sample_002.png"}},
		{"conv-stack:dims=1,depth=2,channels=4,sigma=2", "32", []int{32}, []string{"samples.png", "samples.svg"}},
	} {
		dir := t.TempDir()
		args := []string{"-q", "sample", "--arch", c.arch, "--size", c.size, "--n", "3", "--seed", "5", "--out", dir}
		if code := run(args); code != 0 {
			t.Fatalf("%s: dipgp sample exited with %d", c.arch, code)
		}
		mustExist(t, dir, append(c.files, "samples.npy", "summary.json")...)
		shape, got, err := npy.ReadFloat64(filepath.Join(dir, "samples.npy"))
		if err != nil || shape[0] != 3 || len(shape) != len(c.dims)+1 {
			t.Fatalf("samples.npy shape %v, %v", shape, err)
		}
		// The draws are the library's draws from the same seed.
		k, _, err := computeKernels(context.Background(), &Globals{Quiet: true}, mustArch(t, c.arch), c.dims, false, kernelFlags{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := gp.NewPrior(k, gp.PriorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := p.Sample(3, 5)
		n := p.Points()
		for i := range want {
			for j, v := range want[i] {
				if got[i*n+j] != v {
					t.Fatalf("%s: sample %d value %d: %g vs library %g", c.arch, i, j, got[i*n+j], v)
				}
			}
		}
		var sum sampleSummary
		readJSON(t, filepath.Join(dir, "summary.json"), &sum)
		if sum.Note == "" || sum.N != 3 {
			t.Fatalf("summary %+v", sum)
		}
	}
	if code := run([]string{"-q", "sample", "--arch", gpTestArch, "--size", "16", "--n", "0", "--out", t.TempDir()}); code == 0 {
		t.Fatal("--n 0 accepted")
	}
}
