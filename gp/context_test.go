package gp

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// countdownCtx reports itself cancelled after its Err method has been
// called n times, so that a test can cancel in the middle of a loop.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func countdown(n int64) *countdownCtx {
	c := &countdownCtx{Context: context.Background()}
	c.n.Store(n)
	return c
}

// TestContextStops checks that cancelling stops sampling, denoising and
// the conjugate-gradient inpainting with the context's error, both when
// cancelled beforehand and in the middle of the loops, and that an
// uncancelled context changes nothing.
func TestContextStops(t *testing.T) {
	tc := testCases()[0]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, err := NewPrior(m, PriorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	y := gpData(p, 8, 2, 0.1, 0.5)
	mask, _ := randomMask(p.Points(), 0.6, 1)
	// Tol 1e-300 is never reached: without cancellation CG runs MaxIter
	// iterations.
	io := InpaintOptions{Scale: 2, Noise: 0.1, Tol: 1e-300, MaxIter: 1 << 20, VarSamples: 4}
	for _, n := range []int64{0, 3, 40} {
		if _, err := p.SampleContext(countdown(n), 200, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("SampleContext cancelled after %d checks: error %v", n, err)
		}
		if _, err := p.InpaintContext(countdown(n), [][]float64{y}, mask, io); !errors.Is(err, context.Canceled) {
			t.Errorf("InpaintContext cancelled after %d checks: error %v", n, err)
		}
	}
	for _, n := range []int64{0, 1, 2} {
		if _, err := p.DenoiseContext(countdown(n), [][]float64{y}, DenoiseOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("DenoiseContext cancelled after %d checks: error %v", n, err)
		}
	}
	a, err := p.SampleContext(context.Background(), 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Sample(3, 5)
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("draw %d point %d: %v with a context, %v without", i, j, a[i][j], b[i][j])
			}
		}
	}
}

// TestNewPriorContextStops checks that cancelling stops the exact block
// factorization of a cyclostationary map with the context's error, before
// it starts and after a few blocks, and that an uncancelled context gives
// NewPrior's modes.
func TestNewPriorContextStops(t *testing.T) {
	m := modulatedMap(powerLawMap(16, 3, 0.05), 4)
	for _, n := range []int64{0, 2} {
		if _, err := NewPriorContext(countdown(n), m, PriorOptions{Approx: Exact, Workers: 1}); !errors.Is(err, context.Canceled) {
			t.Errorf("NewPriorContext cancelled after %d checks: error %v, want context.Canceled", n, err)
		}
	}
	p, err := NewPriorContext(context.Background(), m, PriorOptions{Approx: Exact})
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewPrior(m, PriorOptions{Approx: Exact})
	if err != nil {
		t.Fatal(err)
	}
	if p.MaxEigenvalue() != q.MaxEigenvalue() || p.Approximated() {
		t.Errorf("NewPriorContext: largest eigenvalue %g (approximated %v), NewPrior %g", p.MaxEigenvalue(), p.Approximated(), q.MaxEigenvalue())
	}
}
