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

// im2col is the reference for packCol: it fills col (K rows of (y1-y0)*wout) with the inputs read by output
// rows y0 <= y < y1 of one sample x.
func (c *conv) im2col(x []float32, y0, y1 int, col []float32) {
	nc := (y1 - y0) * c.wout
	taps := c.kh * c.kw
	plane := c.hin * c.win
	parallelFor(c.cin, taps*nc, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			xc := x[ch*plane : (ch+1)*plane]
			for ty := 0; ty < c.kh; ty++ {
				for tx := 0; tx < c.kw; tx++ {
					r := (ch*c.kh+ty)*c.kw + tx
					dst := col[r*nc : (r+1)*nc]
					ix := c.idxX[tx*c.wout : (tx+1)*c.wout]
					lo, hi := c.loX[tx], c.hiX[tx]
					off := tx - c.pw
					for oy := y0; oy < y1; oy++ {
						d := dst[(oy-y0)*c.wout : (oy-y0+1)*c.wout]
						iy := c.idxY[ty*c.hout+oy]
						if iy < 0 {
							clear(d)
							continue
						}
						src := xc[int(iy)*c.win : (int(iy)+1)*c.win]
						if c.stride == 1 {
							for o := 0; o < lo; o++ {
								d[o] = gather(src, ix[o])
							}
							copy(d[lo:hi], src[lo+off:hi+off])
							for o := hi; o < len(d); o++ {
								d[o] = gather(src, ix[o])
							}
							continue
						}
						for o := 0; o < lo; o++ {
							d[o] = gather(src, ix[o])
						}
						if hi > lo {
							dd := d[lo:hi]
							ss := src[2*lo+off : 2*(hi-1)+off+1]
							for o := range dd {
								dd[o] = ss[2*o]
							}
						}
						for o := hi; o < len(d); o++ {
							d[o] = gather(src, ix[o])
						}
					}
				}
			}
		}
	})
}
