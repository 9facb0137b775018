package nn

import (
	"fmt"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/sgemm"
)

// TestPackColMatchesIm2col checks the fused im2col packing against packing
// the stored im2col matrix (im2col itself is checked against direct
// convolution by the layer tests), for every padding, both strides, 1-D
// and 2-D, on blocks that cut output rows and micro-panels anywhere.
func TestPackColMatchesIm2col(t *testing.T) {
	for _, dims := range []int{1, 2} {
		for _, pad := range []arch.Padding{arch.Zero, arch.Circular, arch.Reflect} {
			for _, stride := range []int{1, 2} {
				for _, k := range []int{1, 3, 5} {
					h, w := 9, 10
					if dims == 1 {
						h = 1
					}
					c := newConv(arch.Conv{Out: 2, K: k, Stride: stride}, dims, 3, h, w, pad, "c", false, arch.Init{})
					name := fmt.Sprintf("dims=%d pad=%v stride=%d k=%d", dims, pad, stride, k)
					x := make([]float32, 3*h*w)
					for i := range x {
						x[i] = float32(i + 1)
					}
					kk, hw := 3*c.kh*c.kw, c.hout*c.wout
					col := make([]float32, kk*hw)
					c.im2col(x, 0, c.hout, col)
					for _, blk := range [][4]int{{0, 0, kk, hw}, {1, 3, kk - 2, hw - 4}, {2, 7, 1, 5}} {
						pc, jc, kc := blk[0], blk[1], blk[2]
						nc := min(blk[3], hw-jc)
						if kc < 1 || nc < 1 {
							continue
						}
						for _, nr := range []int{4, 16, 48} {
							np := (nc + nr - 1) / nr * nr
							want := make([]float32, np*kc)
							got := make([]float32, np*kc)
							for i := range got {
								got[i] = -1
							}
							sgemm.MatrixB(false, col, hw)(pc, jc, kc, nc, nr, want)
							c.packCol(x)(pc, jc, kc, nc, nr, got)
							for i := range got {
								if got[i] != want[i] {
									t.Fatalf("%s block %v nr=%d: packed[%d] = %v, want %v", name, blk, nr, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}
