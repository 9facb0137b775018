package sgemm

// packA copies the mc×kc block of op(A) starting at row ic, column pc into
// ap as micro-panels of mr rows: panel q holds rows ic+q*mr .. ic+q*mr+mr-1
// stored column after column (kc groups of mr values). Rows past mc are
// zero.
func packA(transA bool, a []float32, lda, ic, pc, mc, kc, mr int, ap []float32) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		dst := ap[ir*kc : ir*kc+mr*kc]
		if transA {
			// op(A)(i,p) = a[p*lda+i]: each column of the panel is contiguous.
			base := pc*lda + ic + ir
			for p := 0; p < kc; p++ {
				d := dst[p*mr : p*mr+mr]
				s := a[base+p*lda : base+p*lda+rows]
				copy(d, s)
				clear(d[rows:])
			}
			continue
		}
		for r := 0; r < rows; r++ {
			s := a[(ic+ir+r)*lda+pc : (ic+ir+r)*lda+pc+kc]
			for p, v := range s {
				dst[p*mr+r] = v
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
func packB(transB bool, b []float32, ldb, pc, jc, kc, nc, nr int, bp []float32) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		dst := bp[jr*kc : jr*kc+nr*kc]
		if !transB {
			base := pc*ldb + jc + jr
			for p := 0; p < kc; p++ {
				d := dst[p*nr : p*nr+nr]
				copy(d, b[base+p*ldb:base+p*ldb+cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)(p,j) = b[j*ldb+p]: each column of the panel is contiguous.
		for cc := 0; cc < cols; cc++ {
			s := b[(jc+jr+cc)*ldb+pc : (jc+jr+cc)*ldb+pc+kc]
			for p, v := range s {
				dst[p*nr+cc] = v
			}
		}
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(dst[p*nr+cols : p*nr+nr])
			}
		}
	}
}
