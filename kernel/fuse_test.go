package kernel

import (
	"context"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestFusedPassesBitIdentical checks that leaving a batch norm's centring
// and a 1x1 conv's scaling to the layer after it (run.fuse; mean-field
// batch norm only) gives bit for bit the maps of the separate passes, on
// networks with every fused pair: batch norm then activation (affine or
// not), 1x1 conv then activation, 1x1 conv then batch norm then
// activation, in 1-D and 2-D, with the closed-form and the series rules;
// and an activation whose output goes to another one (through at most a
// fused conv) leaving the rows dy > H/2 to its reader (part.half), or to
// a conv that is not elementwise (which completes them first).
func TestFusedPassesBitIdentical(t *testing.T) {
	cases := []struct {
		spec string
		size []int
	}{
		{"dip-skip:scales=2,channels=8", []int{16, 16}},
		{"dip-skip:scales=2,channels=8,act=tanh,sb=0.3,init=normal", []int{16, 16}},
		{"dip-skip:scales=3,channels=8,dims=1,act=relu", []int{32}},
		{"deep-decoder:scales=2,channels=8,act=sigmoid", []int{16, 16}},
		{"conv-stack:dims=1,depth=3,channels=8,act=erf,bias=true,sb=0.5", []int{24}},
		{"conv-stack:depth=3,channels=8,act=relu", []int{12, 16}},
		{"dip-skip:scales=2,channels=8,bn=false,up=nearest", []int{16, 16}},
	}
	for _, c := range cases {
		a, err := arch.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		o := Options{NTK: true, BN: BNMeanField, Workers: 2}
		var got [2][2]Map
		for i, noFuse := range []bool{false, true} {
			r := newRun(context.Background(), a, o, false)
			r.noFuse = noFuse
			k, th, err := r.compute(c.size)
			if err != nil {
				t.Fatalf("%s: %v", c.spec, err)
			}
			got[i] = [2]Map{k, th}
		}
		for j, name := range []string{"NNGP", "NTK"} {
			f, s := got[0][j].Data, got[1][j].Data
			if len(f) != len(s) {
				t.Fatalf("%s %s: %d values fused, %d separate", c.spec, name, len(f), len(s))
			}
			for i := range f {
				if math.Float64bits(f[i]) != math.Float64bits(s[i]) {
					t.Errorf("%s %s: value %d is %v fused, %v in separate passes", c.spec, name, i, f[i], s[i])
					break
				}
			}
		}
	}
}
