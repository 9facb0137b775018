package netinit

import (
	"fmt"
	"math"
	"math/cmplx"

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
	sub    *fft2.Plan     // the sub-lattice grid (H/P) x (W/P) of one phase
	twy    [][]complex128 // per phase row py: exp(+2 pi i ky py / H), ky < H
	twx    [][]complex128 // per phase column px: exp(+2 pi i kx px / W), kx <= W/2
	specB  [][]complex128 // per channel: half spectrum of region * f
	subG   [][]complex128 // per channel and phase: spectrum of the sub-lattice series
	masks  [][]float64    // per phase: indicator of x = p mod P and x in R
	region []float64      // indicator of R
	count  [][]float64    // per phase and offset: number of pairs
	bufA   []complex128
	bufB   []complex128
	bufC   []complex128
	realA  []float64

	// The estimate by pairs of phases (fieldpairs.go).
	tx, ty   *vfft
	pairs    [][2]int
	gRe, gIm []float64
	zRe, zIm []float64
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
		if margin == 0 {
			// Every point of phase p pairs with every other.
			e.count[p] = make([]float64, n)
			for d := range e.count[p] {
				e.count[p][d] = float64(n / shape.Phases())
			}
			continue
		}
		// #pairs(d) = sum_x m(x) region(x+d): a correlation.
		e.count[p] = e.correlate(m, e.region)
		for d, c := range e.count[p] {
			e.count[p][d] = math.Round(c)
		}
	}
	e.twiddles()
	e.preparePairs()
	e.alloc()
	return e, nil
}

// grid returns H, W, the phase period along y (1 in 1-D) and the
// sub-lattice size hs x ws.
func (e *Field) grid() (h, w, py, hs, ws int) {
	h, w, py = 1, e.Size[0], 1
	if len(e.Size) == 2 {
		h, w, py = e.Size[0], e.Size[1], e.Period
	}
	return h, w, py, h / py, w / e.Period
}

// twiddles prepares the sub-lattice plan and the phase factors of
// Estimate.
func (e *Field) twiddles() {
	h, w, py, hs, ws := e.grid()
	sub := []int{ws}
	if len(e.Size) == 2 {
		sub = []int{hs, ws}
	}
	e.sub = fft2.NewPlan(sub)
	e.twy = make([][]complex128, py)
	for y := range e.twy {
		e.twy[y] = make([]complex128, h)
		for k := range e.twy[y] {
			e.twy[y][k] = cmplx.Rect(1, 2*math.Pi*float64((k*y)%h)/float64(h))
		}
	}
	e.twx = make([][]complex128, e.Period)
	for x := range e.twx {
		e.twx[x] = make([]complex128, w/2+1)
		for k := range e.twx[x] {
			e.twx[x][k] = cmplx.Rect(1, 2*math.Pi*float64((k*x)%w)/float64(w))
		}
	}
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
	c.sub = e.sub.Clone()
	c.specB, c.subG = nil, nil
	c.gRe, c.gIm, c.zRe, c.zIm = nil, nil, nil, nil
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

// spectra computes, for every channel c of f, the half spectrum B_c of
// region * f and, for every phase p = (qy, qx), the (complex) spectrum
// G_cp of the sub-lattice series g(y) = (region * f)(q + P y): the
// spectrum of the field masked to phase p is then
// A_cp(k) = exp(-2 pi i k.q / N) G_cp(k mod (H/P, W/P)), so one transform
// of the small grid replaces one of the whole grid.
func (e *Field) spectra(f []float32, channels int) {
	n := len(e.region)
	_, w, py, hs, ws := e.grid()
	if len(e.specB) != channels {
		e.specB = make([][]complex128, channels)
		for c := range e.specB {
			e.specB[c] = make([]complex128, e.plan.HalfLen())
		}
		e.subG = make([][]complex128, channels*len(e.masks))
		for i := range e.subG {
			e.subG[i] = make([]complex128, hs*ws)
		}
	}
	for c := 0; c < channels; c++ {
		fc := f[c*n : (c+1)*n]
		for x, v := range fc {
			e.realA[x] = float64(v) * e.region[x]
		}
		e.plan.RealForward(e.specB[c], e.realA)
		for p := range e.masks {
			qy, qx := p/e.Period, p%e.Period
			g := e.subG[c*len(e.masks)+p]
			for yy := 0; yy < hs; yy++ {
				src := e.realA[(qy%py+py*yy)*w+qx:]
				for xx := 0; xx < ws; xx++ {
					g[yy*ws+xx] = complex(src[e.Period*xx], 0)
				}
			}
			e.sub.Forward(g, g)
		}
	}
}

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
	if e.pairsOK() {
		e.estimatePairs(dst, f, channels)
	} else {
		e.estimateFull(dst, f, channels)
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

// estimateFull writes into dst the sums of Estimate (not yet divided by
// the counts) by one inverse transform of the whole grid per phase.
func (e *Field) estimateFull(dst []float64, f []float32, channels int) {
	n := len(e.region)
	e.spectra(f, channels)
	h, w, py, hs, ws := e.grid()
	wh := w/2 + 1
	for p := range e.masks {
		qy, qx := p/e.Period, p%e.Period
		// sum_c conj(A_cp) B_c, with A_cp(k) = exp(-2 pi i k.q/N) G_cp(k mod the sub-lattice).
		acc := e.bufC
		for ky := 0; ky < h; ky++ {
			row := acc[ky*wh : (ky+1)*wh]
			clear(row)
			gy := (ky % hs) * ws
			for c := 0; c < channels; c++ {
				g := e.subG[c*len(e.masks)+p][gy : gy+ws]
				b := e.specB[c][ky*wh : (ky+1)*wh]
				gx := 0
				for kx, bv := range b {
					gv := g[gx]
					row[kx] += complex(real(gv), -imag(gv)) * bv
					if gx++; gx == ws {
						gx = 0
					}
				}
			}
			ty := e.twy[qy%py][ky]
			tx := e.twx[qx]
			for kx := range row {
				row[kx] *= ty * tx[kx]
			}
		}
		e.plan.RealInverse(e.realA, acc)
		copy(dst[p*n:(p+1)*n], e.realA)
	}
}
