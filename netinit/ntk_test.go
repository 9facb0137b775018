package netinit

import (
	"context"
	"reflect"
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

// TestSampleNTKWorkerCountInvariant: the NTK statistics are the same bits
// for 1 and 4 workers (rows are added in network order, not as they finish).
func TestSampleNTKWorkerCountInvariant(t *testing.T) {
	a := mustArch(t, "conv-stack:dims=1,depth=2,k=3,param=ntk,bias=true,sb=0.5,channels=8")
	var got []*Stats
	for _, w := range []int{1, 4} {
		s, err := SampleNTK(context.Background(), a, []int{32}, nil, Options{Samples: 64, Seed: 3, Margin: -1, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Error("statistics of 4 workers differ from 1 worker's")
	}
}
