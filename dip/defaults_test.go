package dip

import (
	"context"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestDefaultLR checks the fixed-step defaults against their definition
// through EffectiveStep (eta_eff lambda_max = the step fraction) and that
// a missing kernel is an error, not a zero step.
func TestDefaultLR(t *testing.T) {
	a, err := arch.Parse("dip-skip:scales=1,channels=4,skip=2,out_channels=1,param=ntk")
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKernel(context.Background(), a, []int{8, 8})
	if err != nil {
		t.Fatal(err)
	}
	const n, s = 64, 0.1
	lmax := k.Prior.MaxEigenvalue()
	for _, c := range []struct {
		kind OptKind
		want float64
	}{{GD, GDStepFraction}, {SGLD, SGLDStepFraction}} {
		lr, err := DefaultLR(c.kind, k, n, s)
		if err != nil {
			t.Fatal(err)
		}
		got := EffectiveStep(Optimizer{Kind: c.kind, LR: lr, NoiseStd: s}, n) * lmax
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: eta_eff lambda_max = %v, want %v", c.kind, got, c.want)
		}
		if _, err := DefaultLR(c.kind, nil, n, s); err == nil {
			t.Errorf("%s without a kernel: no error", c.kind)
		}
	}
	if lr, err := DefaultLR(Adam, nil, n, 0); err != nil || lr != AdamLR {
		t.Errorf("adam: %v, %v", lr, err)
	}
	if _, err := DefaultLR(SGLD, k, n, 0); err == nil {
		t.Error("sgld without a noise std: no error")
	}
}
