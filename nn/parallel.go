package nn

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/dipgp/dipgp/internal/sgemm"
)

var nthreads atomic.Int64

func init() { nthreads.Store(int64(max(1, runtime.GOMAXPROCS(0)))) }

// SetThreads sets the number of goroutines nn uses (and, through
// sgemm.SetThreads, the GEMMs use) and returns the previous value. The
// default is runtime.GOMAXPROCS(0). Values below 1 are taken as 1. Results
// are bit-identical for every thread count. The setting is global to the
// process: several networks run in parallel goroutines should each use
// SetThreads(1).
func SetThreads(k int) int {
	k = max(1, k)
	sgemm.SetThreads(k)
	return int(nthreads.Swap(int64(k)))
}

// Threads returns the number of goroutines set by SetThreads.
func Threads() int { return int(nthreads.Load()) }

// parallelFor calls fn(lo, hi) on disjoint ranges covering [0, n), in up to
// Threads() goroutines when the work (n items of cost each) is large enough.
// fn must only write data owned by its items, so the result does not depend
// on the split.
func parallelFor(n int, cost int, fn func(lo, hi int)) {
	t := Threads()
	if n <= 0 {
		return
	}
	if t > n {
		t = n
	}
	// Below ~64k element operations a goroutine costs more than it saves.
	if total := n * max(cost, 1); total < 1<<16 {
		t = 1
	} else if t > total>>15 {
		t = max(1, total>>15)
	}
	if t <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(t - 1)
	for w := 1; w < t; w++ {
		lo, hi := n*w/t, n*(w+1)/t
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/t)
	wg.Wait()
}
