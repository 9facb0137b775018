package netinit

import (
	"fmt"
	"math"
	"slices"

	"github.com/dipgp/dipgp/kernel"
)

// Stats holds the sufficient statistics of a kernel estimate: the number of
// samples and, per phase and offset, the sum and the sum of squares of the
// per-sample estimates. Sums are kept in double-double precision (a
// high and a low float64 part), so that adding samples in any order, on
// any number of workers or shards, gives the same float64 estimate.
type Stats struct {
	// Size is the grid size of the estimated field.
	Size []int
	// Period is the phase period P of the estimate (1 = stationary).
	Period int
	// N is the number of samples added.
	N int
	// SumHi, SumLo: double-double sum of per-sample estimates.
	SumHi, SumLo []float64
	// SqHi, SqLo: double-double sum of their squares.
	SqHi, SqLo []float64
	// CSumHi, CSumLo, CSqHi, CSqLo are the same sums for the row-centered
	// estimates c[p][d] = khat[p][d] - mean over d of khat[p][d] (see
	// Centered).
	CSumHi, CSumLo, CSqHi, CSqLo []float64
	// Valid marks the entries that have data (an interior region may leave
	// long offsets without pairs of points).
	Valid []bool
	// Feat holds the per-sample features of the reduced basis and their
	// cross products: what the calibrated agreement test (Agree) needs.
	Feat *Features
}

// NewStats returns empty statistics for a map of the given period and grid.
func NewStats(period int, size []int, valid []bool) (*Stats, error) {
	m, err := kernel.NewMap(period, size)
	if err != nil {
		return nil, err
	}
	n := len(m.Data)
	if valid == nil {
		valid = make([]bool, n)
		for i := range valid {
			valid[i] = true
		}
	}
	if len(valid) != n {
		return nil, fmt.Errorf("netinit: valid mask has %d entries, want %d", len(valid), n)
	}
	b, err := NewBasis(period, size, valid)
	if err != nil {
		return nil, err
	}
	return &Stats{Size: slices.Clone(size), Period: period, Feat: NewFeatures(b),
		SumHi: make([]float64, n), SumLo: make([]float64, n),
		SqHi: make([]float64, n), SqLo: make([]float64, n),
		CSumHi: make([]float64, n), CSumLo: make([]float64, n),
		CSqHi: make([]float64, n), CSqLo: make([]float64, n),
		Valid: slices.Clone(valid)}, nil
}

// twoSum returns s = fl(a+b) and the exact error e with a + b = s + e.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return
}

// ddAdd adds x to the double-double (hi, lo).
func ddAdd(hi, lo *float64, x float64) {
	s, e := twoSum(*hi, x)
	e += *lo
	*hi, *lo = twoSum(s, e)
}

// Add adds one sample's estimate (one value per phase and offset).
func (s *Stats) Add(est []float64) error {
	if err := s.validate(est); err != nil {
		return err
	}
	means := s.rowMeans(nil, est)
	s.addRange(est, means, 0, len(est))
	s.Feat.Add(est)
	s.N++
	return nil
}

// validate checks the length of a sample's estimate and that its valid
// entries are finite.
func (s *Stats) validate(est []float64) error {
	if len(est) != len(s.SumHi) {
		return fmt.Errorf("netinit: sample estimate has %d values, want %d", len(est), len(s.SumHi))
	}
	for i, v := range est {
		if s.Valid[i] && (math.IsNaN(v) || math.IsInf(v, 0)) {
			return fmt.Errorf("netinit: a sample's estimate is %v at entry %d: the network output overflowed; lower the weight scale", v, i)
		}
	}
	return nil
}

// rowMeans writes into dst (reallocated when too short) the mean over
// the valid entries of every row (phase) of est, as CenterRows takes it.
func (s *Stats) rowMeans(dst, est []float64) []float64 {
	n := s.rowLen()
	rows := len(est) / n
	if cap(dst) < rows {
		dst = make([]float64, rows)
	}
	dst = dst[:rows]
	for p := range dst {
		dst[p] = rowMean(est[p*n:(p+1)*n], s.Valid[p*n:(p+1)*n])
	}
	return dst
}

// addRange adds the entries lo <= i < hi of a sample's estimate, and of
// its row-centered form (est minus the row means), to the four sums.
// Entries are independent: adding a sample's entries in ranges, in any
// order of the ranges, gives the same sums as adding them at once.
func (s *Stats) addRange(est, means []float64, lo, hi int) {
	n := s.rowLen()
	for i := lo; i < hi; {
		p := i / n
		end := min(hi, (p+1)*n)
		m := means[p]
		valid := s.Valid[i:end]
		sumHi, sumLo := s.SumHi[i:end], s.SumLo[i:end]
		sqHi, sqLo := s.SqHi[i:end], s.SqLo[i:end]
		cSumHi, cSumLo := s.CSumHi[i:end], s.CSumLo[i:end]
		cSqHi, cSqLo := s.CSqHi[i:end], s.CSqLo[i:end]
		for j, v := range est[i:end] {
			if !valid[j] {
				continue
			}
			ddAdd(&sumHi[j], &sumLo[j], v)
			ddAdd(&sqHi[j], &sqLo[j], v*v)
			c := v - m
			ddAdd(&cSumHi[j], &cSumLo[j], c)
			ddAdd(&cSqHi[j], &cSqLo[j], c*c)
		}
		i = end
	}
}

