package kernel

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// Map is a cyclostationary covariance on the periodic grid (docs/theory.md
// section 2): K(x, x+d) = Data at [p][d] with p = x mod Period per axis and
// the offset d wrapped on the grid (d = 0 at index 0). Period 1 means
// stationary.
//
// Data is laid out row-major as [py][px][dy][dx] in 2-D and [p][d] in 1-D,
// which is also the shape of Shape and of the .npy files dipgp writes.
// Both kernel (analytic) and netinit (Monte Carlo) produce Maps.
type Map struct {
	// Period is P, the same on every axis; it divides every Size.
	Period int
	// Size is the grid size per axis: [N] in 1-D, [H, W] in 2-D.
	Size []int
	// Data holds P^len(Size) * prod(Size) values.
	Data []float64
}

// NewMap returns a zero map of the given period and grid size.
func NewMap(period int, size []int) (Map, error) {
	if len(size) != 1 && len(size) != 2 {
		return Map{}, fmt.Errorf("kernel: a map has 1 or 2 axes, not %d", len(size))
	}
	if period < 1 {
		return Map{}, fmt.Errorf("kernel: period %d must be >= 1", period)
	}
	for _, n := range size {
		if n < 1 || n%period != 0 {
			return Map{}, fmt.Errorf("kernel: grid size %v is not a positive multiple of the period %d", size, period)
		}
	}
	m := Map{Period: period, Size: append([]int(nil), size...)}
	m.Data = make([]float64, m.Phases()*m.Points())
	return m, nil
}

// Dims returns the number of axes, 1 or 2.
func (m Map) Dims() int { return len(m.Size) }

// Points returns the number of grid points, prod(Size).
func (m Map) Points() int {
	n := 1
	for _, s := range m.Size {
		n *= s
	}
	return n
}

// Phases returns the number of phases, Period^Dims.
func (m Map) Phases() int {
	n := 1
	for range m.Size {
		n *= m.Period
	}
	return n
}

// Shape returns the array shape of Data: (P, P, H, W) or (P, N).
func (m Map) Shape() []int {
	if m.Dims() == 1 {
		return []int{m.Period, m.Size[0]}
	}
	return []int{m.Period, m.Period, m.Size[0], m.Size[1]}
}

// Phase returns the phase index of grid point x (flat, row-major).
func (m Map) Phase(x int) int {
	if m.Dims() == 1 {
		return x % m.Period
	}
	y, xx := x/m.Size[1], x%m.Size[1]
	return (y%m.Period)*m.Period + xx%m.Period
}

// Offset returns the flat offset index of x' - x, wrapped on the grid, for
// flat grid points x and x'.
func (m Map) Offset(x, x2 int) int {
	if m.Dims() == 1 {
		n := m.Size[0]
		return ((x2-x)%n + n) % n
	}
	h, w := m.Size[0], m.Size[1]
	dy := ((x2/w-x/w)%h + h) % h
	dx := ((x2%w-x%w)%w + w) % w
	return dy*w + dx
}

// Cov returns K(x, x') for flat grid points x and x'.
func (m Map) Cov(x, x2 int) float64 {
	return m.Data[m.Phase(x)*m.Points()+m.Offset(x, x2)]
}

// At returns K(x, x + d) for a position x and offset d given per axis; both
// are wrapped on the grid.
func (m Map) At(x, d []int) float64 {
	p, o := 0, 0
	for i, n := range m.Size {
		xi := ((x[i] % n) + n) % n
		di := ((d[i] % n) + n) % n
		p = p*m.Period + xi%m.Period
		o = o*n + di
	}
	return m.Data[p*m.Points()+o]
}

// Dense returns the full covariance matrix of the map, n x n row-major with
// n = Points(). It is meant for tests and small grids.
func (m Map) Dense() []float64 {
	n := m.Points()
	out := make([]float64, n*n)
	for x := 0; x < n; x++ {
		for x2 := 0; x2 < n; x2++ {
			out[x*n+x2] = m.Cov(x, x2)
		}
	}
	return out
}

// FromDense reads a map of the given period from a full n x n covariance
// matrix (row-major, n = prod(size)), taking for phase p the row of the
// first grid point with that phase. It does not check that the matrix is
// cyclostationary; MaxCyclostationaryError does.
func FromDense(cov []float64, size []int, period int) (Map, error) {
	m, err := NewMap(period, size)
	if err != nil {
		return Map{}, err
	}
	n := m.Points()
	if len(cov) != n*n {
		return Map{}, fmt.Errorf("kernel: dense covariance has %d values, want %d for grid %v", len(cov), n*n, size)
	}
	seen := make([]bool, m.Phases())
	for x := 0; x < n; x++ {
		p := m.Phase(x)
		if seen[p] {
			continue
		}
		seen[p] = true
		for x2 := 0; x2 < n; x2++ {
			m.Data[p*n+m.Offset(x, x2)] = cov[x*n+x2]
		}
	}
	return m, nil
}

