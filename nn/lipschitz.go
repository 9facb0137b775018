package nn

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/internal/sgemm"
)

// Lipschitz control (Shi et al., arch.Conv.Lipschitz): every forward pass
// divides the effective weight Mult*W, reshaped to out x (in taps), by
// max(1, s/lambda), s its largest singular value, computed exactly (their
// code/models/common.py takes torch.svd of the weight). The divisor is
// computed from the weight's values and held constant in the backward pass
// (they divide by a tensor built from w.data), so the weight gradient is
// scaled by the same factor.

// lipschitz holds a conv's control and its last factor.
type lipschitz struct {
	lambda float64
	scale  float32   // 1/max(1, s/lambda) of the last forward pass
	gram   []float32 // workspace: the Gram matrix of the smaller side
	frozen bool      // forward passes reuse scale (tangent passes of JVP)
}

// SpectralNorm returns the largest singular value of the rows x cols
// matrix w (row-major) times mult, from the eigenvalues of its Gram matrix
// on the smaller side (float32 product, float64 eigenvalues).
func SpectralNorm(w []float32, rows, cols int, mult float32) float64 {
	var l lipschitz
	return l.norm(w, rows, cols, mult)
}

func (l *lipschitz) norm(w []float32, rows, cols int, mult float32) float64 {
	n := min(rows, cols)
	if cap(l.gram) < n*n {
		l.gram = make([]float32, n*n)
	}
	g := l.gram[:n*n]
	if rows <= cols {
		sgemm.Gemm(false, true, rows, rows, cols, 1, w, cols, w, cols, 0, g, n)
	} else {
		sgemm.Gemm(true, false, cols, cols, rows, 1, w, cols, w, cols, 0, g, n)
	}
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, 0.5*(float64(g[i*n+j])+float64(g[j*n+i])))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		// Fall back on the Frobenius norm, an upper bound.
		var f float64
		for i := 0; i < n; i++ {
			f += sym.At(i, i)
		}
		return math.Sqrt(max(f, 0)) * math.Abs(float64(mult))
	}
	vals := eig.Values(nil)
	return math.Sqrt(max(vals[len(vals)-1], 0)) * math.Abs(float64(mult))
}

// update recomputes the factor from the weight w (rows x cols) and the
// parameter multiplier mult, and returns the multiplier to use.
func (l *lipschitz) update(w []float32, rows, cols int, mult float32) float32 {
	if l.frozen {
		return mult * l.scale
	}
	s := l.norm(w, rows, cols, mult)
	l.scale = float32(1 / max(1, s/l.lambda))
	return mult * l.scale
}
