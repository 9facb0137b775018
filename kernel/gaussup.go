package kernel

import "github.com/dipgp/dipgp/arch"

// Gaussian up-sampling rule (Shi et al.'s control; docs/theory.md section
// 11). The layer is a fixed per-channel transposed
// convolution with stride 2, 5 taps g = arch.GaussTaps(sigma) per axis and
// PyTorch's padding 2, output padding 1: output o reads input i with weight
// g[o + 2 - 2i] whenever 0 <= o + 2 - 2i <= 4, so
//
//	y[2j]   = g[2] x[j] + g[0] x[j+1] + g[4] x[j-1],
//	y[2j+1] = g[3] x[j] + g[1] x[j+1].
//
// Being linear and the same for every channel, it maps a kernel K to
// A K A^T exactly at any width, like bilinear up-sampling, and the result
// is cyclostationary with the doubled period.

// gaussTerms returns the input offsets (relative to j) and weights read by
// output parity e; unused entries have weight 0.
func gaussTerms(g [5]float64, e int) (off [3]int, w [3]float64) {
	if e == 0 {
		return [3]int{0, 1, -1}, [3]float64{g[2], g[0], g[4]}
	}
	return [3]int{0, 1, 0}, [3]float64{g[3], g[1], 0}
}

func gaussUpStencil(sigma float64, pIn, nIn int) stencil {
	g := arch.GaussTaps(sigma)
	return newStencil(pIn, nIn, 2*pIn, 2*nIn, 9, func(p, d int, t []term) {
		e := p % 2
		e2 := (e + d) % 2
		di := (e + d) / 2
		o1, w1 := gaussTerms(g, e)
		o2, w2 := gaussTerms(g, e2)
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				t[3*j+k] = term{p/2 + o1[j], di + o2[k] - o1[j], w1[j] * w2[k]}
			}
		}
	})
}