func (s *Stats) rowLen() int {
	n := 1
	for _, v := range s.Size {
		n *= v
	}
	return n
}

// CenterRows writes into dst the values of src (rows of length n: one row
// per phase) minus the mean of their row over the valid entries. Averaged
// over samples, the centered estimate has no common-mode part: a sample
// whose output is shifted by a constant moves every entry of its row
// alike, and centering removes that, so the centered comparison sees the
// kernel's shape with far smaller error bars.
func CenterRows(dst, src []float64, valid []bool, n int) {
	for p := 0; p*n < len(src); p++ {
		mean := rowMean(src[p*n:(p+1)*n], valid[p*n:(p+1)*n])
		for d := p * n; d < (p+1)*n; d++ {
			if valid[d] {
				dst[d] = src[d] - mean
			} else {
				dst[d] = 0
			}
		}
	}
}

// rowMean returns the mean of the valid entries of row (0 if none).
func rowMean(row []float64, valid []bool) float64 {
	var sum float64
	var cnt int
	for d, v := range row {
		if valid[d] {
			sum += v
			cnt++
		}
	}
	if cnt == 0 {
		return 0
	}
	return sum / float64(cnt)
}

// Merge adds the statistics of o (same period, grid and valid mask).
func (s *Stats) Merge(o *Stats) error {
	if s.Period != o.Period || !slices.Equal(s.Size, o.Size) || !slices.Equal(s.Valid, o.Valid) {
		return fmt.Errorf("netinit: cannot merge statistics of period %d on %v with period %d on %v (or different regions)", o.Period, o.Size, s.Period, s.Size)
	}
	for i := range s.SumHi {
		ddAdd(&s.SumHi[i], &s.SumLo[i], o.SumHi[i])
		ddAdd(&s.SumHi[i], &s.SumLo[i], o.SumLo[i])
		ddAdd(&s.SqHi[i], &s.SqLo[i], o.SqHi[i])
		ddAdd(&s.SqHi[i], &s.SqLo[i], o.SqLo[i])
		ddAdd(&s.CSumHi[i], &s.CSumLo[i], o.CSumHi[i])
		ddAdd(&s.CSumHi[i], &s.CSumLo[i], o.CSumLo[i])
		ddAdd(&s.CSqHi[i], &s.CSqLo[i], o.CSqHi[i])
		ddAdd(&s.CSqHi[i], &s.CSqLo[i], o.CSqLo[i])
	}
	if err := s.Feat.Merge(o.Feat); err != nil {
		return err
	}
	s.N += o.N
	return nil
}

// Clone returns a deep copy.
func (s *Stats) Clone() *Stats {
	c := *s
	c.Size = slices.Clone(s.Size)
	c.SumHi, c.SumLo = slices.Clone(s.SumHi), slices.Clone(s.SumLo)
	c.SqHi, c.SqLo = slices.Clone(s.SqHi), slices.Clone(s.SqLo)
	c.CSumHi, c.CSumLo = slices.Clone(s.CSumHi), slices.Clone(s.CSumLo)
	c.CSqHi, c.CSqLo = slices.Clone(s.CSqHi), slices.Clone(s.CSqLo)
	c.Valid = slices.Clone(s.Valid)
	c.Feat = s.Feat.Clone()
	return &c
}

// Estimate returns the mean of the per-sample estimates and its standard
// error (the spread between samples over sqrt(N)). Entries without data
// are NaN in both maps.
func (s *Stats) Estimate() (mean, stderr kernel.Map, err error) {
	return s.estimate(s.SumHi, s.SumLo, s.SqHi, s.SqLo)
}

// Centered returns the same for the row-centered estimates (see
// CenterRows): the shape of the kernel without its common-mode part.
func (s *Stats) Centered() (mean, stderr kernel.Map, err error) {
	return s.estimate(s.CSumHi, s.CSumLo, s.CSqHi, s.CSqLo)
}

func (s *Stats) estimate(sumHi, sumLo, sqHi, sqLo []float64) (mean, stderr kernel.Map, err error) {
	if s.N == 0 {
		return mean, stderr, fmt.Errorf("netinit: no samples")
	}
	if mean, err = kernel.NewMap(s.Period, s.Size); err != nil {
		return
	}
	stderr, _ = kernel.NewMap(s.Period, s.Size)
	n := float64(s.N)
	for i := range mean.Data {
		if !s.Valid[i] {
			mean.Data[i], stderr.Data[i] = math.NaN(), math.NaN()
			continue
		}
		m := (sumHi[i] + sumLo[i]) / n
		mean.Data[i] = m
		if s.N < 2 {
			stderr.Data[i] = math.Inf(1)
			continue
		}
		// Sample variance from the double-double sums: (sum sq - n m^2)/(n-1).
		hi, lo := sqHi[i], sqLo[i]
		sum := sumHi[i] + sumLo[i]
		ddAdd(&hi, &lo, -sum*m)
		v := (hi + lo) / (n - 1)
		if v < 0 {
			v = 0
		}
		stderr.Data[i] = math.Sqrt(v / n)
	}
	return mean, stderr, nil
}

// rows returns the eight sum arrays in file order.
func (s *Stats) rows() [][]float64 {
	return [][]float64{s.SumHi, s.SumLo, s.SqHi, s.SqLo, s.CSumHi, s.CSumLo, s.CSqHi, s.CSqLo}
}
