package kernel

import (
	"context"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// The dry run behind Memory makes exactly the buffer requests of a real
// run, so its peak equals the real run's, and the returned maps are the
// size the estimate assumes.
func TestMemoryMatchesRun(t *testing.T) {
	for _, spec := range []string{"dip-skip:scales=3,channels=8", "dip-skip:scales=2,up=nearest,down=avg,dims=1", "deep-decoder:scales=3", "conv-stack:depth=3"} {
		a, err := arch.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		size := []int{32, 32}[:a.Dims]
		if a.Dims == 1 {
			size = []int{64}
		}
		for _, ntk := range []bool{false, true} {
			o := Options{NTK: ntk}
			dry := newRun(context.Background(), a, o, true)
			if _, _, err := dry.compute(size); err != nil {
				t.Fatal(err)
			}
			real := newRun(context.Background(), a, o, false)
			k, _, err := real.compute(size)
			if err != nil {
				t.Fatal(err)
			}
			if dry.pool.peak != real.pool.peak || dry.pool.peak == 0 {
				t.Errorf("%s ntk=%v: dry-run peak %d, real peak %d", spec, ntk, dry.pool.peak, real.pool.peak)
			}
			if p, _ := OutputPeriod(a, size); p != k.Period {
				t.Errorf("%s: OutputPeriod %d, map period %d", spec, p, k.Period)
			}
			m, err := Memory(a, size, o)
			if err != nil || m < real.pool.peak {
				t.Errorf("%s: Memory %d below the pool peak %d (%v)", spec, m, real.pool.peak, err)
			}
		}
	}
}
