package fft2

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Plan holds precomputed FFT tables for one grid shape. A Plan is safe for
// concurrent use by multiple goroutines.
type Plan struct {
	shape []int
	h, w  int // h == 1 for 1-D grids
	pool  sync.Pool
}

// workspace is per-goroutine scratch: FFTs for rows and columns and a column
// buffer.
type workspace struct {
	fw, fh *fourier.CmplxFFT
	col    []complex128
}

// NewPlan returns a plan for grids of the given shape: [N] for 1-D or [H, W]
// for 2-D (row-major). Every dimension must be at least 1. NewPlan panics
// on an invalid shape.
func NewPlan(shape []int) *Plan {
	if err := checkShape(shape); err != nil {
		panic(err)
	}
	p := &Plan{shape: append([]int(nil), shape...)}
	if len(shape) == 1 {
		p.h, p.w = 1, shape[0]
	} else {
		p.h, p.w = shape[0], shape[1]
	}
	p.pool.New = func() any {
		ws := &workspace{fw: fourier.NewCmplxFFT(p.w)}
		if p.h > 1 {
			ws.fh = fourier.NewCmplxFFT(p.h)
			ws.col = make([]complex128, p.h)
		}
		return ws
	}
	return p
}

func checkShape(shape []int) error {
	if len(shape) != 1 && len(shape) != 2 {
		return fmt.Errorf("fft2: shape %v has %d dimensions; want [N] or [H, W]", shape, len(shape))
	}
	for _, s := range shape {
		if s < 1 {
			return fmt.Errorf("fft2: shape %v has a dimension < 1; every dimension must be >= 1", shape)
		}
	}
	return nil
}

// Clone returns an independent plan for the same shape. Plans are already
// safe for concurrent use, so Clone is only needed to avoid sharing the
// scratch pool (for example to keep per-worker memory separate).
func (p *Plan) Clone() *Plan { return NewPlan(p.shape) }

// Shape returns a copy of the grid shape of the plan.
func (p *Plan) Shape() []int { return append([]int(nil), p.shape...) }

// Len returns the number of grid points (the product of the shape).
func (p *Plan) Len() int { return p.h * p.w }

func (p *Plan) check(name string, n int) {
	if n != p.h*p.w {
		panic(fmt.Sprintf("fft2: %s has length %d, want %d for shape %v", name, n, p.h*p.w, p.shape))
	}
}

// transform runs the unnormalised forward (inverse=false) or backward
// transform of src into dst. dst and src may be the same slice.
func (p *Plan) transform(dst, src []complex128, inverse bool) {
	p.check("dst", len(dst))
	p.check("src", len(src))
	ws := p.pool.Get().(*workspace)
	defer p.pool.Put(ws)
	h, w := p.h, p.w
	for y := 0; y < h; y++ {
		d, s := dst[y*w:(y+1)*w], src[y*w:(y+1)*w]
		if inverse {
			ws.fw.Sequence(d, s)
		} else {
			ws.fw.Coefficients(d, s)
		}
	}
	if h == 1 {
		return
	}
	col := ws.col
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			col[y] = dst[y*w+x]
		}
		if inverse {
			ws.fh.Sequence(col, col)
		} else {
			ws.fh.Coefficients(col, col)
		}
		for y := 0; y < h; y++ {
			dst[y*w+x] = col[y]
		}
	}
}

// Forward computes the unnormalised forward DFT of src into dst:
// X(w) = Σ_x x(x) exp(-2πi w·x/N). dst and src must both have length
// p.Len(); they may be the same slice (in-place transform).
func (p *Plan) Forward(dst, src []complex128) {
	p.transform(dst, src, false)
}

// Inverse computes the inverse DFT of src into dst, including the 1/N
// factor, so that Inverse(Forward(x)) = x. dst and src must both have length
// p.Len(); they may be the same slice.
func (p *Plan) Inverse(dst, src []complex128) {
	p.transform(dst, src, true)
	s := 1 / float64(p.h*p.w)
	for i, v := range dst {
		dst[i] = complex(real(v)*s, imag(v)*s)
	}
}

// ForwardReal returns the forward DFT of the real grid src (length p.Len())
// in a newly allocated slice.
func (p *Plan) ForwardReal(src []float64) []complex128 {
	p.check("src", len(src))
	c := make([]complex128, len(src))
	for i, v := range src {
		c[i] = complex(v, 0)
	}
	p.Forward(c, c)
	return c
}

