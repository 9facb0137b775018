package sgemm

import (
	"fmt"
	"sync"
)

// PackedA is op(A) of a product, packed once into the layout of the
// micro-kernel so that several products with the same left operand (one
// per block of B, per thread or per call) skip packing it again. It is
// valid for the micro-kernel chosen at program start (Gemm's).
type PackedA struct {
	kern *kernel
	m, k int
	mpad int // m rounded up to whole micro-panels
	data []float32
}

// Pack packs op(A), m×k (A stored as m rows of k with stride lda, or k rows
// of m if transA), into p, reusing p's storage when it is large enough.
// A PackedA must not be packed while a product reads it.
func (p *PackedA) Pack(transA bool, m, k int, a []float32, lda int) {
	if m < 0 || k < 0 {
		panic(fmt.Sprintf("sgemm: Pack: negative size m=%d k=%d; sizes must be >= 0", m, k))
	}
	if transA {
		checkMat("a", a, k, m, lda)
	} else {
		checkMat("a", a, m, k, lda)
	}
	kern := best
	mr := kern.mr
	p.kern, p.m, p.k = kern, m, k
	p.mpad = (m + mr - 1) / mr * mr
	need := p.mpad * k
	if cap(p.data) < need {
		p.data = alignedFloats(need)
	}
	p.data = p.data[:need]
	// Micro-panels are independent: large matrices are packed by up to
	// SetThreads goroutines, each taking whole panels.
	panels := p.mpad / mr
	t := min(int(threads.Load()), panels, max(1, m*k/minPackPerThread))
	pack := func(lo, hi int) { // panels lo..hi
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			packA(kern.tr, transA, a, lda, lo*mr, pc, min(hi*mr, m)-lo*mr, kc, mr, p.data[pc*p.mpad+lo*mr*kc:])
		}
	}
	if t <= 1 {
		pack(0, panels)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < t; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pack(panels*w/t, panels*(w+1)/t)
		}()
	}
	pack(0, panels/t)
	wg.Wait()
}

// minPackPerThread is the number of elements below which Pack does not
// add a goroutine.
const minPackPerThread = 1 << 15

// Rows returns m, the number of rows of the packed op(A).
func (p *PackedA) Rows() int { return p.m }

// Cols returns k, the number of columns of the packed op(A).
func (p *PackedA) Cols() int { return p.k }

// A PackB writes the kc×nc block of op(B) at row pc, column jc into dst as
// micro-panels of nr columns: panel q (columns jc+q*nr .. jc+q*nr+nr-1)
// starts at dst[q*nr*kc] and holds kc rows of nr values, row after row;
// columns past nc are zero. It is called from several goroutines at once
// (on disjoint column ranges) and must only write dst.
type PackB func(pc, jc, kc, nc, nr int, dst []float32)

// MatrixB returns the PackB of a stored op(B) (b holds k rows of n with
// stride ldb, or n rows of k if transB).
func MatrixB(transB bool, b []float32, ldb int) PackB {
	tr := best.tr
	return func(pc, jc, kc, nc, nr int, dst []float32) {
		packB(tr, transB, b, ldb, pc, jc, kc, nc, nr, dst)
	}
}

