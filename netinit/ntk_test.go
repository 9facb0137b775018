package netinit

import (
	"context"
	"testing"
)

// TestNTKApproachesAnalytic: the empirical NTK of random networks in the
// NTK parameterization, averaged over networks, matches the analytic NTK
// at width 64 and departs from it at width 1.
func TestNTKApproachesAnalytic(t *testing.T) {
	ctx := context.Background()
	run := func(width string, samples int) CheckResult {
		a := mustArch(t, "conv-stack:dims=1,depth=2,k=3,param=ntk,bias=true,sb=0.5,channels="+width)
		r, err := CheckNTK(ctx, CheckConfig{Arch: a, Size: []int{32}, Options: Options{Samples: samples, Seed: 11, Margin: -1}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wide := run("64", 600)
	t.Logf("width 64: %s", wide.Verdict)
	if wide.Comparison.MaxRelError > 4*wide.Comparison.MeanStderr+3.0/64 {
		t.Errorf("width 64: NTK error %.3g of the variance, noise %.3g", wide.Comparison.MaxRelError, wide.Comparison.MeanStderr)
	}
	narrow := run("1", 1500)
	t.Logf("width 1: %s", narrow.Verdict)
	if narrow.Comparison.Consistent && narrow.Shape.Consistent {
		t.Errorf("width 1 agrees with the infinite-width NTK: the check cannot fail")
	}
}
