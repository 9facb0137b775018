package netinit

import (
	"fmt"
	"math/rand/v2"

	"github.com/dipgp/dipgp/kernel"
	"gonum.org/v1/gonum/mat"
)

// GPSampler draws fields from the exact Gaussian process of a kernel map:
// what an infinitely wide network's output is. It factors the dense
// covariance once, so it is meant for small grids (calibration tests).
type GPSampler struct {
	n int
	l []float64 // lower Cholesky factor, row-major
}

// NewGPSampler factors the covariance of m (Points() up to a few thousand).
func NewGPSampler(m kernel.Map) (*GPSampler, error) {
	n := m.Points()
	if n > 4096 {
		return nil, fmt.Errorf("netinit: exact GP sampling of %d points needs a dense %dx%d covariance; use a grid of at most 4096 points", n, n, n)
	}
	d := m.Dense()
	// A tiny jitter keeps the factorization of a singular kernel defined.
	var tr float64
	for i := 0; i < n; i++ {
		tr += d[i*n+i]
	}
	sym := mat.NewSymDense(n, d)
	for i := 0; i < n; i++ {
		sym.SetSym(i, i, d[i*n+i]+1e-10*tr/float64(n))
	}
	var c mat.Cholesky
	if !c.Factorize(sym) {
		return nil, fmt.Errorf("netinit: the kernel's covariance is not positive definite")
	}
	var l mat.TriDense
	c.LTo(&l)
	g := &GPSampler{n: n, l: make([]float64, n*n)}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			g.l[i*n+j] = l.At(i, j)
		}
	}
	return g, nil
}

// Sample returns channels independent fields, channel-major, drawn with rng.
func (g *GPSampler) Sample(rng *rand.Rand, channels int) []float32 {
	out := make([]float32, channels*g.n)
	w := make([]float64, g.n)
	for c := 0; c < channels; c++ {
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		for i := 0; i < g.n; i++ {
			var s float64
			for j, v := range g.l[i*g.n : i*g.n+i+1] {
				s += v * w[j]
			}
			out[c*g.n+i] = float32(s)
		}
	}
	return out
}
