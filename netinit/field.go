package netinit

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/kernel"
)

// Field estimates, from one sample of a random field with C channels on
// the grid, the phase-resolved second moment
//
//	khat[p][d] = mean over channels c of  sum_{x = p mod P, x in R, x+d in R} f_c(x) f_c(x+d) / #pairs
//
// where R is the region used: the whole periodic grid, or an interior
// region that keeps a margin from the border (for zero or reflection
// padding). Averaged over samples it is an unbiased estimate of the
// second moment E[f(x) f(x+d)] for x of phase p (docs/theory.md section 6).
//
// A Field is not safe for concurrent use; make one per goroutine with
// Clone.
type Field struct {
	// Period is the phase period P.
	Period int
	// Size is the grid size.
	Size []int
	// Margin is the number of border pixels left out on every side (0 =
	// the whole periodic grid).
	Margin int

	plan   *fft2.Plan
	masks  [][]float64 // per phase: indicator of x = p mod P and x in R
	region []float64   // indicator of R
	count  [][]float64 // per phase and offset: number of pairs
	bufA   []complex128
	bufB   []complex128
	bufC   []complex128
	realA  []float64
}

// NewField prepares the estimator for fields of the given period, grid size
// and border margin.
func NewField(period int, size []int, margin int) (*Field, error) {
	shape, err := kernel.NewMap(period, size)
	if err != nil {
		return nil, err
	}
	for _, s := range size {
		if 2*margin >= s {
			return nil, fmt.Errorf("netinit: a margin of %d pixels leaves nothing of a grid of size %v; use a smaller margin or a larger size", margin, size)
		}
		if margin < 0 {
			return nil, fmt.Errorf("netinit: margin %d is negative", margin)
		}
	}
	e := &Field{Period: period, Size: append([]int(nil), size...), Margin: margin, plan: fft2.NewPlan(size)}
	n := shape.Points()
	e.region = make([]float64, n)
	for x := 0; x < n; x++ {
		e.region[x] = 1
		if margin > 0 && !e.interior(x) {
			e.region[x] = 0
		}
	}
	e.masks = make([][]float64, shape.Phases())
	e.count = make([][]float64, shape.Phases())
	for p := range e.masks {
		m := make([]float64, n)
		for x := 0; x < n; x++ {
			if shape.Phase(x) == p {
				m[x] = e.region[x]
			}
		}
		e.masks[p] = m
		// #pairs(d) = sum_x m(x) region(x+d): a correlation.
		e.count[p] = e.correlate(m, e.region)
		for d, c := range e.count[p] {
			e.count[p][d] = math.Round(c)
		}
	}
	e.alloc()
	return e, nil
}

func (e *Field) alloc() {
	h := e.plan.HalfLen()
	e.bufA = make([]complex128, h)
	e.bufB = make([]complex128, h)
	e.bufC = make([]complex128, h)
	e.realA = make([]float64, len(e.region))
}

func (e *Field) interior(x int) bool {
	if len(e.Size) == 1 {
		return x >= e.Margin && x < e.Size[0]-e.Margin
	}
	y, xx := x/e.Size[1], x%e.Size[1]
	return y >= e.Margin && y < e.Size[0]-e.Margin && xx >= e.Margin && xx < e.Size[1]-e.Margin
}

// correlate returns c(d) = sum_x a(x) b(x+d) on the periodic grid.
func (e *Field) correlate(a, b []float64) []float64 {
	n := len(a)
	A := make([]complex128, n)
	B := make([]complex128, n)
	for i := range a {
		A[i], B[i] = complex(a[i], 0), complex(b[i], 0)
	}
	e.plan.Forward(A, A)
	e.plan.Forward(B, B)
	for i := range A {
		A[i] = complex(real(A[i]), -imag(A[i])) * B[i]
	}
	e.plan.Inverse(A, A)
	out := make([]float64, n)
	for i := range out {
		out[i] = real(A[i])
	}
	return out
}

// Clone returns an estimator with the same settings and its own buffers.
func (e *Field) Clone() *Field {
	c := *e
	c.plan = e.plan.Clone()
	c.alloc()
	return &c
}

// Valid reports, per phase and offset, whether any pair of points
// contributes.
func (e *Field) Valid() []bool {
	n := len(e.region)
	v := make([]bool, len(e.masks)*n)
	for p, c := range e.count {
		for d, k := range c {
			v[p*n+d] = k > 0
		}
	}
	return v
}

// Len returns the number of values of an estimate: phases times points.
func (e *Field) Len() int { return len(e.masks) * len(e.region) }

// Estimate writes into dst (length Len) the estimate from one sample f
// holding channels*points values, channel-major ([c][x]). Entries without
// pairs are 0.
func (e *Field) Estimate(dst []float64, f []float32, channels int) error {
	n := len(e.region)
	if len(f) != channels*n || channels < 1 {
		return fmt.Errorf("netinit: field has %d values, want %d channels x %d points", len(f), channels, n)
	}
	if len(dst) != e.Len() {
		return fmt.Errorf("netinit: estimate buffer has %d values, want %d", len(dst), e.Len())
	}
	clear(dst)
	for c := 0; c < channels; c++ {
		fc := f[c*n : (c+1)*n]
		// B = F(region * f), half spectrum.
		for x, v := range fc {
			e.realA[x] = float64(v) * e.region[x]
		}
		e.plan.RealForward(e.bufB, e.realA)
		for p, m := range e.masks {
			for x, v := range fc {
				e.realA[x] = float64(v) * m[x]
			}
			e.plan.RealForward(e.bufA, e.realA)
			for i, a := range e.bufA {
				e.bufC[i] = complex(real(a), -imag(a)) * e.bufB[i]
			}
			e.plan.RealInverse(e.realA, e.bufC)
			row := dst[p*n : (p+1)*n]
			for d := range row {
				row[d] += e.realA[d]
			}
		}
	}
	inv := 1 / float64(channels)
	for p, cnt := range e.count {
		row := dst[p*n : (p+1)*n]
		for d := range row {
			if cnt[d] > 0 {
				row[d] *= inv / cnt[d]
			} else {
				row[d] = 0
			}
		}
	}
	return nil
}
