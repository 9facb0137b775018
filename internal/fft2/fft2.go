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
	wh    int // w/2 + 1, the width of a half spectrum
	pool  sync.Pool
}

// colBlock is the number of columns gathered together for the column
// transforms, so that reads and writes touch contiguous memory.
const colBlock = 8

// workspace is per-goroutine scratch space.
type workspace struct {
	fw   *fourier.CmplxFFT // rows, complex
	rw   *fourier.FFT      // rows, real
	fh   *fourier.CmplxFFT // columns (nil for 1-D)
	cols []complex128      // colBlock column buffers of length h
	z    []complex128      // one row of length w
	half []complex128      // one half spectrum (h × wh)
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
	p.wh = p.w/2 + 1
	p.pool.New = func() any {
		ws := &workspace{
			fw: fourier.NewCmplxFFT(p.w),
			rw: fourier.NewFFT(p.w),
			z:  make([]complex128, p.w),
		}
		if p.h > 1 {
			ws.fh = fourier.NewCmplxFFT(p.h)
			ws.cols = make([]complex128, colBlock*p.h)
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

// HalfShape returns the shape of the half spectrum used by RealForward and
// RealInverse: [H, W/2+1] for a 2-D plan, [N/2+1] for a 1-D plan (the
// layout of numpy.fft.rfft2 and rfft).
func (p *Plan) HalfShape() []int {
	if len(p.shape) == 1 {
		return []int{p.wh}
	}
	return []int{p.h, p.wh}
}

// HalfLen returns the number of coefficients in a half spectrum,
// H*(W/2+1).
func (p *Plan) HalfLen() int { return p.h * p.wh }

func (p *Plan) check(name string, n, want int) {
	if n != want {
		panic(fmt.Sprintf("fft2: %s has length %d, want %d for shape %v", name, n, want, p.shape))
	}
}

func (p *Plan) get() *workspace   { return p.pool.Get().(*workspace) }
func (p *Plan) put(ws *workspace) { p.pool.Put(ws) }

// columns transforms (in place) the first ncols columns of the h×stride
// array data along the column (y) direction.
func (p *Plan) columns(ws *workspace, data []complex128, stride, ncols int, inverse bool) {
	h := p.h
	buf := ws.cols
	for k0 := 0; k0 < ncols; k0 += colBlock {
		nb := min(colBlock, ncols-k0)
		for y := 0; y < h; y++ {
			for j, v := range data[y*stride+k0 : y*stride+k0+nb] {
				buf[j*h+y] = v
			}
		}
		for j := 0; j < nb; j++ {
			c := buf[j*h : (j+1)*h]
			if inverse {
				ws.fh.Sequence(c, c)
			} else {
				ws.fh.Coefficients(c, c)
			}
		}
		for y := 0; y < h; y++ {
			row := data[y*stride+k0 : y*stride+k0+nb]
			for j := range row {
				row[j] = buf[j*h+y]
			}
		}
	}
}

// transform runs the unnormalised forward (inverse=false) or backward
// transform of src into dst. dst and src may be the same slice.
func (p *Plan) transform(dst, src []complex128, inverse bool) {
	p.check("dst", len(dst), p.h*p.w)
	p.check("src", len(src), p.h*p.w)
	ws := p.get()
	defer p.put(ws)
	w := p.w
	for y := 0; y < p.h; y++ {
		d, s := dst[y*w:(y+1)*w], src[y*w:(y+1)*w]
		if inverse {
			ws.fw.Sequence(d, s)
		} else {
			ws.fw.Coefficients(d, s)
		}
	}
	if p.h > 1 {
		p.columns(ws, dst, w, w, inverse)
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

// forwardHalf writes the half spectrum (h × wh, unnormalised) of the real
// grid src into half. Pairs of real rows are transformed together as one
// complex row and separated by symmetry; only the wh non-redundant columns
// are transformed along y.
func (p *Plan) forwardHalf(ws *workspace, half []complex128, src []float64) {
	h, w, wh := p.h, p.w, p.wh
	z := ws.z
	y := 0
	for ; y+1 < h; y += 2 {
		a, b := src[y*w:(y+1)*w], src[(y+1)*w:(y+2)*w]
		for x := range z {
			z[x] = complex(a[x], b[x])
		}
		ws.fw.Coefficients(z, z)
		ha, hb := half[y*wh:(y+1)*wh], half[(y+1)*wh:(y+2)*wh]
		for k := 0; k < wh; k++ {
			zk := z[k]
			zm := z[(w-k)%w]
			// A = (Z(k) + conj Z(-k))/2, B = (Z(k) - conj Z(-k))/(2i).
			ha[k] = complex((real(zk)+real(zm))/2, (imag(zk)-imag(zm))/2)
			hb[k] = complex((imag(zk)+imag(zm))/2, (real(zm)-real(zk))/2)
		}
	}
	if y < h {
		ws.rw.Coefficients(half[y*wh:(y+1)*wh], src[y*w:(y+1)*w])
	}
	if h > 1 {
		p.columns(ws, half, wh, wh, false)
	}
}

// inverseHalf writes into dst the real grid whose spectrum has the given
// half (h × wh), including the 1/N factor. It overwrites half. As for
// numpy.fft.irfft2, the imaginary parts that the self-conjugate columns
// (kx = 0 and, for even W, kx = W/2) cannot carry are ignored after the
// column transforms.
func (p *Plan) inverseHalf(ws *workspace, dst []float64, half []complex128) {
	h, w, wh := p.h, p.w, p.wh
	if h > 1 {
		p.columns(ws, half, wh, wh, true)
	}
	s := 1 / float64(h*w)
	z := ws.z
	y := 0
	for ; y+1 < h; y += 2 {
		g1, g2 := half[y*wh:(y+1)*wh], half[(y+1)*wh:(y+2)*wh]
		z[0] = complex(real(g1[0]), real(g2[0]))
		for k := 1; k < wh; k++ {
			a, b := g1[k], g2[k]
			if 2*k == w {
				z[k] = complex(real(a), real(b))
				continue
			}
			// z(k) = a + i b, z(-k) = conj(a) + i conj(b).
			z[k] = complex(real(a)-imag(b), imag(a)+real(b))
			z[w-k] = complex(real(a)+imag(b), real(b)-imag(a))
		}
		ws.fw.Sequence(z, z)
		d1, d2 := dst[y*w:(y+1)*w], dst[(y+1)*w:(y+2)*w]
		for x, v := range z {
			d1[x] = real(v) * s
			d2[x] = imag(v) * s
		}
	}
	if y < h {
		d := dst[y*w : (y+1)*w]
		ws.rw.Sequence(d, half[y*wh:(y+1)*wh])
		for x := range d {
			d[x] *= s
		}
	}
}

// RealForward writes the half spectrum of the real grid src (length
// p.Len()) into dst (length p.HalfLen(), shape p.HalfShape()): the
// coefficients X(ky, kx) for kx = 0..W/2, unnormalised as Forward. The
// other coefficients follow from X(-k) = conj X(k). It is about twice as
// fast as a complex Forward.
func (p *Plan) RealForward(dst []complex128, src []float64) {
	p.check("src", len(src), p.h*p.w)
	p.check("dst", len(dst), p.h*p.wh)
	ws := p.get()
	defer p.put(ws)
	p.forwardHalf(ws, dst, src)
}

// RealInverse writes into dst (length p.Len()) the real grid whose half
// spectrum is src (length p.HalfLen()), including the 1/N factor, so that
// RealInverse(RealForward(x)) = x. As numpy.fft.irfft2, it treats src as
// half of a Hermitian spectrum (imaginary parts that the kx = 0 and
// kx = W/2 columns cannot carry are ignored). src is not modified.
func (p *Plan) RealInverse(dst []float64, src []complex128) {
	p.check("src", len(src), p.h*p.wh)
	p.check("dst", len(dst), p.h*p.w)
	ws := p.get()
	defer p.put(ws)
	if ws.half == nil {
		ws.half = make([]complex128, p.h*p.wh)
	}
	copy(ws.half, src)
	p.inverseHalf(ws, dst, ws.half)
}

// ForwardReal returns the full forward DFT of the real grid src (length
// p.Len()) in a newly allocated slice, computed through RealForward and
// Hermitian symmetry.
func (p *Plan) ForwardReal(src []float64) []complex128 {
	p.check("src", len(src), p.h*p.w)
	h, w, wh := p.h, p.w, p.wh
	ws := p.get()
	half := make([]complex128, h*wh)
	p.forwardHalf(ws, half, src)
	p.put(ws)
	out := make([]complex128, h*w)
	for ky := 0; ky < h; ky++ {
		copy(out[ky*w:ky*w+wh], half[ky*wh:(ky+1)*wh])
		my := (h - ky) % h
		for kx := wh; kx < w; kx++ {
			v := half[my*wh+(w-kx)]
			out[ky*w+kx] = complex(real(v), -imag(v))
		}
	}
	return out
}

// InverseReal returns the real part of the inverse DFT of src (length
// p.Len()) in a newly allocated slice. Any imaginary part of the result is
// discarded, so for a Hermitian-symmetric src (the spectrum of a real grid)
// it is the exact inverse. It uses half-size transforms internally.
func (p *Plan) InverseReal(src []complex128) []float64 {
	p.check("src", len(src), p.h*p.w)
	h, w, wh := p.h, p.w, p.wh
	// Half of the Hermitian part (X(k) + conj X(-k))/2, whose inverse is
	// the real part of the inverse of X.
	half := make([]complex128, h*wh)
	for ky := 0; ky < h; ky++ {
		my := (h - ky) % h
		for kx := 0; kx < wh; kx++ {
			a := src[ky*w+kx]
			b := src[my*w+(w-kx)%w]
			half[ky*wh+kx] = complex((real(a)+real(b))/2, (imag(a)-imag(b))/2)
		}
	}
	out := make([]float64, h*w)
	ws := p.get()
	p.inverseHalf(ws, out, half)
	p.put(ws)
	return out
}

// Autocorr returns the circular autocorrelation of the real grid x,
// r(d) = Σ_x x(x) x(x+d) with indices taken modulo the shape, computed as
// the inverse DFT of |X|². r(0) = Σ x² sits at index 0.
func (p *Plan) Autocorr(x []float64) []float64 {
	p.check("x", len(x), p.h*p.w)
	ws := p.get()
	defer p.put(ws)
	half := make([]complex128, p.h*p.wh)
	p.forwardHalf(ws, half, x)
	for i, v := range half {
		half[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	out := make([]float64, p.h*p.w)
	p.inverseHalf(ws, out, half)
	return out
}

// Convolve returns the circular convolution of the real grids a and b,
// c(x) = Σ_y a(y) b(x-y) with indices taken modulo the shape, computed as
// the inverse DFT of A·B.
func (p *Plan) Convolve(a, b []float64) []float64 {
	p.check("a", len(a), p.h*p.w)
	p.check("b", len(b), p.h*p.w)
	ws := p.get()
	defer p.put(ws)
	ha := make([]complex128, p.h*p.wh)
	hb := make([]complex128, p.h*p.wh)
	p.forwardHalf(ws, ha, a)
	p.forwardHalf(ws, hb, b)
	for i := range ha {
		ha[i] *= hb[i]
	}
	out := make([]float64, p.h*p.w)
	p.inverseHalf(ws, out, ha)
	return out
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

// Shift returns a copy of data (row-major, of the given shape) with the
// zero-frequency element moved to the centre, as numpy.fft.fftshift: along
// each axis of length n, element i moves to (i + n/2) mod n. After Shift,
// index j along an axis holds signed frequency j - n/2, which is the
// layout for displaying a spectrum. Shift panics if the shape is invalid or
// does not match len(data).
func Shift[T any](data []T, shape []int) []T {
	return shift(data, shape, false)
}

// Unshift undoes Shift (numpy.fft.ifftshift): element i moves to
// (i + n - n/2) mod n along each axis.
func Unshift[T any](data []T, shape []int) []T {
	return shift(data, shape, true)
}

func shift[T any](data []T, shape []int, inverse bool) []T {
	if err := checkShape(shape); err != nil {
		panic(err)
	}
	h, w := 1, shape[0]
	if len(shape) == 2 {
		h, w = shape[0], shape[1]
	}
	if len(data) != h*w {
		panic(fmt.Sprintf("fft2: Shift data has length %d, want %d for shape %v", len(data), h*w, shape))
	}
	sy, sx := h/2, w/2
	if inverse {
		sy, sx = h-h/2, w-w/2
	}
	out := make([]T, len(data))
	for y := 0; y < h; y++ {
		ny := (y + sy) % h
		for x := 0; x < w; x++ {
			out[ny*w+(x+sx)%w] = data[y*w+x]
		}
	}
	return out
}