// Clone returns a deep copy.
func (m Map) Clone() Map {
	c := m
	c.Size = append([]int(nil), m.Size...)
	c.Data = append([]float64(nil), m.Data...)
	return c
}

// Stationary returns the phase-averaged map kbar[d] = mean_p k[p][d], the
// best stationary approximation, with period 1.
func (m Map) Stationary() Map {
	s, _ := NewMap(1, m.Size)
	n := m.Points()
	for p := 0; p < m.Phases(); p++ {
		floats.Add(s.Data, m.Data[p*n:(p+1)*n])
	}
	inv := 1 / float64(m.Phases())
	for d := range s.Data {
		s.Data[d] *= inv
	}
	return s
}

// Variance returns K(x, x) for each phase.
func (m Map) Variance() []float64 {
	n := m.Points()
	v := make([]float64, m.Phases())
	for p := range v {
		v[p] = m.Data[p*n]
	}
	return v
}

// MeanVariance returns the variance averaged over phases (= over the grid).
func (m Map) MeanVariance() float64 {
	var s float64
	for _, v := range m.Variance() {
		s += v
	}
	return s / float64(m.Phases())
}

// NonStationarity returns ||k - kbar||^2 / ||k||^2 over all phases and
// offsets: 0 for a stationary map.
func (m Map) NonStationarity() float64 {
	if m.Period == 1 {
		return 0
	}
	s := m.Stationary()
	n := m.Points()
	var num, den float64
	for p := 0; p < m.Phases(); p++ {
		for d := 0; d < n; d++ {
			v := m.Data[p*n+d]
			e := v - s.Data[d]
			num += e * e
			den += v * v
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// WithPeriod returns the same covariance written with a period that is a
// multiple of m.Period (and divides the grid).
func (m Map) WithPeriod(period int) (Map, error) {
	if period == m.Period {
		return m, nil
	}
	if period%m.Period != 0 {
		return Map{}, fmt.Errorf("kernel: period %d is not a multiple of %d", period, m.Period)
	}
	out, err := NewMap(period, m.Size)
	if err != nil {
		return Map{}, err
	}
	n := m.Points()
	for p := 0; p < out.Phases(); p++ {
		var q int
		if m.Dims() == 1 {
			q = p % m.Period
		} else {
			q = (p/period%m.Period)*m.Period + p%period%m.Period
		}
		copy(out.Data[p*n:(p+1)*n], m.Data[q*n:(q+1)*n])
	}
	return out, nil
}

// Normalized returns the map divided by its mean variance (so the
// phase-averaged value at offset 0 is 1).
func (m Map) Normalized() Map {
	c := m.Clone()
	v := m.MeanVariance()
	if v != 0 {
		for i := range c.Data {
			c.Data[i] /= v
		}
	}
	return c
}

// Check returns an error if the map's shape is inconsistent or a value is
// NaN or infinite.
func (m Map) Check() error {
	if len(m.Size) < 1 || len(m.Size) > 2 || m.Period < 1 {
		return fmt.Errorf("kernel: malformed map (period %d, size %v)", m.Period, m.Size)
	}
	for _, n := range m.Size {
		if n < 1 || n%m.Period != 0 {
			return fmt.Errorf("kernel: grid size %v is not a multiple of the period %d", m.Size, m.Period)
		}
	}
	if len(m.Data) != m.Phases()*m.Points() {
		return fmt.Errorf("kernel: map has %d values, want %d", len(m.Data), m.Phases()*m.Points())
	}
	for i, v := range m.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("kernel: map value %d is %v", i, v)
		}
	}
	return nil
}

// MaxCyclostationaryError returns the largest absolute difference between
// the full covariance cov (n x n row-major, n = prod(size)) and the map of
// the given period read from it by FromDense: 0 (up to rounding) exactly
// when cov is cyclostationary with that period.
func MaxCyclostationaryError(cov []float64, size []int, period int) (float64, error) {
	m, err := FromDense(cov, size, period)
	if err != nil {
		return 0, err
	}
	n := m.Points()
	var e float64
	for x := 0; x < n; x++ {
		for x2 := 0; x2 < n; x2++ {
			e = math.Max(e, math.Abs(cov[x*n+x2]-m.Cov(x, x2)))
		}
	}
	return e, nil
}
