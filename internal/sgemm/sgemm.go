package sgemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int64

func init() { threads.Store(int64(max(1, runtime.GOMAXPROCS(0)))) }

// SetThreads sets the number of goroutines Gemm may use and returns the
// previous value. The default is runtime.GOMAXPROCS(0) at program start.
// SetThreads panics if n < 1. Results do not depend on the thread count.
func SetThreads(n int) int {
	if n < 1 {
		panic(fmt.Sprintf("sgemm: SetThreads(%d): the number of threads must be at least 1", n))
	}
	return int(threads.Swap(int64(n)))
}

// Impl reports the micro-kernel used by Gemm: "avx512", "avx2fma" or "generic".
func Impl() string { return best.name }

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(X) is X, or X transposed when the corresponding trans flag is set.
//
// op(A) is m×k: A is stored as m rows of k (or, if transA, k rows of m)
// elements with row stride lda. op(B) is k×n: B is stored as k rows of n (or,
// if transB, n rows of k) with row stride ldb. C is m rows of n with row
// stride ldc.
//
// As in the reference BLAS, C is not read when beta == 0 (NaNs in C are
// overwritten), and op(A)*op(B) is not computed when alpha == 0 or k == 0.
// C must not overlap A or B.
//
// Gemm uses up to the number of goroutines set by SetThreads; the result is
// bit-identical for any thread count (it may differ in the last bits between
// micro-kernels, hence between machines, and from GemmGeneric). It panics, naming the argument at
// fault, if a size is negative, a leading dimension is smaller than its row
// length, or a slice is too short for the given sizes.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	run(best, int(threads.Load()), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmGeneric is Gemm computed with the pure-Go micro-kernel. It has the
// same semantics, validation and threading as Gemm and serves as the
// fallback and as a reference in tests and benchmarks.
func GemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	run(generic, int(threads.Load()), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMat panics unless a rows×cols row-major matrix with stride ld fits in s.
func checkMat(name string, s []float32, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("sgemm: ld%s = %d is smaller than the row length %d of %s; pass a stride >= %d", name, ld, cols, name, max(1, cols)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("sgemm: len(%s) = %d is too short for %d rows of %d with stride %d; need at least %d elements", name, len(s), rows, cols, ld, need))
	}
}

func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("sgemm: negative size m=%d n=%d k=%d; sizes must be >= 0", m, n, k))
	}
	if transA {
		checkMat("a", a, k, m, lda)
	} else {
		checkMat("a", a, m, k, lda)
	}
	if transB {
		checkMat("b", b, n, k, ldb)
	} else {
		checkMat("b", b, k, n, ldb)
	}
	checkMat("c", c, m, n, ldc)
}

// scaleC sets C = beta*C (C = 0 when beta == 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// minFlopsPerThread is the amount of work (2*m*n*k) below which adding a
// goroutine costs more than it saves.
const minFlopsPerThread = 1 << 21

// packCost is the cost of packing one matrix element, in flops.
const packCost = 50