// InverseReal returns the real part of the inverse DFT of src (length
// p.Len()) in a newly allocated slice. Use it when src is known to be the
// spectrum of a real grid (Hermitian symmetric); any imaginary part of the
// result is discarded.
func (p *Plan) InverseReal(src []complex128) []float64 {
	p.check("src", len(src))
	c := make([]complex128, len(src))
	p.Inverse(c, src)
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = real(v)
	}
	return out
}

// Autocorr returns the circular autocorrelation of the real grid x,
// r(d) = Σ_x x(x) x(x+d) with indices taken modulo the shape, computed as
// the inverse DFT of |X|². r(0) = Σ x² sits at index 0.
func (p *Plan) Autocorr(x []float64) []float64 {
	X := p.ForwardReal(x)
	for i, v := range X {
		X[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	return p.InverseReal(X)
}

// Convolve returns the circular convolution of the real grids a and b,
// c(x) = Σ_y a(y) b(x-y) with indices taken modulo the shape, computed as
// the inverse DFT of A·B.
func (p *Plan) Convolve(a, b []float64) []float64 {
	A := p.ForwardReal(a)
	B := p.ForwardReal(b)
	for i := range A {
		A[i] *= B[i]
	}
	return p.InverseReal(A)
}

// Freq returns the signed frequency index of DFT coefficient i on a grid of
// n points, as numpy.fft.fftfreq(n)*n: i for i < (n+1)/2 and i-n otherwise.
// For even n the Nyquist index n/2 maps to -n/2. Freq panics unless
// 0 <= i < n.
func Freq(i, n int) int {
	if i < 0 || i >= n {
		panic(fmt.Sprintf("fft2: Freq index %d out of range [0, %d)", i, n))
	}
	if i < (n+1)/2 {
		return i
	}
	return i - n
}

// Radius returns, for every DFT coefficient of a grid of the given shape
// (row-major), its frequency radius in cycles per pixel:
// sqrt(fy² + fx²) with fx = Freq(x, W)/W and fy = Freq(y, H)/H; for a 1-D
// grid, |Freq(i, N)/N|. Values lie in [0, 0.5·sqrt(2)] (2-D) or [0, 0.5]
// (1-D). Radius panics on an invalid shape.
func Radius(shape []int) []float64 {
	if err := checkShape(shape); err != nil {
		panic(err)
	}
	h, w := 1, shape[0]
	if len(shape) == 2 {
		h, w = shape[0], shape[1]
	}
	r := make([]float64, h*w)
	for y := 0; y < h; y++ {
		fy := 0.0
		if len(shape) == 2 {
			fy = float64(Freq(y, h)) / float64(h)
		}
		for x := 0; x < w; x++ {
			fx := float64(Freq(x, w)) / float64(w)
			r[y*w+x] = math.Sqrt(fx*fx + fy*fy)
		}
	}
	return r
}

// RadialAverage averages values (one per DFT coefficient of a grid of the
// given shape, row-major, e.g. a power spectrum) over nbins equal-width
// rings of radius (see Radius) covering [0, 0.5] cycles per pixel. Bin k
// holds radii in [k·Δ, (k+1)·Δ) with Δ = 0.5/nbins; the last bin also
// includes radius exactly 0.5. Coefficients with radius > 0.5 (the corners
// of a 2-D spectrum) are dropped, so every ring is a full circle.
//
// It returns the bin centres (k+½)·Δ, the mean of values in each bin and
// the number of coefficients in each bin. The mean of an empty bin is NaN
// (check counts); for a 2-D grid this happens only if nbins exceeds about
// min(H, W)/2. RadialAverage panics if len(values) does not match the
// shape or nbins < 1.
func RadialAverage(values []float64, shape []int, nbins int) (centers, means []float64, counts []int) {
	if nbins < 1 {
		panic(fmt.Sprintf("fft2: RadialAverage nbins = %d; need at least 1", nbins))
	}
	r := Radius(shape)
	if len(values) != len(r) {
		panic(fmt.Sprintf("fft2: RadialAverage values has length %d, want %d for shape %v", len(values), len(r), shape))
	}
	width := 0.5 / float64(nbins)
	centers = make([]float64, nbins)
	means = make([]float64, nbins)
	counts = make([]int, nbins)
	for k := range centers {
		centers[k] = (float64(k) + 0.5) * width
	}
	for i, ri := range r {
		if ri > 0.5 {
			continue
		}
		k := int(2 * ri * float64(nbins))
		if k >= nbins {
			k = nbins - 1
		}
		means[k] += values[i]
		counts[k]++
	}
	for k := range means {
		if counts[k] == 0 {
			means[k] = math.NaN()
		} else {
			means[k] /= float64(counts[k])
		}
	}
	return centers, means, counts
}
