package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/kernel"
)

func TestKernelCommand(t *testing.T) {
	for _, c := range []struct {
		arch, size string
		shape      []int
	}{
		{"dip-skip:scales=2,channels=8,skip=4,in_channels=8", "16", []int{4, 4, 16, 16}},
		{"conv-stack:dims=1,depth=3,channels=4,sigma=2", "64", []int{1, 64}},
		{"dip-skip:scales=2,channels=8,dims=1,up=nearest", "32", []int{4, 32}},
	} {
		dir := t.TempDir()
		args := []string{"-q", "kernel", "--arch", c.arch, "--size", c.size, "--out", dir, "--max-memory", "2GB"}
		if code := run(args); code != 0 {
			t.Fatalf("%s: dipgp kernel exited with %d", c.arch, code)
		}
		for _, f := range []string{"nngp.png", "nngp.svg", "profile.png", "profile.svg", "kernel.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: missing %s", c.arch, f)
			}
		}
		// The .npy files hold exactly what kernel.Compute returns.
		a, err := arch.Parse(c.arch)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := parseSize(c.size, a.Dims)
		k, th, err := kernel.Compute(context.Background(), a, size, kernel.Options{NTK: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			name string
			m    kernel.Map
		}{{"nngp.npy", k}, {"ntk.npy", th}} {
			shape, data, err := npy.ReadFloat64(filepath.Join(dir, f.name))
			if err != nil {
				t.Fatal(err)
			}
			if len(shape) != len(c.shape) {
				t.Fatalf("%s %s: shape %v, want %v", c.arch, f.name, shape, c.shape)
			}
			for i := range shape {
				if shape[i] != c.shape[i] {
					t.Fatalf("%s %s: shape %v, want %v", c.arch, f.name, shape, c.shape)
				}
			}
			for i := range data {
				if data[i] != f.m.Data[i] {
					t.Fatalf("%s %s: value %d is %v, Compute gives %v", c.arch, f.name, i, data[i], f.m.Data[i])
				}
			}
		}
		var sum kernelSummary
		b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Period != c.shape[0] || sum.PeakBytes <= 0 || sum.EstimatedBytes <= 0 || math.Abs(sum.NNGP.Variance-k.MeanVariance()) > 1e-15*k.MeanVariance() {
			t.Errorf("%s: kernel.json %+v", c.arch, sum)
		}
		if sum.NNGP.VarianceMin > sum.NNGP.Variance || sum.NNGP.VarianceMax < sum.NNGP.Variance {
			t.Errorf("%s: variance range %+v", c.arch, sum.NNGP)
		}
	}
}

// The pre-activation kernel of dip-skip differs from the post-sigmoid one
// and equals Compute on PreActivation.
func TestKernelCommandPreActivation(t *testing.T) {
	dir := t.TempDir()
	spec := "dip-skip:scales=2,channels=8,skip=4,in_channels=8"
	if code := run([]string{"-q", "kernel", "--arch", spec, "--size", "16", "--out", dir, "--pre-activation", "--max-memory", "1GiB"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	a, _ := arch.Parse(spec)
	k, _, err := kernel.Compute(context.Background(), a.PreActivation(), []int{16, 16}, kernel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, data, err := npy.ReadFloat64(filepath.Join(dir, "nngp.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if data[i] != k.Data[i] {
			t.Fatalf("value %d: %v, want %v", i, data[i], k.Data[i])
		}
	}
}

func TestKernelCommandMemoryLimit(t *testing.T) {
	c := &kernelCmd{Arch: "dip-skip:scales=3", Size: "256x128", Out: t.TempDir(), MaxMemory: "100MB"}
	err := c.Run(context.Background(), &Globals{Quiet: true})
	if err == nil || !strings.Contains(err.Error(), "largest size of this shape that fits is") || !strings.Contains(err.Error(), "--max-memory") {
		t.Fatalf("error %v", err)
	}
	// The suggested size fits and keeps the aspect ratio.
	i := strings.Index(err.Error(), "fits is ")
	var h, w int
	if _, e := fmt.Sscanf(err.Error()[i+len("fits is "):], "%dx%d", &h, &w); e != nil || h != 2*w || h%8 != 0 {
		t.Fatalf("suggested size in %q", err)
	}
	a, _ := arch.Parse("dip-skip:scales=3")
	need, _ := kernel.Memory(a, []int{h, w}, kernel.Options{NTK: true})
	if need > 100e6 {
		t.Errorf("suggested %dx%d needs %d bytes", h, w, need)
	}
}

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"123": 123, "8GB": 8e9, "8 GiB": 8 << 30, "6G": 6 << 30, "1.5MB": 1.5e6, "512MiB": 512 << 20, "2kB": 2000} {
		got, err := parseBytes(s)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "GB", "-1GB", "3 parsecs", "1e400"} {
		if _, err := parseBytes(s); err == nil {
			t.Errorf("parseBytes(%q) accepted", s)
		}
	}
}

// TestHugeSizesRefusedAtOnce runs the commands that ran out of memory or
// spent minutes estimating: each must refuse within seconds, naming the
// estimate and the limit.
func TestHugeSizesRefusedAtOnce(t *testing.T) {
	for _, args := range [][]string{
		{"-q", "kernel", "--size", "1000000000", "--out", t.TempDir()},
		{"-q", "kernel", "--size", "16384", "--max-memory", "16GB", "--out", t.TempDir()},
		{"-q", "check", "--size", "100000", "--max-memory", "16GB", "--out", t.TempDir()},
		{"-q", "sample", "--n", "1000000", "--size", "64", "--max-memory", "16GB", "--out", t.TempDir()},
		{"-q", "gp", "denoise", "--size", "16384", "--max-memory", "16GB", "--out", t.TempDir()},
	} {
		start := time.Now()
		if code := run(args); code != 1 {
			t.Errorf("%v: exit code %d, want 1", args, code)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%v: refused after %v", args, d)
		}
	}
}
