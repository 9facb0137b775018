package kernel_test

import (
	"math"
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
