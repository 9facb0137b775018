package sgemm

// packA copies the mc×kc block of op(A) starting at row ic, column pc into
// ap as micro-panels of mr rows: panel q holds rows ic+q*mr .. ic+q*mr+mr-1
// stored column after column (kc groups of mr values). Rows past mc are
// zero.
func packA(tr transposer, transA bool, a []float32, lda, ic, pc, mc, kc, mr int, ap []float32) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		dst := ap[ir*kc : ir*kc+mr*kc]
		if transA {
			// op(A)(i,p) = a[p*lda+i]: each column of the panel is contiguous.
			base := pc*lda + ic + ir
			if rows == 8 && mr == 8 {
				// Fixed-size copies avoid a memmove call per column.
				for p := 0; p < kc; p++ {
					*(*[8]float32)(dst[p*8:]) = *(*[8]float32)(a[base+p*lda:])
				}
				continue
			}
			for p := 0; p < kc; p++ {
				d := dst[p*mr : p*mr+mr]
				s := a[base+p*lda : base+p*lda+rows]
				copy(d, s)
				clear(d[rows:])
			}
			continue
		}
		r0 := 0
		if tr != nil && rows >= 8 && kc >= 8 {
			r0 = transposeRows(tr, a[(ic+ir)*lda+pc:], lda, rows, kc, dst, mr)
		}
		for r := 0; r < rows; r++ {
			s := a[(ic+ir+r)*lda+pc+r0 : (ic+ir+r)*lda+pc+kc]
			for p, v := range s {
				dst[(r0+p)*mr+r] = v
			}
		}
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(dst[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packB copies the kc×nc block of op(B) starting at row pc, column jc into
// bp as micro-panels of nr columns: panel q holds columns jc+q*nr ..
// jc+q*nr+nr-1 stored row after row (kc groups of nr values). Columns past
// nc are zero.
func packB(tr transposer, transB bool, b []float32, ldb, pc, jc, kc, nc, nr int, bp []float32) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		dst := bp[jr*kc : jr*kc+nr*kc]
		if !transB {
			base := pc*ldb + jc + jr
			// Fixed-size copies of whole panels avoid a memmove call per
			// row (which costs more than the copy at these widths).
			switch {
			case cols == 16 && nr == 16:
				for p := 0; p < kc; p++ {
					*(*[16]float32)(dst[p*16:]) = *(*[16]float32)(b[base+p*ldb:])
				}
				continue
			case cols == 48 && nr == 48:
				for p := 0; p < kc; p++ {
					*(*[48]float32)(dst[p*48:]) = *(*[48]float32)(b[base+p*ldb:])
				}
				continue
			}
			for p := 0; p < kc; p++ {
				d := dst[p*nr : p*nr+nr]
				copy(d, b[base+p*ldb:base+p*ldb+cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)(p,j) = b[j*ldb+p]: each column of the panel is contiguous.
		p0 := 0
		if tr != nil && cols >= 8 && kc >= 8 {
			p0 = transposeRows(tr, b[(jc+jr)*ldb+pc:], ldb, cols, kc, dst, nr)
		}
		for cc := 0; cc < cols; cc++ {
			s := b[(jc+jr+cc)*ldb+pc+p0 : (jc+jr+cc)*ldb+pc+kc]
			for p, v := range s {
				dst[(p0+p)*nr+cc] = v
			}
		}
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(dst[p*nr+cols : p*nr+nr])
			}
		}
	}
}

// A transposer transposes nblk consecutive 8×8 blocks:
// dst[(8b+i)*ldd + r] = src[r*lds + 8b+i] for b < nblk and r, i < 8.
type transposer func(src []float32, lds int, dst []float32, ldd, nblk int)

// transposeRows sets dst[p*ldd+r] = src[r*lds+p] for r < rows and
// p < 8*(kc/8) with tr, and returns 8*(kc/8), the first p left to the
// caller. It needs rows >= 8 and kc >= 8; when rows is not a multiple of 8
// the last group of 8 rows overlaps the previous one.
func transposeRows(tr transposer, src []float32, lds, rows, kc int, dst []float32, ldd int) int {
	nblk := kc / 8
	for r := 0; r < rows; r += 8 {
		r = min(r, rows-8)
		tr(src[r*lds:], lds, dst[r:], ldd, nblk)
	}
	return 8 * nblk
}
