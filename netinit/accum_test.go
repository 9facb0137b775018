package netinit

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// equalStats reports the first sum of a and b that differs, or "".
func equalStats(a, b *Stats) string {
	if a.N != b.N || a.Feat.N != b.Feat.N {
		return "N"
	}
	names := []string{"SumHi", "SumLo", "SqHi", "SqLo", "CSumHi", "CSumLo", "CSqHi", "CSqLo"}
	ra, rb := a.rows(), b.rows()
	for k := range ra {
		if !slices.Equal(ra[k], rb[k]) {
			return names[k]
		}
	}
	if !slices.Equal(a.Feat.SumHi, b.Feat.SumHi) || !slices.Equal(a.Feat.SumLo, b.Feat.SumLo) ||
		!slices.Equal(a.Feat.CrossHi, b.Feat.CrossHi) || !slices.Equal(a.Feat.CrossLo, b.Feat.CrossLo) {
		return "features"
	}
	return ""
}

// The striped accumulator, fed out of order from several goroutines,
// gives the same sums, bit for bit, as Stats.Add in slot order.
func TestAccumulatorMatchesSerialAdd(t *testing.T) {
	size := []int{16, 16}
	period := 4
	n := 256
	valid := make([]bool, period*period*n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range valid {
		valid[i] = rng.IntN(10) > 0
	}
	const slots = 23
	ests := make([][]float64, slots)
	for s := range ests {
		ests[s] = make([]float64, len(valid))
		for i := range ests[s] {
			ests[s][i] = rng.NormFloat64() * float64(1+s%3)
		}
	}
	serial, err := NewStats(period, size, valid)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ests {
		if err := serial.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	stats, _ := NewStats(period, size, valid)
	acc := newAccumulator(stats, slots, 7)
	if len(acc.stripes) < 2 {
		t.Fatalf("%d stripes; the test needs several", len(acc.stripes))
	}
	order := rng.Perm(slots)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < slots; k += 4 {
				it := acc.item(order[k])
				copy(it.est, ests[order[k]])
				if err := acc.prepare(it); err != nil {
					t.Error(err)
					return
				}
				acc.submit(it)
			}
		}()
	}
	wg.Wait()
	n2, got := acc.level()
	if n2 != slots || acc.Done() != slots {
		t.Fatalf("level %d, done %d, want %d", n2, acc.Done(), slots)
	}
	if d := equalStats(got, serial); d != "" {
		t.Fatalf("%s differs from the serial sums", d)
	}
}

// Progress snapshots taken while many workers sample hold exactly the
// statistics of the first n networks, as a run of n networks gives them
// (8 workers on 10 networks: stripes of different workers interleave).
func TestSampleProgressSnapshots(t *testing.T) {
	a := mustArch(t, "dip-skip:scales=2,channels=8,skip=2,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1")
	size := []int{16, 16}
	o := Options{Samples: 10, Seed: 7, Period: 4, Workers: 8}
	snaps := map[int]*Stats{}
	last := 0
	o.Progress = func(done, total int, s *Stats) {
		if done < last || total != 10 {
			t.Errorf("progress %d of %d after %d", done, total, last)
		}
		last = done
		snaps[done] = s
	}
	full, err := Sample(context.Background(), a, size, o)
	if err != nil {
		t.Fatal(err)
	}
	if last != 10 || equalStats(snaps[10], full) != "" {
		t.Fatalf("the last snapshot (%d networks) is not the result", last)
	}
	checked := 0
	for n, s := range snaps {
		if n == 10 || checked == 3 {
			continue
		}
		checked++
		ref, err := Sample(context.Background(), a, size, Options{Samples: n, Seed: 7, Period: 4, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if d := equalStats(s, ref); d != "" {
			t.Errorf("snapshot of %d networks: %s differs from a run of %d", n, d, n)
		}
	}
}

// A snapshot brings stripes that lag behind another up to its level.
func TestAccumulatorSnapshotLevels(t *testing.T) {
	size := []int{8, 8}
	valid := make([]bool, 4*64)
	for i := range valid {
		valid[i] = true
	}
	rng := rand.New(rand.NewPCG(3, 4))
	serial, _ := NewStats(2, size, valid)
	stats, _ := NewStats(2, size, valid)
	acc := newAccumulator(stats, 5, 4)
	acc.stripes = []stripe{{lo: 0, hi: 100}, {lo: 100, hi: 256}}
	for slot := 0; slot < 3; slot++ {
		it := acc.item(slot)
		for i := range it.est {
			it.est[i] = rng.NormFloat64()
		}
		if err := serial.Add(it.est); err != nil {
			t.Fatal(err)
		}
		if err := acc.prepare(it); err != nil {
			t.Fatal(err)
		}
		// Hand it in, but add it to the first stripe only.
		it.left.Store(3)
		acc.items[slot] = it
		acc.drain(&acc.stripes[0], -1)
	}
	if acc.stripes[1].next != 0 || acc.feat.next != 0 {
		t.Fatal("the other stripes moved")
	}
	n, got := acc.level()
	if n != 3 || acc.Done() != 3 {
		t.Fatalf("level %d, done %d, want 3", n, acc.Done())
	}
	if d := equalStats(got, serial); d != "" {
		t.Fatalf("%s differs from the serial sums of 3 samples", d)
	}
}

// Cancelled during sampling, Sample returns the statistics of the first
// networks, complete: the same as a run of that many networks.
func TestSampleCancelledIsPrefix(t *testing.T) {
	a := mustArch(t, "dip-skip:scales=2,channels=8,skip=2,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1")
	size := []int{16, 16}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := Options{Samples: 40, Seed: 11, Period: 4, Workers: 3}
	o.Progress = func(done, total int, s *Stats) {
		if done >= 3 {
			cancel()
		}
	}
	got, err := Sample(ctx, a, size, o)
	if err != context.Canceled || got == nil {
		t.Fatalf("err %v, stats %v; want the statistics so far and context.Canceled", err, got != nil)
	}
	if got.N < 3 || got.N >= 40 {
		t.Fatalf("%d networks after cancelling at 3 of 40", got.N)
	}
	ref, err := Sample(context.Background(), a, size, Options{Samples: got.N, Seed: 11, Period: 4, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := equalStats(got, ref); d != "" {
		t.Errorf("cancelled after %d networks: %s differs from a run of %d", got.N, d, got.N)
	}
}
