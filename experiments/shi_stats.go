package experiments

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dipgp/dipgp/dip"
)

// mean returns the mean of the finite values of v (NaN if none).
func mean(v []float64) float64 {
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// stdev returns the sample standard deviation of the finite values of v
// (NaN with fewer than 2).
func stdev(v []float64) float64 {
	mu := mean(v)
	var s float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s += (x - mu) * (x - mu)
			n++
		}
	}
	if n < 2 {
		return math.NaN()
	}
	return math.Sqrt(s / float64(n-1))
}

// pmSD formats mean ± sd of v with 2 decimals.
func pmSD(v []float64) string {
	return fmt.Sprintf("%s ± %s", f2(mean(v)), f2(stdev(v)))
}

// spearmanFinite is dip.Spearman (average ranks for ties) over the pairs
// where both values are finite; NaN with fewer than 3 such pairs.
func spearmanFinite(x, y []float64) float64 {
	var a, b []float64
	for i := range x {
		if i < len(y) && !math.IsNaN(x[i]) && !math.IsInf(x[i], 0) && !math.IsNaN(y[i]) && !math.IsInf(y[i], 0) {
			a, b = append(a, x[i]), append(b, y[i])
		}
	}
	if len(a) < 3 {
		return math.NaN()
	}
	return dip.Spearman(a, b)
}

// bandSpeed is the measured speed of a run over the FBC bands: minus the
// mean over bands of log(iteration at which the band's FBC reaches 0.5),
// a band not there within the run counted at censor (twice the run's
// length), so that a larger value is faster fitting.
func bandSpeed(halfIters []float64, censor float64) float64 {
	var s float64
	for _, t := range halfIters {
		if math.IsNaN(t) || t > censor {
			t = censor
		}
		s += math.Log(math.Max(t, 1))
	}
	return -s / float64(len(halfIters))
}

// roundSig rounds x to digits significant digits (non-finite x as is).
func roundSig(x float64, digits int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', digits, 64), 64)
	return v
}
