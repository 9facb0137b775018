package experiments

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestGPPosteriorClosedForm(t *testing.T) {
	// A 4-point covariance; observing points 0 and 2: mean and variance
	// at every point against the 2x2 closed-form inverse.
	K := []float64{
		2, 0.8, 0.3, 0.1,
		0.8, 2, 0.8, 0.3,
		0.3, 0.8, 2, 0.8,
		0.1, 0.3, 0.8, 2,
	}
	y := []float64{1, 0, -0.5, 0}
	mask := []bool{true, false, true, false}
	const s2 = 0.1
	mean, sd, err := gpPosterior(K, y, mask, s2)
	if err != nil {
		t.Fatal(err)
	}
	a, b, d := K[0]+s2, K[2], K[10]+s2 // [[a b] [b d]]
	det := a*d - b*b
	inv := [2][2]float64{{d / det, -b / det}, {-b / det, a / det}}
	for i := 0; i < 4; i++ {
		k := [2]float64{K[i*4], K[i*4+2]}
		var m, q float64
		for r := 0; r < 2; r++ {
			for c := 0; c < 2; c++ {
				m += k[r] * inv[r][c] * []float64{y[0], y[2]}[c]
				q += k[r] * inv[r][c] * k[c]
			}
		}
		if math.Abs(mean[i]-m) > 1e-12 || math.Abs(sd[i]-math.Sqrt(K[i*5]-q)) > 1e-12 {
			t.Errorf("point %d: mean %v sd %v, closed form %v %v", i, mean[i], sd[i], m, math.Sqrt(K[i*5]-q))
		}
	}
}

func TestChengInputScale(t *testing.T) {
	// Large sigma: the unit-sum Gaussian truncated at 3 sigma has sum of
	// squares ~ erf(3) / (2 sqrt(pi) sigma erf(3/sqrt 2)^2).
	for _, s := range []float64{15, 60} {
		want := math.Sqrt(math.Erf(3) / (2 * math.Sqrt(math.Pi) * s * math.Pow(math.Erf(3/math.Sqrt2), 2)))
		if got := chengInputScale(s); math.Abs(got/want-1) > 1e-3 {
			t.Errorf("sigma %g: %v, continuous limit %v", s, got, want)
		}
	}
}

func TestSGLD1DShardMerge(t *testing.T) {
	// The tiny run whole and in three shards merged give the same numbers.
	x, err := Lookup("cheng-sgld-1d")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	whole, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := 0; i < 3; i++ {
		dir := t.TempDir()
		if _, err := x.Run(ctx, Config{Out: dir, Mode: Tiny, Seed: 2, Shard: i, Shards: 3}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, dir)
	}
	merged, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 2, MergeFrom: shards})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Numbers) != len(whole.Numbers) || len(whole.Numbers) == 0 {
		t.Fatalf("merged run has %d numbers, unsharded %d", len(merged.Numbers), len(whole.Numbers))
	}
	for k, v := range whole.Numbers {
		if !strings.Contains(k, "seconds") && merged.Numbers[k] != v {
			t.Errorf("%s: merged %v, unsharded %v", k, merged.Numbers[k], v)
		}
	}
	if _, err := x.Run(ctx, Config{Out: t.TempDir(), Mode: Tiny, Seed: 2, MergeFrom: shards[:2]}); err == nil {
		t.Error("merging two of three shards did not fail")
	}
}
