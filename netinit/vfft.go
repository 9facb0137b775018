package netinit

import (
	"math"
	"math/bits"
)

// vfft is a radix-2 FFT of length n whose elements are vectors of V
// numbers: it transforms V independent sequences at once, with every
// butterfly a loop over the V of them (long, simple loops instead of
// many short transforms). Data are split into real and imaginary parts,
// element j of a line at offsets (base + j*stride)*V.
type vfft struct {
	n      int
	wr, wi []float64 // exp(-2 pi i k / n), k < n/2
	rev    []int     // bit reversal of 0..n-1
}

// newVFFT returns the transform of length n, a power of 2.
func newVFFT(n int) *vfft {
	t := &vfft{n: n, wr: make([]float64, n/2), wi: make([]float64, n/2), rev: make([]int, n)}
	for k := range t.wr {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		t.wr[k], t.wi[k] = c, s
	}
	shift := 64 - bits.Len(uint(n-1))
	for j := range t.rev {
		if n > 1 {
			t.rev[j] = int(bits.Reverse64(uint64(j)) >> shift)
		}
	}
	return t
}

// isPow2 reports whether n is a power of 2 (1 included).
func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// line transforms, in place, the sequence of vectors at base, base+stride,
// ..., without normalization: forward (sign -1) or inverse (sign +1).
func (t *vfft) line(re, im []float64, v, base, stride int, inverse bool) {
	n := t.n
	at := func(j int) int { return (base + j*stride) * v }
	for j, r := range t.rev {
		if j < r {
			a, b := at(j), at(r)
			ar, br := re[a:a+v], re[b:b+v]
			for i := range ar {
				ar[i], br[i] = br[i], ar[i]
			}
			ai, bi := im[a:a+v], im[b:b+v]
			for i := range ai {
				ai[i], bi[i] = bi[i], ai[i]
			}
		}
	}
	for m := 2; m <= n; m *= 2 {
		h := m / 2
		step := n / m
		for k := 0; k < h; k++ {
			wr, wi := t.wr[k*step], t.wi[k*step]
			if inverse {
				wi = -wi
			}
			for j := k; j < n; j += m {
				a, b := at(j), at(j+h)
				butterfly(re[a:a+v], im[a:a+v], re[b:b+v], im[b:b+v], wr, wi, k == 0)
			}
		}
	}
}

// butterfly sets (x, y) to (x + w y, x - w y) elementwise.
func butterfly(xr, xi, yr, yi []float64, wr, wi float64, one bool) {
	xi, yr, yi = xi[:len(xr)], yr[:len(xr)], yi[:len(xr)]
	if one {
		for i, a := range xr {
			br, bi := yr[i], yi[i]
			ai := xi[i]
			xr[i], xi[i] = a+br, ai+bi
			yr[i], yi[i] = a-br, ai-bi
		}
		return
	}
	for i, a := range xr {
		br := wr*yr[i] - wi*yi[i]
		bi := wr*yi[i] + wi*yr[i]
		ai := xi[i]
		xr[i], xi[i] = a+br, ai+bi
		yr[i], yi[i] = a-br, ai-bi
	}
}

// grid2 transforms in place every vector sequence of an hs x ws grid of
// vectors (element (y, x) at (y*ws + x)*v): along x, then along y.
func grid2(tx, ty *vfft, re, im []float64, v, hs, ws int, inverse bool) {
	if ws > 1 {
		for y := 0; y < hs; y++ {
			tx.line(re, im, v, y*ws, 1, inverse)
		}
	}
	if hs > 1 {
		for x := 0; x < ws; x++ {
			ty.line(re, im, v, x, ws, inverse)
		}
	}
}
