package experiments

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dipgp/dipgp/data"
)

// sane lists, per experiment, headline numbers that must be there and the
// range they must lie in, even on tiny sizes.
var sane = map[string][]struct {
	key    string
	lo, hi float64
}{
	"cheng-kernels-1d":   {{"k_sigma0_depth2_d1", 0.49, 0.50}, {"ref_max_abs_diff_sigma2_depth4", 0, 0.01}, {"ref_abs_diff_white_depth2", 0, 1e-3}},
	"cheng-mc-1d":        {{"rms_rel_error_sigma2_depth4", 0, 1}, {"shape_within2_sigma0_depth2", 0, 1}},
	"cheng-encdec-1d":    {{"nonstationarity_sigma0_scales3", 0, 1}, {"rms_rel_error_sigma2.5_scales5", 0, 2}, {"p_value_width8", 0, 1}},
	"encdec-bn-1d":       {{"nonstationarity_sigma0_scales3", 0, 1}, {"rms_rel_error_sigma2.5_scales4", 0, 2}},
	"prior-samples":      {{"gp_msq_ratio_dip-skip_2-D", 0.05, 20}, {"net_msq_ratio_conv-stack_1-D", 0.05, 20}},
	"dip-kernel-2d":      {{"slope_ntk_default", -10, 0}, {"nonstationarity_nngp_noskip", 0, 1}, {"half_power_ntk_default", 0, 0.5}},
	"gp-inpaint":         {{"psnr_cheng64_gp_dip", 5, 60}, {"psnr_cheng64_gp_rbf", 5, 60}, {"psnr_set_mean_gp_dip", 5, 60}},
	"denoise-sgld":       {{"psnr_noisy", 5, 40}, {"psnr_best_run1", 5, 60}, {"psnr_mean_final_run4", 5, 60}, {"psnr_avg_final_run2", 5, 60}},
	"denoise-sgld-table": {{"table_at_paper_method3_mean", 5, 60}, {"table_best_method1_mean", 5, 60}, {"diff_sgld_minus_adam_best_se", 0, 30}},
	"inpaint-sgld-table": {{"table_at_paper_method3_mean", 5, 60}, {"table_at_paper_avg_method2_mean", 5, 60}},
	"spectral-order":     {{"sse_final_triangle_02", 0, 1e6}, {"spearman_freq_vs_half_fit_triangle_09", -1, 1}},
	"spectral-lowpass":   {{"best_psnr_observed_gd_mean", 5, 60}, {"best_iter_observed_adam_mean", 0, 40}, {"best_psnr_predicted_gd_mean", 5, 60}},
	"fbc":                {{"fbc_final_band1_adam", 0, 1}, {"fbc_rms_band1_gd", 0, 1}, {"fbc_at_peak_band1_mean", 0, 1}},
	"arch-sweep":         {{"slope_nngp_arch1", -10, 0}, {"half_iter_f0.25_arch1", 1, 1e12}},
	"shi-stopping":       {{"psnr_lost_shi_mean_gd", 0, 30}, {"runs_adam", 2, 2}},
}

