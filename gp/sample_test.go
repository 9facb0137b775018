package gp

import (
	"math"
	"testing"
)

// TestSampleCovariance checks that the empirical second moment of many
// prior draws matches the dense covariance within Monte Carlo error, for
// a stationary and two cyclostationary maps.
func TestSampleCovariance(t *testing.T) {
	cases := []testCase{testCases()[1], testCases()[2], testCases()[5], testCases()[9]}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			p, err := NewPrior(m, PriorOptions{Approx: Exact})
			if err != nil {
				t.Fatal(err)
			}
			const ns = 20000
			draws, err := p.Sample(ns, 42)
			if err != nil {
				t.Fatal(err)
			}
			n := p.Points()
			emp := make([]float64, n*n)
			for _, f := range draws {
				for i := 0; i < n; i++ {
					fi := f[i]
					row := emp[i*n : (i+1)*n]
					for j, fj := range f {
						row[j] += fi * fj
					}
				}
			}
			var sumZ2, maxZ float64
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					k := tc.cov[i*n+j]
					se := math.Sqrt((tc.cov[i*n+i]*tc.cov[j*n+j] + k*k) / ns)
					z := (emp[i*n+j]/ns - k) / se
					sumZ2 += z * z
					maxZ = math.Max(maxZ, math.Abs(z))
				}
			}
			meanZ2 := sumZ2 / float64(n*n)
			// Entries are strongly correlated, so mean z^2 fluctuates widely around 1;
			// any structural error (scale, phase, coupling) gives |z| of tens
			// (using the phase-averaged map instead gives 74 and 168 here).
			if maxZ > 5.5 || meanZ2 > 3 {
				t.Fatalf("empirical covariance off: max |z| = %.2f, mean z^2 = %.2f", maxZ, meanZ2)
			}
		})
	}
}

func TestSampleDeterministic(t *testing.T) {
	tc := testCases()[7]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p1, _ := NewPrior(m, PriorOptions{Approx: Exact, Workers: 1})
	p3, _ := NewPrior(m, PriorOptions{Approx: Exact, Workers: 3})
	a, _ := p1.Sample(5, 7)
	b, _ := p3.Sample(3, 7)
	for i := range b {
		for j := range b[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("draw %d differs across worker counts or sample counts", i)
			}
		}
	}
	c, _ := p1.Sample(1, 8)
	if c[0][0] == a[0][0] {
		t.Fatal("different seeds gave the same draw")
	}
	if _, err := p1.Sample(-1, 0); err == nil {
		t.Fatal("negative count accepted")
	}
}
