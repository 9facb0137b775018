package kernel_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/kernel"
)

// randomMap returns a map of period P with standard normal values (not a
// valid covariance, which these tests do not need).
func randomMap(t *testing.T, rng *rand.Rand, P int, size []int) kernel.Map {
	t.Helper()
	m, err := kernel.NewMap(P, size)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Data {
		m.Data[i] = rng.NormFloat64()
	}
	return m
}

func TestMapDenseRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		P    int
		size []int
	}{{1, []int{12}}, {4, []int{8}}, {2, []int{4, 6}}, {4, []int{8, 8}}} {
		m := randomMap(t, rng, c.P, c.size)
		d := m.Dense()
		// Check the documented layout independently: K(x, x+d) = Data[p][d].
		n := m.Points()
		for x := 0; x < n; x++ {
			for x2 := 0; x2 < n; x2++ {
				var p, off int
				if len(c.size) == 1 {
					p = x % c.P
					off = ((x2-x)%n + n) % n
				} else {
					w, h := c.size[1], c.size[0]
					y1, xx1, y2, xx2 := x/w, x%w, x2/w, x2%w
					p = (y1%c.P)*c.P + xx1%c.P
					off = ((y2-y1)%h+h)%h*w + ((xx2-xx1)%w+w)%w
				}
				if d[x*n+x2] != m.Data[p*n+off] {
					t.Fatalf("P=%d size %v: Dense(%d,%d) = %v, want %v", c.P, c.size, x, x2, d[x*n+x2], m.Data[p*n+off])
				}
			}
		}
		back, err := kernel.FromDense(d, c.size, c.P)
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.Data {
			if back.Data[i] != m.Data[i] {
				t.Fatalf("FromDense(Dense) differs at %d", i)
			}
		}
		if e, err := kernel.MaxCyclostationaryError(d, c.size, c.P); err != nil || e != 0 {
			t.Errorf("MaxCyclostationaryError = %v, %v; want 0", e, err)
		}
		if c.P > 1 {
			// Not stationary with period 1 (random rows differ).
			if e, _ := kernel.MaxCyclostationaryError(d, c.size, 1); e == 0 {
				t.Errorf("P=%d map reported stationary", c.P)
			}
		}
	}
}

func TestMapStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := randomMap(t, rng, 2, []int{4, 4})
	n := m.Points()
	// Stationary: mean over the 4 phases, computed by hand.
	s := m.Stationary()
	for d := 0; d < n; d++ {
		want := (m.Data[d] + m.Data[n+d] + m.Data[2*n+d] + m.Data[3*n+d]) / 4
		if math.Abs(s.Data[d]-want) > 1e-15 {
			t.Fatalf("Stationary[%d] = %v, want %v", d, s.Data[d], want)
		}
	}
	v := m.Variance()
	mv := 0.0
	for p := 0; p < 4; p++ {
		if v[p] != m.Data[p*n] {
			t.Fatalf("Variance[%d]", p)
		}
		mv += v[p] / 4
	}
	if math.Abs(m.MeanVariance()-mv) > 1e-15 {
		t.Fatal("MeanVariance")
	}
	nm := m.Normalized()
	if math.Abs(nm.MeanVariance()-1) > 1e-12 {
		t.Fatalf("Normalized mean variance %v", nm.MeanVariance())
	}
	var num, den float64
	for p := 0; p < 4; p++ {
		for d := 0; d < n; d++ {
			e := m.Data[p*n+d] - s.Data[d]
			num += e * e
			den += m.Data[p*n+d] * m.Data[p*n+d]
		}
	}
	if got := m.NonStationarity(); math.Abs(got-num/den) > 1e-14 {
		t.Fatalf("NonStationarity %v, want %v", got, num/den)
	}
	if s.NonStationarity() != 0 {
		t.Fatal("stationary map has non-zero NonStationarity")
	}
	// WithPeriod keeps the covariance.
	w, err := m.WithPeriod(4)
	if err != nil {
		t.Fatal(err)
	}
	a, b := m.Dense(), w.Dense()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("WithPeriod changed the covariance at %d", i)
		}
	}
	if _, err := m.WithPeriod(3); err == nil {
		t.Error("WithPeriod(3) of a period-2 map: no error")
	}
	if err := m.Check(); err != nil {
		t.Error(err)
	}
	bad := m.Clone()
	bad.Data[5] = math.NaN()
	if bad.Check() == nil {
		t.Error("Check accepted NaN")
	}
	if _, err := kernel.NewMap(3, []int{8}); err == nil {
		t.Error("NewMap accepted a period that does not divide the size")
	}
}
