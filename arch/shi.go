package arch

import (
	"fmt"
	"math"
)

// Shi, Mettes, Maji and Snoek's spectral-bias controls ("On Measuring and
// Controlling the Spectral Bias of the Deep Image Prior", IJCV 2022; their
// code shizenglin/Measure-and-Control-Spectral-Bias, code/models/common.py)
// are options of existing layers: Conv.Lipschitz, Upsample mode GaussianUp
// with Sigma, and BatchNorm.MeanOnly.

// GaussTaps returns the 1-D taps g[t], t = -2..2 (index t+2), of Shi et
// al.'s Gaussian up-sampling filter of width sigma: their 5 x 5 kernel is
// exp(-((i/2)^2 + (j/2)^2) / (2 sigma^2)) normalized to unit sum
// (get_kernel in code/models/common.py, offsets i, j = -2..2 halved), which
// is the outer product g g^T of the unit-sum 1-D taps
// g[t] proportional to exp(-(t/2)^2 / (2 sigma^2)).
func GaussTaps(sigma float64) [5]float64 {
	var g [5]float64
	var s float64
	for t := -2; t <= 2; t++ {
		x := float64(t) / 2 / sigma
		g[t+2] = math.Exp(-x * x / 2)
		s += g[t+2]
	}
	for i := range g {
		g[i] /= s
	}
	return g
}

// LipschitzScale returns the infinite-width limit of the factor
// 1/max(1, s/lambda) that Lipschitz control applies to a conv weight whose
// entries have variance sw2/fanIn, reshaped to cout x fanIn (fanIn = C_in
// taps). By the Bai-Yin law the largest singular value of such a matrix
// tends to sqrt(sw2/fanIn) (sqrt(cout) + sqrt(fanIn)) = sqrt(sw2) (1 +
// sqrt(cout/fanIn)) when cout and fanIn grow at a fixed ratio, so the
// random factor concentrates on this deterministic one (docs/theory.md
// section 11). It returns 1 when lambda <= 0 (no control).
func LipschitzScale(lambda, sw2 float64, cout, fanIn int) float64 {
	if lambda <= 0 {
		return 1
	}
	s := math.Sqrt(sw2) * (1 + math.Sqrt(float64(cout)/float64(fanIn)))
	return 1 / max(1, s/lambda)
}

// controlProblem returns what is wrong with a layer's control options, or
// "" when nothing is.
func controlProblem(l Layer) string {
	switch l := l.(type) {
	case Conv:
		if !finite(l.Lipschitz) || l.Lipschitz < 0 {
			return fmt.Sprintf("lipschitz %v must be a finite number >= 0 (0: no Lipschitz control; Shi et al. use 1 to 3)", l.Lipschitz)
		}
	case Upsample:
		if l.Mode == GaussianUp {
			if !finite(l.Sigma) || l.Sigma <= 0 {
				return fmt.Sprintf("gaussian up-sampling needs sigma > 0 (Shi et al. use 0.1 to 0.5), got %v", l.Sigma)
			}
		} else if l.Sigma != 0 {
			return fmt.Sprintf("sigma %v is set but mode is %q; sigma belongs to mode gaussian", l.Sigma, l.Mode)
		}
	}
	return ""
}
