package experiments

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/internal/imageio"
)

// TestDownsample checks the resize against cv2's bilinear rule written out
// for a factor of 4: output pixel i averages source pixels 4i+1 and 4i+2
// along each axis (source position 4i + 1.5).
func TestDownsample(t *testing.T) {
	img := imageio.New(8, 12, 1)
	for i := range img.Pix {
		img.Pix[i] = math.Sin(float64(i*i%17)) + float64(i)/7
	}
	d := downsample(img, 4)
	if d.W != 2 || d.H != 3 {
		t.Fatalf("size %dx%d, want 2x3", d.W, d.H)
	}
	at := func(y, x int) float64 { return img.Pix[y*8+x] }
	for y := 0; y < 3; y++ {
		for x := 0; x < 2; x++ {
			want := (at(4*y+1, 4*x+1) + at(4*y+1, 4*x+2) + at(4*y+2, 4*x+1) + at(4*y+2, 4*x+2)) / 4
			if got := d.Pix[y*2+x]; math.Abs(got-want) > 1e-12 {
				t.Errorf("(%d, %d) = %g, want %g", y, x, got, want)
			}
		}
	}
}

// TestLowFirst checks the band-order rule on hand-made half-fit times.
func TestLowFirst(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		h    []float64
		want bool
	}{
		{[]float64{0, 10, 10, 30, nan}, true},
		{[]float64{0, 10, 5, 30, 40}, false},
		{[]float64{0, nan, 20, nan, nan}, false},
		{[]float64{nan, nan, nan, nan, nan}, true},
	} {
		if got := lowFirst(c.h); got != c.want {
			t.Errorf("lowFirst(%v) = %v, want %v", c.h, got, c.want)
		}
	}
}

// TestReLUNetShardMerge runs relunet-vs-dip tiny whole and in two shards
// merged: every headline number must be the same.
func TestReLUNetShardMerge(t *testing.T) {
	x, err := Lookup("relunet-vs-dip")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := Config{Mode: Tiny, Seed: 2, Iters: 8}
	run := func(c Config) *Result {
		t.Helper()
		c.Out = t.TempDir()
		r, err := x.Run(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	whole := run(cfg)
	var shards []string
	for i := 0; i < 2; i++ {
		c := cfg
		c.Shard, c.Shards = i, 2
		shards = append(shards, filepath.Dir(run(c).Dir))
	}
	c := cfg
	c.MergeFrom = shards
	merged := run(c)
	for k, v := range whole.Numbers {
		if !strings.Contains(k, "seconds") && merged.Numbers[k] != v {
			t.Errorf("%s: merged %v, unsharded %v", k, merged.Numbers[k], v)
		}
	}
	if _, ok := whole.Numbers["diff_best_dip_minus_relunet"]; !ok {
		t.Error("no paired difference DIP - ReLUNet in numbers.json")
	}
}
