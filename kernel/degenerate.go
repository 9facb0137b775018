package kernel

import (
	"fmt"
	"math"
)

// ConstantTol is the relative spread below which Degenerate calls a
// kernel constant: (max - min) over all entries at most ConstantTol times
// the largest |entry|.
const ConstantTol = 1e-6

// Degenerate returns why the map m carries no spatial information, or ""
// when it does: a variance that is zero (every signal underflowed, e.g.
// a very deep stack), not finite (overflow), or a map constant to
// ConstantTol (every pair of pixels equally correlated: the network's
// output is a random constant image).
func Degenerate(m Map) string {
	if len(m.Data) == 0 {
		return "the kernel is empty"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m.Data {
		if v-v != 0 { // NaN or ±Inf; plain comparisons below (math.Min is slow on 10^8 entries)
			return fmt.Sprintf("the kernel has a non-finite entry (%v): the signal overflowed through the layers", v)
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	big := max(math.Abs(lo), math.Abs(hi))
	v := m.MeanVariance()
	switch {
	case big == 0:
		return "the kernel is exactly zero: the signal underflowed to 0 through the layers (too deep, or weight scales that shrink it)"
	case v <= 0:
		return fmt.Sprintf("the kernel's mean variance is %g, not positive", v)
	case hi-lo <= ConstantTol*big:
		return fmt.Sprintf("the kernel is constant to %.0e (every pair of pixels equally correlated, variance %.3g): the output is a random constant image and shows no spatial structure", ConstantTol, v)
	}
	return ""
}