// run validates the arguments and computes Gemm with kern on up to
// nthreads goroutines.
func run(kern *kernel, nthreads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := kern.mr, kern.nr
	// When padding m and n up to whole micro-tiles wastes much less work for
	// C^T = op(B)^T * op(A)^T (n small, m not), compute that instead and
	// store the tiles transposed. Every element still gets the same
	// operations (products commute exactly), so the choice, which depends
	// on the shape only, does not change the result.
	transC := false
	if padded(n, m, mr, nr)*4 < padded(m, n, mr, nr)*3 {
		transC = true
		m, n = n, m
		transA, transB = !transB, !transA
		a, b = b, a
		lda, ldb = ldb, lda
	}
	dispatch(kern, nthreads, transA, transB, transC, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// dispatch shares the blocks of the product among up to nthreads goroutines
// (see serial for transC).
func dispatch(kern *kernel, nthreads int, transA, transB, transC bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	tilesM, tilesN := (m+mr-1)/mr, (n+nr-1)/nr
	flops := 2 * float64(m) * float64(n) * float64(k)
	t := min(nthreads, max(tilesM, tilesN), max(1, int(flops/minFlopsPerThread)))
	// Split along m or n in whole micro-tiles, whichever makes the slowest
	// goroutine finish first: its share of tiles, plus packing all of the
	// operand that every goroutine needs (B when splitting m, A when
	// splitting n).
	costM := float64((tilesM+t-1)/t*mr)*2*float64(n)*float64(k) + packCost*float64(k)*float64(n)
	costN := float64((tilesN+t-1)/t*nr)*2*float64(m)*float64(k) + packCost*float64(k)*float64(m)
	splitN := costN < costM || tilesM < t
	tiles, unit, dim := tilesM, mr, m
	if splitN {
		tiles, unit, dim = tilesN, nr, n
	}
	t = min(t, tiles)
	if t <= 1 {
		ws := kern.getWorkspace()
		serial(kern, ws, transA, transB, transC, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		kern.pool.Put(ws)
		return
	}
	part := func(lo, hi int) {
		ws := kern.getWorkspace()
		defer kern.pool.Put(ws)
		if splitN {
			// Columns lo..hi of the (possibly transposed) product.
			bb, cc := sub(b, lo, ldb, transB), sub(c, lo, ldc, transC)
			serial(kern, ws, transA, transB, transC, m, hi-lo, k, alpha, a, lda, bb, ldb, beta, cc, ldc)
		} else {
			// Rows lo..hi.
			aa, cc := sub(a, lo, lda, !transA), sub(c, lo, ldc, !transC)
			serial(kern, ws, transA, transB, transC, hi-lo, n, k, alpha, aa, lda, b, ldb, beta, cc, ldc)
		}
	}
	// Goroutines take parts 1..t-1; the caller computes part 0.
	var wg sync.WaitGroup
	for w := 1; w < t; w++ {
		lo, hi := tiles*w/t*unit, min(tiles*(w+1)/t*unit, dim)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			part(lo, hi)
		}()
	}
	part(0, min(tiles/t*unit, dim))
	wg.Wait()
}

// sub returns s from row lo (byRow) or from column lo of a matrix with
// row stride ld.
func sub(s []float32, lo, ld int, byRow bool) []float32 {
	if byRow {
		return s[lo*ld:]
	}
	return s[lo:]
}

// padded is the work for an m×n product once m and n are rounded up to
// whole mr×nr micro-tiles.
func padded(m, n, mr, nr int) int { return (m + mr - 1) / mr * mr * ((n + nr - 1) / nr * nr) }

// serial runs the blocked algorithm on one goroutine, in the loop order
// chosen by kern.bInner. If transC, c holds the transpose of the m×n
// product (element (i, j) at c[j*ldc+i]).
func serial(kern *kernel, ws *workspace, transA, transB, transC bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if kern.bInner {
		serialBInner(kern, ws, transA, transB, transC, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	mr, nr := kern.mr, kern.nr
	ap, bp := ws.a, ws.b
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			packB(kern.tr, transB, b, ldb, pc, jc, kc, nc, nr, bp)
			bet, loadC := beta, beta != 0
			if pc > 0 {
				bet, loadC = 1, true
			}
			for ic := 0; ic < m; ic += kern.mc {
				mc := min(kern.mc, m-ic)
				packA(kern.tr, transA, a, lda, ic, pc, mc, kc, mr, ap)
				for jr := 0; jr < nc; jr += nr {
					bpan := bp[jr*kc : (jr+nr)*kc]
					for ir := 0; ir < mc; ir += mr {
						kern.tile(ws, kc, ap[ir*kc:(ir+mr)*kc], bpan, c, ldc, transC, ic+ir, jc+jr, min(mr, mc-ir), min(nr, nc-jr), alpha, bet, loadC)
					}
				}
			}
		}
	}
}

// serialBInner is serial with the roles of the blocks exchanged: a large
// block of A is packed once per k block, B is packed in blocks of kern.nc
// columns, and the innermost loop runs over the micro-panels of B while one
// micro-panel of A stays in L1.
func serialBInner(kern *kernel, ws *workspace, transA, transB, transC bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	ap, bp := ws.a, ws.b
	for ic := 0; ic < m; ic += kern.mc {
		mc := min(kern.mc, m-ic)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			packA(kern.tr, transA, a, lda, ic, pc, mc, kc, mr, ap)
			bet, loadC := beta, beta != 0
			if pc > 0 {
				bet, loadC = 1, true
			}
			for jc := 0; jc < n; jc += kern.nc {
				nc := min(kern.nc, n-jc)
				packB(kern.tr, transB, b, ldb, pc, jc, kc, nc, nr, bp)
				for ir := 0; ir < mc; ir += mr {
					apan := ap[ir*kc : (ir+mr)*kc]
					for jr := 0; jr < nc; jr += nr {
						kern.tile(ws, kc, apan, bp[jr*kc:(jr+nr)*kc], c, ldc, transC, ic+ir, jc+jr, min(mr, mc-ir), min(nr, nc-jr), alpha, bet, loadC)
					}
				}
			}
		}
	}
}

// tile runs the micro-kernel on the mm×nn tile (mm <= mr, nn <= nr) of the
// product at row i0, column j0; the product is C, or C^T if transC.
func (kern *kernel) tile(ws *workspace, kc int, apan, bpan, c []float32, ldc int, transC bool, i0, j0, mm, nn int, alpha, beta float32, loadC bool) {
	mr, nr := kern.mr, kern.nr
	if !transC && mm == mr && nn == nr {
		kern.fn(kc, apan, bpan, c[i0*ldc+j0:], ldc, alpha, beta, loadC)
		return
	}
	// Edge or transposed tile: run the same kernel on a full-size copy so
	// that every element sees identical arithmetic.
	t := ws.tile
	if transC {
		if loadC {
			for j := 0; j < nn; j++ {
				row := c[(j0+j)*ldc+i0 : (j0+j)*ldc+i0+mm]
				for i, v := range row {
					t[i*nr+j] = v
				}
			}
		}
		kern.fn(kc, apan, bpan, t, nr, alpha, beta, loadC)
		for j := 0; j < nn; j++ {
			row := c[(j0+j)*ldc+i0 : (j0+j)*ldc+i0+mm]
			for i := range row {
				row[i] = t[i*nr+j]
			}
		}
		return
	}
	off := i0*ldc + j0
	if loadC {
		for i := 0; i < mm; i++ {
			copy(t[i*nr:i*nr+nn], c[off+i*ldc:off+i*ldc+nn])
		}
	}
	kern.fn(kc, apan, bpan, t, nr, alpha, beta, loadC)
	for i := 0; i < mm; i++ {
		copy(c[off+i*ldc:off+i*ldc+nn], t[i*nr:i*nr+nn])
	}
}