func TestTinyAll(t *testing.T) {
	out := t.TempDir()
	for _, x := range List() {
		t.Run(x.Name, func(t *testing.T) {
			t0 := time.Now()
			res, err := x.Run(context.Background(), Config{Out: out, Mode: Tiny, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.1f s, %d files, %d numbers", x.Name, time.Since(t0).Seconds(), len(res.Files), len(res.Numbers))
			checkFiles(t, res)
			// Config.Images is empty: the embedded images must be found.
			for _, n := range res.Notes {
				if strings.Contains(n, "imageio.Synthetic") {
					t.Errorf("an embedded test image was not found: %s", n)
				}
			}
			for _, c := range sane[x.Name] {
				v, ok := res.Numbers[c.key]
				if !ok {
					t.Errorf("number %s missing", c.key)
					continue
				}
				if !(v >= c.lo && v <= c.hi) {
					t.Errorf("%s = %v, want in [%v, %v]", c.key, v, c.lo, c.hi)
				}
			}
		})
	}
}

func checkFiles(t *testing.T, res *Result) {
	t.Helper()
	report, err := os.ReadFile(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		st, err := os.Stat(filepath.Join(res.Dir, f))
		if err != nil {
			t.Errorf("file %s: %v", f, err)
			continue
		}
		if st.Size() == 0 {
			t.Errorf("file %s is empty", f)
		}
		if strings.HasSuffix(f, ".png") && !strings.Contains(string(report), "("+f+")") {
			t.Errorf("%s is not embedded in report.md", f)
		}
	}
	var nums map[string]float64
	b, err := os.ReadFile(filepath.Join(res.Dir, "numbers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &nums); err != nil {
		t.Fatalf("numbers.json: %v", err)
	}
	if len(nums) == 0 {
		t.Error("no numbers")
	}
	for k, v := range nums {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s = %v", k, v)
		}
	}
}

// TestLoadTestImage reads an image from the embedded set and the same
// bytes from a folder given as Config.Images.
func TestLoadTestImage(t *testing.T) {
	emb, where, err := loadTestImage("", "cameraman256.png")
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	dir := t.TempDir()
	b, err := data.ReadImage("cameraman256.png")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cameraman256.png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := loadTestImage(dir, "cameraman256.png")
	if err != nil {
		t.Fatal(err)
	}
	if got.W != 256 || got.H != 256 || got.C != 1 || len(got.Pix) != len(emb.Pix) {
		t.Fatalf("from the folder: %dx%dx%d", got.W, got.H, got.C)
	}
	for i := range got.Pix {
		if got.Pix[i] != emb.Pix[i] {
			t.Fatalf("pixel %d: folder %v, embedded %v", i, got.Pix[i], emb.Pix[i])
		}
	}
	if _, where, err := loadTestImage(dir, "house256rgb.png"); err == nil || !strings.Contains(where, dir) {
		t.Errorf("a file missing from the folder: err %v, where %q", err, where)
	}
}

// TestImagesFolderRefused checks that a Config.Images folder that does not
// exist, or holds none of an experiment's images, or lacks one it reads,
// is an error naming the folder in every mode, while a file missing from
// the embedded set (the default location) still falls back to the
// synthetic image in Tiny and Quick.
func TestImagesFolderRefused(t *testing.T) {
	x, err := Lookup("denoise-sgld")
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, dir := range []string{filepath.Join(empty, "missing"), empty} {
		for _, m := range []Mode{Tiny, Full} {
			_, err := x.Run(context.Background(), Config{Out: t.TempDir(), Mode: m, Seed: 1, Images: dir})
			if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "leave --images out") {
				t.Errorf("%s, Images %s: error %v, want one naming the folder and the fix", m, dir, err)
			}
		}
	}

	// A folder with some but not all of the images the run reads.
	for _, m := range []Mode{Tiny, Quick} {
		e := newEnv(context.Background(), Config{Out: empty, Mode: m, Images: empty}, x, empty)
		if _, _, err := e.testImage("house256rgb.png", 32, 3); err == nil || !strings.Contains(err.Error(), empty) {
			t.Errorf("%s: an image missing from the named folder: error %v", m, err)
		}
		// The default location keeps the fall-back.
		e = newEnv(context.Background(), Config{Out: empty, Mode: m}, x, empty)
		img, src, err := e.testImage("no-such-image.png", 32, 3)
		if err != nil || img.W != 32 || !strings.Contains(src, "synthetic") {
			t.Errorf("%s: an image missing from the embedded set: %v, %q, want the synthetic fall-back", m, err, src)
		}
	}
	e := newEnv(context.Background(), Config{Out: empty, Mode: Full}, x, empty)
	if _, _, err := e.testImage("no-such-image.png", 32, 3); err == nil {
		t.Error("Full: an image missing from the embedded set did not fail")
	}
}

// TestNumbersJSON checks numbers.json: every number reads back exactly
// with encoding/json (small, large and negative values, keys that need
// escaping), and a non-finite number is an error, not a file that no JSON
// reader accepts.
func TestNumbersJSON(t *testing.T) {
	x, err := Lookup("cheng-kernels-1d")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"a": 1e-7, "b": 1234567, "c": -0.25, "d": 1e300, "e\"<quote>": 3, "f": 0}
	dir := t.TempDir()
	e := newEnv(context.Background(), Config{Out: dir, Mode: Tiny}, x, dir)
	for k, v := range want {
		e.num(k, v)
	}
	if err := e.finish(nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "numbers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]float64
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("numbers.json does not read back: %v\n%s", err, b)
	}
	if len(got) != len(want) {
		t.Errorf("numbers.json has %d numbers, want %d:\n%s", len(got), len(want), b)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: read back %v, want %v", k, got[k], v)
		}
	}
	e = newEnv(context.Background(), Config{Out: dir, Mode: Tiny}, x, dir)
	e.res.Numbers["bad"] = math.NaN()
	if err := e.finish(nil); err == nil {
		b, _ := os.ReadFile(filepath.Join(dir, "numbers.json"))
		t.Errorf("a NaN number: no error; numbers.json:\n%s", b)
	}
}

// TestOverridesRefused: --iters or --samples for an experiment that would
// ignore them is one error naming those that take them, before anything is
// written; the lists follow the registry.
func TestOverridesRefused(t *testing.T) {
	x, err := Lookup("cheng-sgld-1d")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err = x.Run(context.Background(), Config{Out: out, Mode: Tiny, Iters: 5})
	if err == nil || !strings.Contains(err.Error(), "does not take --iters") || !strings.Contains(err.Error(), "denoise-sgld") {
		t.Errorf("cheng-sgld-1d with Iters: got %v", err)
	}
	y, err := Lookup("fbc")
	if err != nil {
		t.Fatal(err)
	}
	_, err = y.Run(context.Background(), Config{Out: out, Mode: Tiny, Samples: 5})
	if err == nil || !strings.Contains(err.Error(), "does not take --samples") || !strings.Contains(err.Error(), "cheng-mc-1d") {
		t.Errorf("fbc with Samples: got %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused runs wrote %d entries", len(entries))
	}
	var iters, samples []string
	for _, x := range List() {
		if x.TakesIters {
			iters = append(iters, x.Name)
		}
		if x.TakesSamples {
			samples = append(samples, x.Name)
		}
	}
	if !reflect.DeepEqual(TakingIters(), iters) || !reflect.DeepEqual(TakingSamples(), samples) || len(iters) == 0 || len(samples) == 0 {
		t.Errorf("TakingIters %v, TakingSamples %v; registry %v, %v", TakingIters(), TakingSamples(), iters, samples)
	}
}
