package kernel_test

import (
	"context"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// TestEstimateBoundsMemory compares the closed-form estimate with the dry
// run of Memory at sizes above the reference: it must not under-estimate
// and must stay within 30%.
func TestEstimateBoundsMemory(t *testing.T) {
	for _, spec := range []string{"dip-skip:scales=2,channels=8", "conv-stack:depth=3", "dip-skip:dims=1,scales=3"} {
		a, err := arch.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		sizes := [][]int{{128, 128}, {192, 64}}
		if a.Dims == 1 {
			sizes = [][]int{{512}, {1024}}
		}
		for _, size := range sizes {
			o := kernel.Options{NTK: true}
			e, err := kernel.NewEstimate(a, size, o)
			if err != nil {
				t.Fatal(err)
			}
			m, err := kernel.Memory(a, size, o)
			if err != nil {
				t.Fatal(err)
			}
			if b := e.Bytes(size); b < m || float64(b) > 1.3*float64(m) {
				t.Errorf("%s at %v: estimate %d, Memory %d", spec, size, b, m)
			}
			if p, _ := kernel.OutputPeriod(a, size); p != e.Period {
				t.Errorf("%s at %v: period %d, estimate's %d", spec, size, p, e.Period)
			}
		}
	}
}

func TestDegenerate(t *testing.T) {
	m, err := kernel.NewMap(1, []int{4, 4})
	if err != nil {
		t.Fatal(err)
	}
	if kernel.Degenerate(m) == "" {
		t.Error("zero kernel not reported")
	}
	for i := range m.Data {
		m.Data[i] = 0.3
	}
	if kernel.Degenerate(m) == "" {
		t.Error("constant kernel not reported")
	}
	m.Data[1] = 0.2
	if s := kernel.Degenerate(m); s != "" {
		t.Errorf("informative kernel reported: %s", s)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		m.Data[5] = bad
		if s := kernel.Degenerate(m); !strings.Contains(s, "non-finite") {
			t.Errorf("entry %v: got %q, want the non-finite report", bad, s)
		}
	}

}

// TestMemoryBoundsAllocation: everything Compute allocates, garbage
// included (runtime.MemStats.TotalAlloc), stays within Memory's estimate
// for 2 and 16 workers, so the peak cannot exceed it whatever the garbage
// collector's timing. Per-chunk allocations that grow with the worker count
// (16 chunks per worker) broke this at 16 workers.
func TestMemoryBoundsAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("computes dip-skip at 128x128 four times (about 10 s)")
	}
	a := mustArch(t, "dip-skip")
	size := []int{128, 128}
	for _, w := range []int{2, 16} {
		o := kernel.Options{NTK: true, BN: kernel.BNMeanField, Workers: w}
		need, err := kernel.Memory(a, size, o)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if _, _, err := kernel.Compute(context.Background(), a, size, o); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		got := int64(m1.TotalAlloc - m0.TotalAlloc)
		t.Logf("workers %d: allocated %d MB, estimate %d MB", w, got>>20, need>>20)
		if got > need {
			t.Errorf("workers %d: Compute allocated %d bytes, above the estimate %d", w, got, need)
		}
	}
}
