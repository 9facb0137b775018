package kernel

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestCholPSD checks the pivoted factor: exact on a rank-deficient
// Hermitian matrix, and bounded on one made indefinite by noise of 1e-6
// (a Monte Carlo estimate), where it must reproduce the matrix to the
// noise's order, and bounded on a small indefinite matrix on which an
// unpivoted Cholesky divides by a tiny pivot.
func TestCholPSD(t *testing.T) {
	const n, rank = 24, 6
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]complex128, n*rank)
	for i := range b {
		b[i] = complex(rng.NormFloat64(), rng.NormFloat64())
	}
	a := make([]complex128, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var v complex128
			for k := 0; k < rank; k++ {
				v += b[i*rank+k] * cmplx.Conj(b[j*rank+k])
			}
			a[i*n+j] = v
		}
	}
	noisy := append([]complex128(nil), a...)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			e := complex(1e-6*rng.NormFloat64(), 0)
			if j < i {
				e += complex(0, 1e-6*rng.NormFloat64())
			}
			noisy[i*n+j] += e
			noisy[j*n+i] = cmplx.Conj(noisy[i*n+j])
		}
	}
	var dmax float64
	for i := 0; i < n; i++ {
		dmax = math.Max(dmax, real(a[i*n+i]))
	}
	for _, c := range []struct {
		name     string
		m        []complex128
		tol, big float64
	}{{"rank-deficient", a, 1e-10, 1.0001}, {"indefinite", noisy, 1e-4, 1.0001}} {
		l := append([]complex128(nil), c.m...)
		cholPSD(l, n)
		var worst, lmax float64
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var v complex128
				for k := 0; k < n; k++ {
					v += l[i*n+k] * cmplx.Conj(l[j*n+k])
				}
				worst = math.Max(worst, cmplx.Abs(v-a[i*n+j])/dmax)
				lmax = math.Max(lmax, cmplx.Abs(l[i*n+j]))
			}
		}
		if worst > c.tol || lmax > c.big*math.Sqrt(dmax) {
			t.Errorf("%s: max |L L^H - A| = %.3g of the largest variance (want <= %.3g), max |L| = %.3g sqrt(dmax)", c.name, worst, c.tol, lmax/math.Sqrt(dmax))
		}
	}
	// A phase of nearly zero variance whose estimated covariance with
	// another is too large (indefinite): an unpivoted factor would divide
	// 1e-3 by sqrt(1e-9), the pivoted one must stay of order 1.
	m := []complex128{1e-9, 1e-3, 0, 1e-3, 1, 0.5, 0, 0.5, 1}
	cholPSD(m, 3)
	for i, v := range m {
		if cmplx.Abs(v) > 1.0001 {
			t.Errorf("indefinite 3x3: factor entry %d is %.3g, want at most 1", i, cmplx.Abs(v))
		}
	}
}
