package kernel_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

func mustArch(t testing.TB, spec string) arch.Arch {
	t.Helper()
	a, err := arch.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustCompute(t testing.TB, a arch.Arch, size []int, o kernel.Options) (kernel.Map, kernel.Map) {
	t.Helper()
	k, th, err := kernel.Compute(context.Background(), a, size, o)
	if err != nil {
		t.Fatal(err)
	}
	return k, th
}

// docs/theory.md section 7: normalized ReLU kernel of a conv-ReLU stack on white
// noise, at any non-zero offset.
func TestTheoryConvStackReLU(t *testing.T) {
	want := []float64{0.3183, 0.4937, 0.6048, 0.6810, 0.7359, 0.7772}
	for depth, w := range want {
		a := mustArch(t, fmt.Sprintf("conv-stack:depth=%d,channels=4", depth+1))
		k, _ := mustCompute(t, a, []int{8, 8}, kernel.Options{})
		n := k.Normalized()
		for _, d := range [][]int{{0, 1}, {1, 0}, {3, 5}, {4, 4}} {
			got := n.At([]int{0, 0}, d)
			if math.Abs(got-w) > 5e-5 {
				t.Errorf("depth %d offset %v: %.6f, want %.4f", depth+1, d, got, w)
			}
		}
		if v := n.At([]int{0, 0}, []int{0, 0}); math.Abs(v-1) > 1e-12 {
			t.Errorf("depth %d: value at 0 is %v, want 1", depth+1, v)
		}
	}
}

func TestTheoryConvStackLeaky(t *testing.T) {
	want := []float64{0.1959, 0.3353, 0.4391, 0.5191}
	for depth, w := range want {
		a := mustArch(t, fmt.Sprintf("conv-stack:depth=%d,channels=4,act=leakyrelu,slope=0.2", depth+1))
		k, _ := mustCompute(t, a, []int{8, 8}, kernel.Options{})
		got := k.Normalized().At([]int{0, 0}, []int{2, 3})
		if math.Abs(got-w) > 5e-5 {
			t.Errorf("depth %d: %.6f, want %.4f", depth+1, got, w)
		}
	}
}

func TestTheorySmoothed1D(t *testing.T) {
	offs := []int{0, 1, 2, 4, 8, 16, 32, 64}
	want := []float64{1, 0.955, 0.872, 0.747, 0.684, 0.681, 0.681, 0.681}
	a := mustArch(t, "conv-stack:dims=1,depth=4,channels=4,sigma=2")
	k, _ := mustCompute(t, a, []int{256}, kernel.Options{})
	n := k.Normalized()
	for i, d := range offs {
		got := n.At([]int{0}, []int{d})
		t.Logf("offset %d: %.6f (docs/theory.md %.3f)", d, got, want[i])
		if math.Abs(got-want[i]) > 5e-4 {
			t.Errorf("offset %d: %.6f, want %.3f", d, got, want[i])
		}
	}
}
