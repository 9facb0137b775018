package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
)

// gpTestArch is a small architecture (period 4, divisor 4) for the tests
// of spectrum, sample, gp and predict.
const gpTestArch = "dip-skip:scales=2,channels=8,skip=4,in_channels=8"

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func mustExist(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("missing output %s: %v", n, err)
		}
	}
}

func TestGPDenoiseCommand(t *testing.T) {
	for _, kern := range []string{"arch", "rbf", "matern"} {
		dir := t.TempDir()
		args := []string{"-q", "gp", "denoise", "--arch", gpTestArch, "--size", "16", "--sigma", "40", "--kernel", kern, "--out", dir}
		if code := run(args); code != 0 {
			t.Fatalf("%s: dipgp gp denoise exited with %d", kern, code)
		}
		mustExist(t, dir, "clean.png", "noisy.png", "restored.png", "summary.json")
		var r gpResult
		readJSON(t, filepath.Join(dir, "summary.json"), &r)
		if !(r.PSNRRestored > r.PSNRInput) || r.Channels != 3 || r.Hyper.Noise != 40.0/255 {
			t.Errorf("%s: result %+v", kern, r)
		}
		if kern != "arch" && !(r.Hyper.Length > 0) {
			t.Errorf("%s: no fitted length", kern)
		}
		// The restored image is the library's posterior mean, clipped and
		// quantized to 8 bits.
		if kern == "arch" {
			got, err := imageio.Load(filepath.Join(dir, "restored.png"))
			if err != nil {
				t.Fatal(err)
			}
			noisy := imageio.AddNoise(imageio.Synthetic(16, 16, 3), 40.0/255, 1)
			k, _, err := computeKernels(context.Background(), &Globals{Quiet: true}, mustArch(t, gpTestArch), []int{16, 16}, false, kernelFlags{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := gp.Denoise(k, channels(noisy), gp.DenoiseOptions{Noise: 40.0 / 255})
			if err != nil {
				t.Fatal(err)
			}
			for c := 0; c < 3; c++ {
				for i, v := range want.Mean[c] {
					if math.Abs(got.Channel(c)[i]-math.Min(1, math.Max(0, v))) > 0.5/255+1e-9 {
						t.Fatalf("restored pixel %d of channel %d: %g, library %g", i, c, got.Channel(c)[i], v)
					}
				}
			}
		}
	}
}

func mustArch(t *testing.T, spec string) arch.Arch {
	t.Helper()
	a, err := parseArch(spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestGPDenoiseImageFileAndSizes(t *testing.T) {
	dir := t.TempDir()
	img := imageio.Synthetic(18, 18, 3)
	path := filepath.Join(dir, "in.png")
	if err := imageio.Save(path, img); err != nil {
		t.Fatal(err)
	}
	// 18 is not a multiple of 4: an error naming the sizes that work.
	c := &gpDenoiseCmd{kernelFlags: kernelFlags{Arch: gpTestArch, Approx: "auto"}, imageFlags: imageFlags{Image: path, Gray: true},
		baselineFlags: baselineFlags{Kernel: "arch"}, Sigma: 25, Out: filepath.Join(dir, "out")}
	err := c.Run(context.Background(), &Globals{Quiet: true})
	if err == nil || !strings.Contains(err.Error(), "--crop") || !strings.Contains(err.Error(), "16x16") {
		t.Fatalf("size error: %v", err)
	}
	c.Crop = true
	c.JSON = false
	if err := c.Run(context.Background(), &Globals{Quiet: true}); err != nil {
		t.Fatal(err)
	}
	var r gpResult
	readJSON(t, filepath.Join(dir, "out", "summary.json"), &r)
	if r.Channels != 1 || r.Size[0] != 16 || !strings.Contains(r.Image, "cropped") {
		t.Fatalf("result %+v", r)
	}
	// Bad flags fail cleanly.
	for _, args := range [][]string{
		{"-q", "gp", "denoise", "--size", "16", "--arch", gpTestArch, "--sigma", "0", "--out", dir},
		{"-q", "gp", "denoise", "--size", "16", "--arch", "conv-stack:dims=1", "--out", dir},
		{"-q", "gp", "denoise", "--size", "16", "--kernel", "cubic", "--out", dir},
	} {
		if code := run(args); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}

func TestGPInpaintCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-q", "gp", "inpaint", "--arch", gpTestArch, "--size", "16", "--keep", "0.6", "--var-samples", "4", "--out", dir}
	if code := run(args); code != 0 {
		t.Fatalf("dipgp gp inpaint exited with %d", code)
	}
	mustExist(t, dir, "clean.png", "observed.png", "restored.png", "mask.png", "std.png", "variance.npy", "summary.json")
	var r gpResult
	readJSON(t, filepath.Join(dir, "summary.json"), &r)
	if !(r.PSNRRestored > r.PSNRInput) || math.Abs(r.Keep-0.6) > 0.1 || len(r.Iterations) != 4 {
		t.Errorf("result %+v", r)
	}
	for _, res := range r.Residuals {
		if res > 1e-6 {
			t.Errorf("residual %g", res)
		}
	}
	shape, v, err := npy.ReadFloat64(filepath.Join(dir, "variance.npy"))
	if err != nil || len(shape) != 2 || shape[0] != 16 || len(v) != 256 {
		t.Fatalf("variance.npy: %v %v", shape, err)
	}
	// A mask file of the wrong size is an error; the written mask works.
	mask := filepath.Join(dir, "mask.png")
	out2 := filepath.Join(dir, "again")
	if code := run([]string{"-q", "gp", "inpaint", "--arch", gpTestArch, "--size", "16", "--mask", mask, "--kernel", "rbf", "--var-samples", "0", "--out", out2}); code != 0 {
		t.Fatal("inpaint with a mask file failed")
	}
	var r2 gpResult
	readJSON(t, filepath.Join(out2, "summary.json"), &r2)
	if r2.Keep != r.Keep {
		t.Errorf("mask file observed %g, random mask %g", r2.Keep, r.Keep)
	}
	if code := run([]string{"-q", "gp", "inpaint", "--arch", gpTestArch, "--size", "32", "--mask", mask, "--out", out2}); code == 0 {
		t.Error("a 16x16 mask for a 32x32 image was accepted")
	}
	if code := run([]string{"-q", "gp", "inpaint", "--arch", gpTestArch, "--size", "16", "--mask", mask, "--keep", "0.5", "--out", out2}); code == 0 {
		t.Error("--mask with --keep was accepted")
	}
}
