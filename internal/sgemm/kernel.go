package sgemm

import "sync"

// A kernel is a micro-kernel together with the blocking it is tuned for.
//
// fn computes, for the mr×nr tile of C starting at c[0] with row stride ldc,
//
//	C = alpha*(Ap*Bp) + beta*C   (loadC true)
//	C = alpha*(Ap*Bp)            (loadC false; C is not read)
//
// where Ap is a packed mr×k panel (k groups of mr values, one per column of
// A) and Bp a packed k×nr panel (k groups of nr values, one per row of B).
// Each element's sum over k is accumulated in order, in float32, then
// multiplied by alpha and added to beta*C. The operations applied to an
// element do not depend on its position in the tile, which is what makes
// Gemm's result independent of the blocking and of the thread count.
type kernel struct {
	name       string
	mr, nr     int
	mc, kc, nc int // cache blocking: mc multiple of mr, nc multiple of nr
	fn         func(k int, ap, bp, c []float32, ldc int, alpha, beta float32, loadC bool)
	bInner     bool       // loop order: see serialBInner
	tr         transposer // packing helper; nil for pure Go
	pool       sync.Pool
}

// workspace holds one goroutine's packing buffers.
type workspace struct {
	a, b, tile []float32
}

func (kern *kernel) getWorkspace() *workspace {
	if ws, ok := kern.pool.Get().(*workspace); ok {
		return ws
	}
	return &workspace{
		a:    alignedFloats(kern.mc * kern.kc),
		b:    alignedFloats(kern.kc * kern.nc),
		tile: alignedFloats(kern.mr * kern.nr),
	}
}

// alignedFloats returns a zeroed slice of n float32 starting on a 64-byte
// boundary.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := 0
	for uintptrOf(s[off:])%64 != 0 {
		off++
	}
	return s[off : off+n : off+n]
}
