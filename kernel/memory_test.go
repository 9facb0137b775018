package kernel

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

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

// Memory is an upper bound on the heap Compute really uses: a sampler
// reads the bytes of live and not yet collected heap objects while
// Compute runs (at every layer and every millisecond), and their peak
// above the heap before the call must stay below the estimate, and not
// far below it (the estimate is meant to be within about 10%).
func TestMemoryBoundsMeasuredHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures a 64x64 run")
	}
	a, err := arch.Parse("dip-skip:scales=3,channels=8,bn=false")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{192, 192}
	for _, w := range []int{1, 4} {
		o := Options{NTK: true, Workers: w}
		est, err := Memory(a, size, o)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		base := heapObjects()
		var peak atomic.Int64
		sample := func() {
			if h := heapObjects() - base; h > peak.Load() {
				peak.Store(h)
			}
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			tk := time.NewTicker(time.Millisecond)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					sample()
				}
			}
		}()
		o.Progress = func(int, int, string) { sample() }
		k, th, err := Compute(context.Background(), a, size, o)
		sample()
		close(stop)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		out := 8 * int64(len(k.Data)+len(th.Data))
		p := peak.Load()
		t.Logf("workers %d: estimate %s, measured heap peak %s (outputs %s)", w, FormatBytes(est), FormatBytes(p), FormatBytes(out))
		if p > est {
			t.Errorf("workers %d: measured heap peak %d above the estimate %d", w, p, est)
		}
		// The estimate less its fixed allowance for the runtime (32 MiB)
		// is the bytes Compute allocates plus 5%: within 10% of the peak.
		if b := est - 32<<20; float64(p) < 0.9*float64(b) {
			t.Errorf("workers %d: measured heap peak %d more than 10%% below the estimate's %d bytes of data", w, p, b)
		}
		if p < out {
			t.Errorf("workers %d: measured heap peak %d below the outputs' %d bytes: the sampler missed the run", w, p, out)
		}
	}
}

func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
