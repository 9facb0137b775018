package gp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// Sample returns n draws from the zero-mean GP prior with the Prior's
// covariance K: f = K^(1/2) z for white noise z, with K^(1/2) applied by FFT
// (stationary) or as the exact symmetric square root of every Fourier block
// (cyclostationary). Draw i uses the PCG stream (seed, i), so the result
// does not depend on the number of workers and draw i is the same whatever
// n is.
func (p *Prior) Sample(n int, seed uint64) ([][]float64, error) {
	return p.SampleContext(context.Background(), n, seed)
}

// SampleContext is Sample that stops drawing when ctx is done and then
// returns ctx's error.
func (p *Prior) SampleContext(ctx context.Context, n int, seed uint64) ([][]float64, error) {
	if n < 0 {
		return nil, fmt.Errorf("gp: number of samples %d must be >= 0", n)
	}
	out := make([][]float64, n)
	parallel(n, p.workers, func(lo, hi int) {
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			out[i] = p.draw(seed, uint64(i), 1)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// draw returns s K^(1/2) z for white noise z from the stream (seed, i).
func (p *Prior) draw(seed, stream uint64, s float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, stream))
	z := make([]float64, p.n)
	for j := range z {
		z[j] = rng.NormFloat64()
	}
	c := p.coords(z)
	p.scale(c, func(l float64) float64 { return s * math.Sqrt(l) })
	return p.synth(c)
}
