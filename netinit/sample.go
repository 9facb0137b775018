package netinit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/nn"
)

// Options configure Sample.
type Options struct {
	// Samples is the number of random networks in the whole run (all
	// shards together).
	Samples int
	// Seed determines every random draw: network i uses seeds derived
	// from (Seed, i) only, so results do not depend on Workers or Shards.
	Seed uint64
	// Workers is the number of networks evaluated at once; 0 = GOMAXPROCS.
	Workers int
	// FixedInput keeps one input noise for all networks (drawn from Seed);
	// by default every network gets a fresh input.
	FixedInput bool
	// Period is the phase period of the estimate (use the analytic
	// kernel's period); 0 means 1.
	Period int
	// Margin is the border left out of the estimate; -1 chooses 0 for
	// circular padding and, otherwise, a quarter of the smallest side.
	Margin int
	// Shard and Shards split the run: this run draws the networks i with
	// i mod Shards == Shard. Shards 0 means 1.
	Shard, Shards int
	// Progress, if set, is called with the number of networks done, the
	// number to do in this run and a copy of the statistics of the
	// networks done (the callee may keep it): while sampling, at most
	// every ProgressEvery (0: after every network, which costs a copy of
	// the statistics each time), and once at the end. Calls do not
	// overlap, and done grows from one to the next.
	Progress func(done, total int, s *Stats)
	// ProgressEvery is the least time between two calls of Progress
	// while sampling.
	ProgressEvery time.Duration
}

// splitmix64 mixes a seed and a stream index into a new seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// SampleSeeds returns the weight seed and the input seed of network i.
func SampleSeeds(seed uint64, i int, fixedInput bool) (weights, input uint64) {
	weights = splitmix64(splitmix64(seed) ^ uint64(2*i))
	if fixedInput {
		return weights, splitmix64(seed ^ 0x5eed)
	}
	return weights, splitmix64(splitmix64(seed) ^ uint64(2*i+1))
}

// Margin returns the border margin Sample uses for o.Margin = -1.
func autoMargin(a arch.Arch, size []int) int {
	if a.Pad == arch.Circular {
		return 0
	}
	m := size[0]
	for _, s := range size {
		m = min(m, s)
	}
	return m / 4
}

// Sample draws the networks of this shard, runs them on their input noise
// and accumulates the estimate of the second moment of their output (of
// the architecture as given: truncate it with arch.Upto or PreActivation
// to look elsewhere). size is the output size.
//
// When ctx is cancelled it stops early and returns the statistics of the
// networks completed so far together with ctx.Err().
func Sample(ctx context.Context, a arch.Arch, size []int, o Options) (*Stats, error) {
	if err := a.Validate(size); err != nil {
		return nil, err
	}
	if o.Samples < 1 {
		return nil, fmt.Errorf("netinit: samples is %d; draw at least 2 networks for error bars", o.Samples)
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	if o.Shard < 0 || o.Shard >= o.Shards {
		return nil, fmt.Errorf("netinit: shard %d/%d: the shard index must be in 0..%d", o.Shard, o.Shards, o.Shards-1)
	}
	if o.Period == 0 {
		o.Period = 1
	}
	if o.Margin < 0 {
		o.Margin = autoMargin(a, size)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	field, err := NewField(o.Period, size, o.Margin)
	if err != nil {
		return nil, err
	}
	stats, err := NewStats(o.Period, size, field.Valid())
	if err != nil {
		return nil, err
	}
	var todo []int
	for i := o.Shard; i < o.Samples; i += o.Shards {
		todo = append(todo, i)
	}
	workers = min(workers, len(todo))
	if workers > 1 {
		defer nn.SetThreads(nn.SetThreads(1))
	}
	channels := a.OutChannels()
	acc := newAccumulator(stats, len(todo), 8*workers)
	var (
		mu    sync.Mutex
		next  int
		first error
		last  = time.Now()
	)
	take := func() (int, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(todo) || first != nil || ctx.Err() != nil {
			return 0, 0, false
		}
		next++
		return next - 1, todo[next-1], true
	}
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	progress := func(final bool) {
		if o.Progress == nil {
			return
		}
		mu.Lock()
		due := first == nil && (final || time.Since(last) >= o.ProgressEvery)
		mu.Unlock()
		if !due {
			return
		}
		acc.Snapshot(func(n int, s *Stats) {
			if n == 0 && !final {
				return
			}
			mu.Lock()
			last = time.Now()
			mu.Unlock()
			o.Progress(n, len(todo), s)
		})
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := field.Clone()
			var net *nn.Net
			for {
				slot, i, ok := take()
				if !ok {
					return
				}
				ws, is := SampleSeeds(o.Seed, i, o.FixedInput)
				if net == nil {
					var err error
					if net, err = nn.Build(a, size, ws); err != nil {
						fail(err)
						return
					}
				} else {
					net.Reinit(ws)
				}
				x, err := nn.NewInput(a, size, 1, is)
				if err != nil {
					fail(err)
					return
				}
				// Batch norms normalize with this sample's own grid
				// statistics, as in DIP; nothing is kept for backward.
				y, err := net.Infer(x)
				if err != nil {
					fail(err)
					return
				}
				it := acc.item(slot)
				if err := f.Estimate(it.est, y.Data().([]float32), channels); err != nil {
					fail(err)
					return
				}
				if err := acc.prepare(it); err != nil {
					fail(fmt.Errorf("netinit: network %d: %w", i, err))
					return
				}
				acc.submit(it)
				progress(false)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	// Every network taken was submitted, and its submitter added it to
	// every stripe: the stripes are level.
	stats.N = acc.Done()
	stats.Feat.N = stats.N
	progress(true)
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	return stats, nil
}
