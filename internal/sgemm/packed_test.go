package sgemm

import (
	"math/rand/v2"
	"testing"
)

// TestGemmPackedMatchesGemm checks GemmPacked, with a packed A and B packed
// by MatrixB, bit for bit against Gemm (itself checked against the float64
// triple loop), for shapes with partial micro-tiles, several k blocks and
// several column blocks, on 1 and 3 threads.
func TestGemmPackedMatchesGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{1, 1, 1}, {7, 5, 3}, {128, 300, 1152}, {13, 777, 500}, {3, 1000, 27}, {50, 49, 800}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				lda, ldb := k+3, n+2
				if transA {
					lda = m + 1
				}
				if transB {
					ldb = k + 5
				}
				a := randSlice(rng, max(m, k)*lda)
				b := randSlice(rng, max(n, k)*ldb)
				c0 := randSlice(rng, m*(n+1))
				for _, beta := range []float32{0, 0.5} {
					want := append([]float32(nil), c0...)
					Gemm(transA, transB, m, n, k, 1.25, a, lda, b, ldb, beta, want, n+1)
					var pa PackedA
					for _, th := range []int{1, 3} {
						prev := SetThreads(th)
						pa.Pack(transA, m, k, a, lda)
						got := append([]float32(nil), c0...)
						GemmPacked(&pa, n, 1.25, MatrixB(transB, b, ldb), beta, got, n+1)
						SetThreads(prev)
						for i := range got {
							if got[i] != want[i] {
								t.Fatalf("m=%d n=%d k=%d transA=%v transB=%v beta=%v threads=%d: c[%d] = %v, Gemm gives %v", m, n, k, transA, transB, beta, th, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestColumnsB checks ColumnsB, packing op(B) from its columns, against
// MatrixB on the stored matrix, element by element.
func TestColumnsB(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][2]int{{1, 1}, {7, 5}, {37, 61}, {400, 100}} {
		k, n := s[0], s[1]
		b := randSlice(rng, k*n) // op(B) = b^T: n rows of k
		cols := ColumnsB(func(j, p0, p1 int, dst []float32) { copy(dst, b[j*k+p0:j*k+p1]) })
		for _, blk := range [][4]int{{0, 0, k, n}, {k / 3, n / 4, k - k/3, n - n/4}} {
			pc, jc, kc, nc := blk[0], blk[1], blk[2], blk[3]
			for _, nr := range []int{4, 16, 48} {
				np := (nc + nr - 1) / nr * nr
				want, got := make([]float32, np*kc), make([]float32, np*kc)
				for i := range got {
					got[i] = -1
				}
				MatrixB(true, b, k)(pc, jc, kc, nc, nr, want)
				cols(pc, jc, kc, nc, nr, got)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("k=%d n=%d block %v nr=%d: packed[%d] = %v, want %v", k, n, blk, nr, i, got[i], want[i])
					}
				}
			}
		}
	}
}