// GemmPacked computes C = alpha*op(A)*op(B) + beta*C with op(A) packed in a
// (m×k) and op(B), k×n, written block by block by packB. C is m rows of n
// with stride ldc; it is not read when beta == 0. The result is
// bit-identical to Gemm's with the same operands, for any thread count.
func GemmPacked(a *PackedA, n int, alpha float32, packB PackB, beta float32, c []float32, ldc int) {
	m, k := a.m, a.k
	if a.kern != best {
		panic("sgemm: GemmPacked: the PackedA was not packed by Pack")
	}
	if n < 0 {
		panic(fmt.Sprintf("sgemm: GemmPacked: negative size n=%d", n))
	}
	checkMat("c", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	kern := best
	mr, nr := kern.mr, kern.nr
	tilesM, tilesN := (m+mr-1)/mr, (n+nr-1)/nr
	flops := 2 * float64(m) * float64(n) * float64(k)
	t := min(int(threads.Load()), tilesM*tilesN, max(1, int(flops/minFlopsPerThread)))
	if t <= 1 {
		packedSerial(kern, a, 0, m, 0, n, alpha, packB, beta, c, ldc)
		return
	}
	// Share a tm×tn grid of blocks of whole micro-tiles among tm*tn <= t
	// goroutines, choosing the grid whose slowest goroutine finishes
	// first: its tiles, plus packing its columns of B (which the tm
	// goroutines of a column of the grid each pack).
	tm, tn, bestCost := 1, 1, 0.0
	for gm := 1; gm <= min(t, tilesM); gm++ {
		gn := min(t/gm, tilesN)
		rows := float64((tilesM + gm - 1) / gm * mr)
		cols := float64((tilesN + gn - 1) / gn * nr)
		cost := rows*cols*2*float64(k) + packCost*float64(k)*cols
		if gm == 1 || cost < bestCost {
			tm, tn, bestCost = gm, gn, cost
		}
	}
	var wg sync.WaitGroup
	for w := tm*tn - 1; w >= 0; w-- {
		bm, bn := w/tn, w%tn
		i0, i1 := tilesM*bm/tm*mr, min(tilesM*(bm+1)/tm*mr, m)
		j0, j1 := tilesN*bn/tn*nr, min(tilesN*(bn+1)/tn*nr, n)
		if i0 >= i1 || j0 >= j1 {
			continue
		}
		if w == 0 {
			packedSerial(kern, a, i0, i1, j0, j1, alpha, packB, beta, c, ldc)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			packedSerial(kern, a, i0, i1, j0, j1, alpha, packB, beta, c, ldc)
		}()
	}
	wg.Wait()
}

// packedNC is the number of columns of B packed at a time by GemmPacked:
// the kernel's own block when B is its inner loop operand, otherwise a
// block of about 256 KiB (the column blocking does not change the result).
func packedNC(kern *kernel) int {
	if kern.bInner {
		return kern.nc
	}
	return max(kern.nr, min(kern.nc, (1<<16)/kern.kc/kern.nr*kern.nr))
}

// packedSerial computes rows i0..i1, columns j0..j1 of the product on one
// goroutine (i0 a multiple of the micro-tile height).
func packedSerial(kern *kernel, a *PackedA, i0, i1, j0, j1 int, alpha float32, packB PackB, beta float32, c []float32, ldc int) {
	ws := kern.getWorkspace()
	defer kern.pool.Put(ws)
	mr, nr := kern.mr, kern.nr
	k := a.k
	ncb := packedNC(kern)
	bp := ws.b
	for jc := j0; jc < j1; jc += ncb {
		nc := min(ncb, j1-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			packB(pc, jc, kc, nc, nr, bp[:(nc+nr-1)/nr*nr*kc])
			bet, loadC := beta, beta != 0
			if pc > 0 {
				bet, loadC = 1, true
			}
			ap := a.data[pc*a.mpad:]
			for ir := i0; ir < i1; ir += mr {
				apan := ap[ir*kc : (ir+mr)*kc]
				for jr := 0; jr < nc; jr += nr {
					kern.tile(ws, kc, apan, bp[jr*kc:(jr+nr)*kc], c, ldc, false, ir, jc+jr, min(mr, i1-ir), min(nr, nc-jr), alpha, bet, loadC)
				}
			}
		}
	}
}

// colPool holds ColumnsB's scratch (8 columns of a k block).
var colPool = sync.Pool{New: func() any { return new([]float32) }}

// ColumnsB returns the PackB of an op(B) given column by column:
// col(j, p0, p1, dst) writes op(B)(p, j) for p0 <= p < p1 into dst[p-p0].
// Columns are transposed into the panels eight at a time. col is called
// from several goroutines at once and must only write dst.
func ColumnsB(col func(j, p0, p1 int, dst []float32)) PackB {
	tr := best.tr
	return func(pc, jc, kc, nc, nr int, dst []float32) {
		bufp := colPool.Get().(*[]float32)
		defer colPool.Put(bufp)
		if cap(*bufp) < 8*kc {
			*bufp = make([]float32, 8*kc)
		}
		buf := (*bufp)[:8*kc]
		for jr := 0; jr < nc; jr += nr {
			cols := min(nr, nc-jr)
			pan := dst[jr*kc : jr*kc+nr*kc]
			cc := 0
			if tr != nil && kc >= 8 {
				for ; cc+8 <= cols; cc += 8 {
					for i := 0; i < 8; i++ {
						col(jc+jr+cc+i, pc, pc+kc, buf[i*kc:(i+1)*kc])
					}
					p0 := transposeRows(tr, buf, kc, 8, kc, pan[cc:], nr)
					for i := 0; i < 8; i++ {
						for p := p0; p < kc; p++ {
							pan[p*nr+cc+i] = buf[i*kc+p]
						}
					}
				}
			}
			for ; cc < cols; cc++ {
				col(jc+jr+cc, pc, pc+kc, buf[:kc])
				for p, v := range buf[:kc] {
					pan[p*nr+cc] = v
				}
			}
			if cols < nr {
				for p := 0; p < kc; p++ {
					clear(pan[p*nr+cols : p*nr+nr])
				}
			}
		}
	}
}
