package netinit

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/internal/npy"
)

// maxPhaseContrasts bounds the number of per-phase variance features of a
// Basis; maps with more phases are tested on their phase average only.
const maxPhaseContrasts = 15

// Basis is a reduced basis of a phase-resolved kernel map: a few linear
// functionals of the map on which the agreement test runs (see Hotelling).
// Neighbouring entries of an estimated kernel are strongly correlated, so
// the map holds far fewer independent numbers than entries; the features
// keep those numbers:
//
//   - ring k (k = 0, 1, ...): the mean over phases and over the offsets d
//     whose wrapped length |d| lies in [2^(k-1), 2^k) (ring 0 is d = 0, the
//     variance), so a kernel of N entries gives about log2(N) rings;
//   - phase p (p = 1, ..., P-1, for at most 15 phases): the variance at
//     phase p minus the phase-averaged variance, the cyclostationary part.
//
// Entries without data (an interior region) get no weight.
type Basis struct {
	// Names says what each feature is, for reports.
	Names []string
	// Rings is the number of ring features (the first Rings features).
	Rings int
	terms [][]group
}

// group is a weighted sum of map entries: w times the sum of the entries idx.
type group struct {
	idx []int32
	w   float64
}

// NewBasis returns the basis of maps of the given period and grid with
// data on the valid entries (nil: all).
func NewBasis(period int, size []int, valid []bool) (*Basis, error) {
	n := 1
	for _, s := range size {
		n *= s
	}
	phases := 1
	for range size {
		phases *= period
	}
	if valid != nil && len(valid) != phases*n {
		return nil, fmt.Errorf("netinit: valid mask has %d entries, want %d", len(valid), phases*n)
	}
	ok := func(i int) bool { return valid == nil || valid[i] }
	ring := make([]int, n)
	rings := 0
	for d := 0; d < n; d++ {
		r2 := 0
		rest := d
		for a := len(size) - 1; a >= 0; a-- {
			c := rest % size[a]
			rest /= size[a]
			c = min(c, size[a]-c)
			r2 += c * c
		}
		k := 0
		if r2 > 0 {
			k = 1 + int(math.Floor(math.Log2(math.Sqrt(float64(r2)))+1e-9))
		}
		ring[d] = k
		rings = max(rings, k+1)
	}
	idx := make([][]int32, rings)
	for p := 0; p < phases; p++ {
		for d := 0; d < n; d++ {
			if i := p*n + d; ok(i) {
				idx[ring[d]] = append(idx[ring[d]], int32(i))
			}
		}
	}
	// Drop empty rings, weight the rest to means.
	b := &Basis{}
	for k, is := range idx {
		if len(is) == 0 {
			continue
		}
		b.terms = append(b.terms, []group{{idx: is, w: 1 / float64(len(is))}})
		lo, hi := 0.0, 0.0
		if k > 0 {
			lo, hi = math.Exp2(float64(k-1)), math.Exp2(float64(k))
		}
		if k == 0 {
			b.Names = append(b.Names, "ring |d|=0")
		} else {
			b.Names = append(b.Names, fmt.Sprintf("ring %g<=|d|<%g", lo, hi))
		}
	}
	b.Rings = len(b.terms)
	if phases > 1 && phases-1 <= maxPhaseContrasts {
		for p := 1; p < phases; p++ {
			if !ok(p * n) {
				continue
			}
			var all []int32
			for q := 0; q < phases; q++ {
				if ok(q * n) {
					all = append(all, int32(q*n))
				}
			}
			b.terms = append(b.terms, []group{{idx: []int32{int32(p * n)}, w: 1}, {idx: all, w: -1 / float64(len(all))}})
			b.Names = append(b.Names, fmt.Sprintf("variance of phase %d - mean", p))
		}
	}
	return b, nil
}

// Len returns the number of features.
func (b *Basis) Len() int { return len(b.terms) }

// Project writes the features of the map data m (phase-resolved, as in
// kernel.Map.Data) into dst (length Len()).
func (b *Basis) Project(dst, m []float64) {
	for k, ts := range b.terms {
		var s float64
		for _, g := range ts {
			var gs float64
			for _, i := range g.idx {
				gs += m[i]
			}
			s += g.w * gs
		}
		dst[k] = s
	}
}

