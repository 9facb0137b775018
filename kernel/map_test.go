package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomCyclo builds a random cyclostationary covariance of period P on the
// grid by an independent route: the dense matrix B B^T of a random
// operator B that commutes with shifts by P, then reads it as a Map.
func randomCyclo(t *testing.T, size []int, period int, seed uint64) ([]float64, Map) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	shape, _ := NewMap(period, size)
	n := shape.Points()
	// B(x, x') = b[phase(x)][offset(x, x')] is P-periodic.
	b := make([]float64, shape.Phases()*n)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	B := make([]float64, n*n)
	for x := 0; x < n; x++ {
		for x2 := 0; x2 < n; x2++ {
			B[x*n+x2] = b[shape.Phase(x)*n+shape.Offset(x, x2)]
		}
	}
	cov := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for k := 0; k < n; k++ {
				s += B[i*n+k] * B[j*n+k]
			}
			cov[i*n+j] = s
		}
	}
	m, err := FromDense(cov, size, period)
	if err != nil {
		t.Fatal(err)
	}
	return cov, m
}

func TestMapDenseRoundTrip(t *testing.T) {
	for _, c := range []struct {
		size   []int
		period int
	}{{[]int{12}, 1}, {[]int{12}, 4}, {[]int{8, 6}, 2}, {[]int{4, 4}, 4}} {
		cov, m := randomCyclo(t, c.size, c.period, 7)
		d := m.Dense()
		for i := range cov {
			if math.Abs(d[i]-cov[i]) > 1e-9*math.Abs(cov[i])+1e-12 {
				t.Fatalf("size %v period %d: Dense differs at %d: %v vs %v", c.size, c.period, i, d[i], cov[i])
			}
		}
		// Symmetry k[p][d] = k[(p+d) mod P][-d] holds for a covariance.
		n := m.Points()
		for x := 0; x < n; x++ {
			for x2 := 0; x2 < n; x2++ {
				if math.Abs(m.Cov(x, x2)-m.Cov(x2, x)) > 1e-9*(1+math.Abs(m.Cov(x, x2))) {
					t.Fatalf("not symmetric at %d,%d", x, x2)
				}
			}
		}
		// WithPeriod keeps the covariance.
		if 2*c.period <= c.size[0] && c.size[0]%(2*c.period) == 0 && (len(c.size) == 1 || c.size[1]%(2*c.period) == 0) {
			w, err := m.WithPeriod(2 * c.period)
			if err != nil {
				t.Fatal(err)
			}
			d2 := w.Dense()
			for i := range cov {
				if math.Abs(d2[i]-cov[i]) > 1e-9*math.Abs(cov[i])+1e-12 {
					t.Fatalf("WithPeriod changed the covariance")
				}
			}
		}
	}
}

func TestStationaryAndMeasures(t *testing.T) {
	cov, m := randomCyclo(t, []int{8, 8}, 2, 3)
	n := m.Points()
	s := m.Stationary()
	// kbar[d] = mean over all x of K(x, x+d), computed from the dense matrix.
	for d := 0; d < n; d++ {
		dy, dx := d/8, d%8
		var sum float64
		for x := 0; x < n; x++ {
			y, xx := x/8, x%8
			sum += cov[x*n+((y+dy)%8)*8+(xx+dx)%8]
		}
		if want := sum / float64(n); math.Abs(s.Data[d]-want) > 1e-9*(1+math.Abs(want)) {
			t.Fatalf("Stationary at %d: %v, want %v", d, s.Data[d], want)
		}
	}
	if v := s.NonStationarity(); v != 0 {
		t.Errorf("stationary map has non-stationarity %v", v)
	}
	if v := m.NonStationarity(); !(v > 0 && v < 1) {
		t.Errorf("non-stationarity %v out of (0,1)", v)
	}
	var diag float64
	for x := 0; x < n; x++ {
		diag += cov[x*n+x]
	}
	if mv := m.MeanVariance(); math.Abs(mv-diag/float64(n)) > 1e-9*mv {
		t.Errorf("mean variance %v, want %v", mv, diag/float64(n))
	}
	if got := m.At([]int{3, 5}, []int{-1, 2}); got != cov[(3*8+5)*n+2*8+7] {
		t.Errorf("At = %v, want %v", got, cov[(3*8+5)*n+2*8+7])
	}
	bad := m.Clone()
	bad.Data[5] = math.NaN()
	if bad.Check() == nil || m.Check() != nil {
		t.Error("Check does not flag NaN or flags a good map")
	}
	if _, err := NewMap(3, []int{8}); err == nil {
		t.Error("NewMap accepted a period that does not divide the grid")
	}
}
