package dip

import (
	"math"
	"sort"
)

// HalfFit returns the first iteration at which a decreasing ratio curve,
// sampled at iters (increasing), falls to level (0.5 for the half-fit
// iteration), interpolating log(ratio) linearly between the two samples
// around the crossing (a residual that decays as (1 - eta lambda)^t is a
// straight line there). It returns iters[0] if the curve starts at or
// below level and +Inf if it never gets there. NaN samples are skipped.
func HalfFit(iters, ratio []float64, level float64) float64 {
	prevT, prevR := math.NaN(), math.NaN()
	for i, r := range ratio {
		if math.IsNaN(r) {
			continue
		}
		t := iters[i]
		if r <= level {
			if math.IsNaN(prevR) {
				return t
			}
			if r <= 0 || prevR <= 0 {
				return t
			}
			a, b := math.Log(prevR), math.Log(r)
			if a == b {
				return t
			}
			return prevT + (t-prevT)*(a-math.Log(level))/(a-b)
		}
		prevT, prevR = t, r
	}
	return math.Inf(1)
}

// ranks returns the average ranks (1-based) of x; equal values (including
// +Inf) share their mean rank.
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their average ranks. Pairs with a NaN are left out; +Inf
// (for example a frequency never half fitted) ranks above every finite
// value, tied with the other +Inf. It returns NaN when fewer than 3 pairs
// remain or either side has a single distinct value.
func Spearman(x, y []float64) float64 {
	var a, b []float64
	for i := range x {
		if i < len(y) && !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			a = append(a, x[i])
			b = append(b, y[i])
		}
	}
	if len(a) < 3 {
		return math.NaN()
	}
	ra, rb := ranks(a), ranks(b)
	return pearson(ra, rb)
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

// rms returns the root mean square of a - b over the pairs where both are
// finite, and the number of such pairs.
func rms(a, b []float64) (float64, int) {
	s, n := 0.0, 0
	for i := range a {
		if i >= len(b) || math.IsNaN(a[i]) || math.IsNaN(b[i]) || math.IsInf(a[i], 0) || math.IsInf(b[i], 0) {
			continue
		}
		d := a[i] - b[i]
		s += d * d
		n++
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return math.Sqrt(s / float64(n)), n
}