// Features accumulates, over samples, the sums of the features of a Basis
// and of their pairwise products (double-double, so that the order of
// addition does not change the result): the mean feature vector and its
// full covariance between samples.
type Features struct {
	Basis *Basis
	// N is the number of samples added.
	N int
	// SumHi, SumLo: sums of features (length K).
	SumHi, SumLo []float64
	// CrossHi, CrossLo: sums of products, K x K row-major.
	CrossHi, CrossLo []float64

	x []float64
}

// NewFeatures returns empty sums for the basis b.
func NewFeatures(b *Basis) *Features {
	k := b.Len()
	return &Features{Basis: b, SumHi: make([]float64, k), SumLo: make([]float64, k),
		CrossHi: make([]float64, k*k), CrossLo: make([]float64, k*k), x: make([]float64, k)}
}

// Add adds one sample's map estimate.
func (f *Features) Add(est []float64) {
	f.Basis.Project(f.x, est)
	f.addFeatures(f.x)
	f.N++
}

// addFeatures adds one sample's feature vector x (from Basis.Project) to
// the sums; it leaves N alone.
func (f *Features) addFeatures(x []float64) {
	k := len(x)
	for i, v := range x {
		ddAdd(&f.SumHi[i], &f.SumLo[i], v)
		for j := 0; j < k; j++ {
			ddAdd(&f.CrossHi[i*k+j], &f.CrossLo[i*k+j], v*x[j])
		}
	}
}

// Merge adds the sums of o (same basis).
func (f *Features) Merge(o *Features) error {
	if len(o.SumHi) != len(f.SumHi) {
		return fmt.Errorf("netinit: cannot merge feature sums of %d and %d features", len(o.SumHi), len(f.SumHi))
	}
	for i := range f.SumHi {
		ddAdd(&f.SumHi[i], &f.SumLo[i], o.SumHi[i])
		ddAdd(&f.SumHi[i], &f.SumLo[i], o.SumLo[i])
	}
	for i := range f.CrossHi {
		ddAdd(&f.CrossHi[i], &f.CrossLo[i], o.CrossHi[i])
		ddAdd(&f.CrossHi[i], &f.CrossLo[i], o.CrossLo[i])
	}
	f.N += o.N
	return nil
}

// Clone returns a deep copy.
func (f *Features) Clone() *Features {
	c := NewFeatures(f.Basis)
	copy(c.SumHi, f.SumHi)
	copy(c.SumLo, f.SumLo)
	copy(c.CrossHi, f.CrossHi)
	copy(c.CrossLo, f.CrossLo)
	c.N = f.N
	return c
}

// MeanCov returns the mean feature vector and the sample covariance
// between samples (K x K, divided by N-1).
func (f *Features) MeanCov() (mean, cov []float64) {
	k := len(f.SumHi)
	n := float64(f.N)
	mean = make([]float64, k)
	for i := range mean {
		mean[i] = (f.SumHi[i] + f.SumLo[i]) / n
	}
	cov = make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			hi, lo := f.CrossHi[i*k+j], f.CrossLo[i*k+j]
			ddAdd(&hi, &lo, -(f.SumHi[j]+f.SumLo[j])*mean[i])
			cov[i*k+j] = (hi + lo) / (n - 1)
		}
	}
	return mean, cov
}

// writeFeatures writes f as a (2, K + K*K) float64 array: the high parts
// of the feature sums then of the cross products, and the low parts.
func writeFeatures(path string, f *Features) error {
	k := len(f.SumHi)
	data := make([]float64, 0, 2*(k+k*k))
	data = append(append(data, f.SumHi...), f.CrossHi...)
	data = append(append(data, f.SumLo...), f.CrossLo...)
	return npy.WriteFloat64(path, []int{2, k + k*k}, data)
}

// readFeatures reads what writeFeatures wrote into f (whose basis sets the
// expected size); f.N is set by the caller's count.
func readFeatures(path string, f *Features, n int) error {
	shape, data, err := npy.ReadFloat64(path)
	if err != nil {
		return fmt.Errorf("no feature sums (%w): the shard was written by an older dipgp; run it again", err)
	}
	k := len(f.SumHi)
	if len(shape) != 2 || shape[0] != 2 || shape[1] != k+k*k {
		return fmt.Errorf("%s has shape %v, want (2, %d) for %d features", path, shape, k+k*k, k)
	}
	w := k + k*k
	copy(f.SumHi, data[:k])
	copy(f.CrossHi, data[k:w])
	copy(f.SumLo, data[w:w+k])
	copy(f.CrossLo, data[w+k:])
	f.N = n
	return nil
}
