package netinit

import (
	"context"
	"github.com/dipgp/dipgp/kernel"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

func mustArch(t *testing.T, spec string) arch.Arch {
	t.Helper()
	a, err := arch.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSampleDeterministicAcrossWorkersAndShards(t *testing.T) {
	a := mustArch(t, "dip-skip:scales=2,channels=8,skip=2,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1")
	size := []int{16, 16}
	o := Options{Samples: 12, Seed: 42, Period: 4}
	ctx := context.Background()
	o.Workers = 1
	one, err := Sample(ctx, a, size, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 3
	three, err := Sample(ctx, a, size, o)
	if err != nil {
		t.Fatal(err)
	}
	// Three shards, merged in reverse order.
	var merged *Stats
	for k := 2; k >= 0; k-- {
		so := o
		so.Shard, so.Shards, so.Workers = k, 3, 2
		s, err := Sample(ctx, a, size, so)
		if err != nil {
			t.Fatal(err)
		}
		if merged == nil {
			merged = s
		} else if err := merged.Merge(s); err != nil {
			t.Fatal(err)
		}
	}
	// Within a run, networks are added in index order: the double-double
	// sums themselves, not only the estimate, match.
	for i := range one.SumHi {
		if one.SumHi[i] != three.SumHi[i] || one.SumLo[i] != three.SumLo[i] || one.CSqLo[i] != three.CSqLo[i] {
			t.Fatalf("3 workers: the sums differ from 1 worker's at %d", i)
		}
	}
	m1, s1, _ := one.Estimate()
	for name, st := range map[string]*Stats{"3 workers": three, "3 shards merged": merged} {
		m2, s2, _ := st.Estimate()
		if st.N != one.N {
			t.Fatalf("%s: N = %d, want %d", name, st.N, one.N)
		}
		for i := range m1.Data {
			if m1.Data[i] != m2.Data[i] || s1.Data[i] != s2.Data[i] {
				t.Fatalf("%s differs from 1 worker at %d: %v±%v vs %v±%v", name, i, m2.Data[i], s2.Data[i], m1.Data[i], s1.Data[i])
			}
		}
	}
	// A different seed gives a different estimate (the test can fail).
	o.Seed = 43
	other, _ := Sample(ctx, a, size, o)
	m3, _, _ := other.Estimate()
	if m3.Data[0] == m1.Data[0] {
		t.Error("seed does not change the draw")
	}
}

func TestShardFilesMergeEqualsUnsharded(t *testing.T) {
	a := mustArch(t, "conv-stack:depth=2,channels=8,dims=1")
	size := []int{32}
	ctx := context.Background()
	cfg := CheckConfig{Arch: a, Size: size, Options: Options{Samples: 10, Seed: 7, Margin: -1}}
	full, err := Check(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for k := 0; k < 2; k++ {
		c := cfg
		c.Options.Shard, c.Options.Shards = k, 2
		r, err := Check(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := WriteStats(dir, c, r.Stats); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	_, merged, err := Merge(ctx, dirs)
	if err != nil {
		t.Fatal(err)
	}
	if !merged.Complete || merged.Samples != 10 {
		t.Fatalf("merged %d samples, complete %v", merged.Samples, merged.Complete)
	}
	for i := range full.Empirical.Data {
		if full.Empirical.Data[i] != merged.Empirical.Data[i] || full.Stderr.Data[i] != merged.Stderr.Data[i] {
			t.Fatalf("entry %d: unsharded %v, merged %v", i, full.Empirical.Data[i], merged.Empirical.Data[i])
		}
	}
	if _, _, err := Merge(ctx, []string{dirs[0], dirs[0]}); err == nil {
		t.Error("merging a shard with itself succeeded")
	}
}

// TestWideNetworkMatchesKernel is the equivalence itself on a case small
// enough for a unit test: a 1-D conv-ReLU stack at width 256 must match
// the analytic NNGP to within its Monte Carlo error plus an O(1/width)
// bias, while at width 4 the bias must be visible.
func TestWideNetworkMatchesKernel(t *testing.T) {
	ctx := context.Background()
	run := func(width string, samples int) CheckResult {
		a := mustArch(t, "conv-stack:dims=1,depth=3,sigma=2,channels="+width)
		r, err := Check(ctx, CheckConfig{Arch: a, Size: []int{64}, Options: Options{Samples: samples, Seed: 3, Margin: -1}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wide := run("256", 60)
	if wide.Shape.MaxRelError > 4*wide.Shape.MeanStderr+2.0/256 {
		t.Errorf("width 256: shape error %.3g of the variance exceeds noise %.3g + 1/width", wide.Shape.MaxRelError, wide.Shape.MeanStderr)
	}
	if math.Abs(wide.Comparison.BiasRelError) > 4*wide.Comparison.MeanStderr+2.0/256 {
		t.Errorf("width 256: level bias %.3g exceeds noise %.3g", wide.Comparison.BiasRelError, wide.Comparison.MeanStderr)
	}
	narrow := run("4", 400)
	if narrow.Shape.Consistent {
		t.Errorf("width 4 agrees with the infinite-width kernel (%s): the check cannot detect finite width", narrow.Verdict)
	}
}

// TestMergeAsOtherBNRule compares stored networks with another
// batch-norm rule: the merged empirical map is unchanged, the analytic
// one is the kernel of the requested rule, and the stored rule is kept
// when nothing is overridden.
func TestMergeAsOtherBNRule(t *testing.T) {
	a := mustArch(t, "encdec:dims=1,scales=2,channels=4,in_channels=4,out_channels=1,out_act=identity,up=nearest,pad=circular")
	size := []int{16}
	ctx := context.Background()
	cfg := CheckConfig{Arch: a, Size: size, Options: Options{Samples: 4, Seed: 3}, BN: kernel.BNMeanField}
	r, err := Check(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteStats(dir, cfg, r.Stats); err != nil {
		t.Fatal(err)
	}
	kmf, _, err := kernel.Compute(ctx, a, size, kernel.Options{BN: kernel.BNMeanField})
	if err != nil {
		t.Fatal(err)
	}
	kex, _, err := kernel.Compute(ctx, a, size, kernel.Options{BN: kernel.BNExact, Samples: 64, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, same, err := Merge(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := MergeAs(ctx, []string{dir}, func(c *CheckConfig) { c.BN, c.BNSamples, c.BNSeed = kernel.BNExact, 64, 5 })
	if err != nil {
		t.Fatal(err)
	}
	if same.BN != "meanfield" || other.BN != "exact" {
		t.Fatalf("rules %q and %q, want meanfield and exact", same.BN, other.BN)
	}
	differ := false
	for i := range kmf.Data {
		if same.Analytic.Data[i] != kmf.Data[i] || other.Analytic.Data[i] != kex.Data[i] {
			t.Fatalf("entry %d: analytic %v and %v, want %v and %v", i, same.Analytic.Data[i], other.Analytic.Data[i], kmf.Data[i], kex.Data[i])
		}
		if same.Empirical.Data[i] != other.Empirical.Data[i] {
			t.Fatalf("entry %d: empirical map changed with the rule", i)
		}
		differ = differ || kmf.Data[i] != kex.Data[i]
	}
	if !differ {
		t.Fatal("the exact and mean-field kernels are equal; the test cannot tell the rules apart")
	}
}
