package netinit

import (
	"sync"
	"sync/atomic"
)

// accumulator adds the per-network estimates of Sample to a Stats in the
// order of the networks' slots 0, 1, 2, ..., whatever order the workers
// finish them in, so that the sums are the same at any worker count.
//
// The entries are split into stripes, each with its own lock and its own
// next slot: a worker that submits an estimate adds, stripe after stripe,
// every estimate that is due there. Different workers add different
// stripes at once, so the adding (memory traffic over all the sums) is
// not a serial step that caps the networks per second of many workers.
// A stripe can be ahead of another; Snapshot brings them level.
type accumulator struct {
	stats   *Stats
	stripes []stripe
	feat    stripe // the feature sums, one more ordered "stripe"

	mu       sync.Mutex
	items    []*accItem // by slot; nil until submitted, nil again when added
	complete []bool     // by slot: added to every stripe
	done     int        // slots 0..done-1 are complete
	free     []*accItem

	snap sync.Mutex // held while a snapshot is taken
}

type stripe struct {
	mu     sync.Mutex
	next   int // the next slot to add
	lo, hi int // entries
}

// accItem is one network's estimate with what its addition needs.
type accItem struct {
	est   []float64
	means []float64 // row means (CenterRows)
	x     []float64 // features (Basis.Project)
	left  atomic.Int32
	slot  int
}

// newAccumulator prepares to add slots estimates to stats, split into
// about parts stripes.
func newAccumulator(stats *Stats, slots, parts int) *accumulator {
	n := len(stats.SumHi)
	parts = max(1, min(parts, n/1024))
	a := &accumulator{stats: stats, stripes: make([]stripe, parts),
		items: make([]*accItem, slots), complete: make([]bool, slots)}
	for k := range a.stripes {
		a.stripes[k].lo, a.stripes[k].hi = k*n/parts, (k+1)*n/parts
	}
	return a
}

// item returns a free item for the estimate of slot.
func (a *accumulator) item(slot int) *accItem {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.free); n > 0 {
		it := a.free[n-1]
		a.free = a.free[:n-1]
		it.slot = slot
		return it
	}
	return &accItem{est: make([]float64, len(a.stats.SumHi)), x: make([]float64, a.stats.Feat.Basis.Len()), slot: slot}
}

// prepare checks the item's estimate and computes what adding it needs
// from the whole estimate (row means, features); run by the worker, in
// parallel with the others.
func (a *accumulator) prepare(it *accItem) error {
	if err := a.stats.validate(it.est); err != nil {
		return err
	}
	it.means = a.stats.rowMeans(it.means, it.est)
	a.stats.Feat.Basis.Project(it.x, it.est)
	return nil
}

// submit hands in a prepared item and adds what is due in every stripe.
func (a *accumulator) submit(it *accItem) {
	it.left.Store(int32(len(a.stripes) + 1))
	// Once handed in, it may be added everywhere and reused by others.
	slot := it.slot
	a.mu.Lock()
	a.items[slot] = it
	a.mu.Unlock()
	// Start at a stripe that depends on the slot, so that workers that
	// submit together do not queue on the same stripe.
	k0 := slot % len(a.stripes)
	for k := range a.stripes {
		a.drain(&a.stripes[(k0+k)%len(a.stripes)], -1)
	}
	a.drain(&a.feat, -1)
}

// due returns the item of slot, or nil if it is not submitted yet.
func (a *accumulator) due(slot int) *accItem {
	a.mu.Lock()
	defer a.mu.Unlock()
	if slot >= len(a.items) {
		return nil
	}
	return a.items[slot]
}

// drain adds to stripe s every submitted item from its next slot on, up
// to slot upto-1 (upto < 0: no limit).
func (a *accumulator) drain(s *stripe, upto int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.drainLocked(s, upto)
}

func (a *accumulator) drainLocked(s *stripe, upto int) {
	for upto < 0 || s.next < upto {
		it := a.due(s.next)
		if it == nil {
			return
		}
		if s == &a.feat {
			a.stats.Feat.addFeatures(it.x)
		} else {
			a.stats.addRange(it.est, it.means, s.lo, s.hi)
		}
		s.next++
		if it.left.Add(-1) == 0 {
			a.finished(it)
		}
	}
}

// finished recycles an item added to every stripe.
func (a *accumulator) finished(it *accItem) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.items[it.slot] = nil
	a.complete[it.slot] = true
	a.free = append(a.free, it)
	for a.done < len(a.complete) && a.complete[a.done] {
		a.done++
	}
}

// Done returns the number of slots added everywhere.
func (a *accumulator) Done() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.done
}

// Snapshot brings every stripe to the same slot, the furthest any has
// reached, copies the statistics of the slots before it while no stripe
// moves, and then calls fn with that number of slots and the copy (fn
// may keep it). It returns false, without calling fn, while another
// snapshot is being taken.
func (a *accumulator) Snapshot(fn func(n int, s *Stats)) bool {
	if !a.snap.TryLock() {
		return false
	}
	defer a.snap.Unlock()
	level, c := a.level()
	fn(level, c)
	return true
}

// level brings the stripes level and returns the slot they are at and a
// copy of the statistics.
func (a *accumulator) level() (int, *Stats) {
	all := append(make([]*stripe, 0, len(a.stripes)+1), &a.feat)
	for k := range a.stripes {
		all = append(all, &a.stripes[k])
	}
	for _, s := range all {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	level := 0
	for _, s := range all {
		level = max(level, s.next)
	}
	// Every slot below a stripe's next was submitted, so the others can
	// catch up to level.
	for _, s := range all {
		a.drainLocked(s, level)
	}
	a.stats.N, a.stats.Feat.N = level, level
	return level, a.stats.Clone()
}
