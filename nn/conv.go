package nn

import (
	"math"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/sgemm"
)

// colBudget is the number of float32 an im2col block may hold: backward
// processes the output rows of a convolution in blocks of at most this
// many im2col entries, so the workspace stays small whatever the image size.
const colBudget = 1 << 21

// conv is a "same" convolution with odd kernel, stride 1 or 2 and the
// architecture's padding, computed as a GEMM out[cout, pixels] = W[cout,
// cin*taps] x col[cin*taps, pixels] whose im2col matrix col is never
// stored: packCol writes it straight into the GEMM's packed panels (and
// the weight gradient reads col^T the same way). Backward stores only the
// input gradient in im2col form, W^T dy, over blocks of output rows, and
// adds it to dx with col2im. 1-D signals are 2-D tensors with one row and
// kh = 1.
type conv struct {
	cin, cout, stride int
	kh, kw, ph, pw    int
	hin, win          int
	hout, wout        int
	w, b              *Param
	direct            bool       // 1x1 stride 1: the input is its own im2col
	idxY, idxX        []int32    // input row/column read by tap t at output o: [t*nout+o], -1 for a zero
	loX, hiX          []int      // per tap tx, the outputs whose column s*o+tx-pw is inside the input
	rows              int        // output rows per im2col block
	foldBias          bool       // the only consumer is a batch norm, which cancels the bias
	lip               *lipschitz // Lipschitz control, nil without
	dense             bool       // a dense layer (dense.go): one bias per output value
}

// padIndex maps input coordinate i of an axis of length n to the stored
// coordinate it reads, or -1 for a zero of zero padding. Reflect is
// PyTorch's (no edge repeat: -1 reads 1).
func padIndex(i, n int, pad arch.Padding) int {
	if i >= 0 && i < n {
		return i
	}
	switch pad {
	case arch.Circular:
		return ((i % n) + n) % n
	case arch.Reflect:
		if n == 1 {
			return 0
		}
		p := 2 * (n - 1)
		i = ((i % p) + p) % p
		if i >= n {
			i = p - i
		}
		return i
	}
	return -1
}

func newConv(l arch.Conv, dims, cin, hin, win int, pad arch.Padding, prefix string, ntk bool, init arch.Init) *conv {
	c := &conv{cin: cin, cout: l.Out, stride: l.Stride, kh: l.K, kw: l.K, hin: hin, win: win}
	if dims == 1 {
		c.kh = 1
	}
	c.ph, c.pw = (c.kh-1)/2, (c.kw-1)/2
	c.hout, c.wout = hin, win
	if l.Stride == 2 {
		c.wout = win / 2
		if dims == 2 {
			c.hout = hin / 2
		}
	}
	taps := c.kh * c.kw
	fanIn := cin * taps
	shape := []int{l.Out, cin, c.kh, c.kw}
	if dims == 1 {
		shape = []int{l.Out, cin, c.kw}
	}
	c.w = newParam(prefix+".weight", ConvWeight, shape)
	c.w.FanIn = fanIn
	sw2, sb2 := init.Variances(fanIn)
	if ntk {
		c.w.Mult = float32(math.Sqrt(sw2 / float64(fanIn)))
	}
	if l.Bias {
		c.b = newParam(prefix+".bias", ConvBias, []int{l.Out})
		c.b.FanIn = fanIn
		if ntk {
			c.b.Mult = float32(math.Sqrt(sb2))
		}
	}
	if l.Lipschitz > 0 {
		c.lip = &lipschitz{lambda: l.Lipschitz, scale: 1}
	}
	c.direct = taps == 1 && l.Stride == 1
	c.idxY = make([]int32, c.kh*c.hout)
	for t := 0; t < c.kh; t++ {
		for o := 0; o < c.hout; o++ {
			c.idxY[t*c.hout+o] = int32(padIndex(c.stride*o+t-c.ph, hin, pad))
		}
	}
	if dims == 1 {
		for o := range c.idxY {
			c.idxY[o] = 0
		}
	}
	c.idxX = make([]int32, c.kw*c.wout)
	c.loX = make([]int, c.kw)
	c.hiX = make([]int, c.kw)
	for t := 0; t < c.kw; t++ {
		for o := 0; o < c.wout; o++ {
			c.idxX[t*c.wout+o] = int32(padIndex(c.stride*o+t-c.pw, win, pad))
		}
		// Output o reads column s*o + t - pw, inside the input for
		// ceil((pw-t)/s) <= o <= floor((win-1+pw-t)/s).
		lo := 0
		if c.pw > t {
			lo = (c.pw - t + c.stride - 1) / c.stride
		}
		hi := 0
		if win-1+c.pw-t >= 0 {
			hi = (win-1+c.pw-t)/c.stride + 1
		}
		c.loX[t] = min(lo, c.wout)
		c.hiX[t] = max(min(c.wout, hi), c.loX[t])
	}
	k := cin * taps
	c.rows = max(1, min(c.hout, colBudget/max(1, k*c.wout)))
	return c
}

// colLen is the im2col workspace this convolution needs.
func (c *conv) colLen() int {
	if c.direct {
		return 0
	}
	return c.cin * c.kh * c.kw * c.rows * c.wout
}

func (c *conv) params() []*Param {
	if c.b != nil {
		return []*Param{c.w, c.b}
	}
	return []*Param{c.w}
}
func (c *conv) needsIn() bool     { return true }
func (c *conv) needsOut() bool    { return false }
func (c *conv) elementwise() bool { return false }

func gather(src []float32, i int32) float32 {
	if i < 0 {
		return 0
	}
	return src[i]
}

// col2im adds the im2col-shaped gradient dcol of output rows y0..y1 to the
// input gradient dx of one sample (the transpose of im2col).
func (c *conv) col2im(dcol []float32, y0, y1 int, dx []float32) {
	nc := (y1 - y0) * c.wout
	taps := c.kh * c.kw
	plane := c.hin * c.win
	parallelFor(c.cin, taps*nc, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			dc := dx[ch*plane : (ch+1)*plane]
			for ty := 0; ty < c.kh; ty++ {
				for tx := 0; tx < c.kw; tx++ {
					r := (ch*c.kh+ty)*c.kw + tx
					s := dcol[r*nc : (r+1)*nc]
					ix := c.idxX[tx*c.wout : (tx+1)*c.wout]
					lo, hi := c.loX[tx], c.hiX[tx]
					off := tx - c.pw
					for oy := y0; oy < y1; oy++ {
						iy := c.idxY[ty*c.hout+oy]
						if iy < 0 {
							continue
						}
						sr := s[(oy-y0)*c.wout : (oy-y0+1)*c.wout]
						dr := dc[int(iy)*c.win : (int(iy)+1)*c.win]
						if c.stride == 1 {
							for o := 0; o < lo; o++ {
								if j := ix[o]; j >= 0 {
									dr[j] += sr[o]
								}
							}
							addTo(dr[lo+off:hi+off], sr[lo:hi])
							for o := hi; o < len(sr); o++ {
								if j := ix[o]; j >= 0 {
									dr[j] += sr[o]
								}
							}
							continue
						}
						for o := 0; o < lo; o++ {
							if j := ix[o]; j >= 0 {
								dr[j] += sr[o]
							}
						}
						if hi > lo {
							ss := sr[lo:hi]
							dd := dr[2*lo+off : 2*(hi-1)+off+1]
							for o, v := range ss {
								dd[2*o] += v
							}
						}
						for o := hi; o < len(sr); o++ {
							if j := ix[o]; j >= 0 {
								dr[j] += sr[o]
							}
						}
					}
				}
			}
		}
	})
}

func (c *conv) forward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	nin, hw := c.cin*c.hin*c.win, c.hout*c.wout
	nout := c.cout * hw
	k := c.cin * c.kh * c.kw
	w, wm := c.w.Data, c.w.Mult
	if c.lip != nil {
		wm = c.lip.update(w, c.cout, k, wm)
	}
	// The weights are packed once per call for all samples and threads.
	wp := &p.net.packW
	wp.Pack(false, c.cout, k, w, k)
	for b := 0; b < p.b; b++ {
		xb, yb := x[b*nin:(b+1)*nin], y[b*nout:(b+1)*nout]
		if c.direct {
			sgemm.GemmPacked(wp, hw, wm, sgemm.MatrixB(false, xb, hw), 0, yb, hw)
		} else {
			sgemm.GemmPacked(wp, hw, wm, c.packCol(xb), 0, yb, hw)
		}
		if c.b != nil && !c.foldBias {
			bias, bm := c.b.Data, c.b.Mult
			parallelFor(c.cout, hw, func(lo, hi int) {
				for ch := lo; ch < hi; ch++ {
					row := yb[ch*hw : (ch+1)*hw]
					ssLeaky(row, row, 1, bm*bias[ch], 1)
				}
			})
		}
	}
}

func (c *conv) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	x := in[0].buf
	nin, hw := c.cin*c.hin*c.win, c.hout*c.wout
	nout := c.cout * hw
	k := c.cin * c.kh * c.kw
	w, wm, dw := c.w.Data, c.w.Mult, c.w.Grad
	if c.lip != nil {
		wm *= c.lip.scale
	}
	if c.b != nil && !c.foldBias {
		db, bm := c.b.Grad, c.b.Mult
		parallelFor(c.cout, p.b*hw, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				var s float64
				for b := 0; b < p.b; b++ {
					v, _ := sumSq(dy[b*nout+ch*hw : b*nout+(ch+1)*hw])
					s += v
				}
				db[ch] += bm * float32(s)
			}
		})
	}
	var dxAll []float32
	if len(dx) > 0 {
		dxAll = dx[0]
		// W^T is packed once for all samples, blocks and threads.
		p.net.packW.Pack(true, k, c.cout, w, k)
	}
	for b := 0; b < p.b; b++ {
		xb, dyb := x[b*nin:(b+1)*nin], dy[b*nout:(b+1)*nout]
		var dxb []float32
		if dxAll != nil {
			dxb = dxAll[b*nin : (b+1)*nin]
		}
		if c.direct {
			p.net.packDy.Pack(false, c.cout, hw, dyb, hw)
			sgemm.GemmPacked(&p.net.packDy, c.cin, wm, sgemm.MatrixB(true, xb, hw), 1, dw, c.cin)
			if dxb != nil {
				beta := float32(0)
				if acc[0] {
					beta = 1
				}
				sgemm.GemmPacked(&p.net.packW, hw, wm, sgemm.MatrixB(false, dyb, hw), beta, dxb, hw)
			}
			continue
		}
		if dxb != nil && !acc[0] {
			clear(dxb)
		}
		col := p.net.col
		for y0 := 0; y0 < c.hout; y0 += c.rows {
			y1 := min(c.hout, y0+c.rows)
			nc := (y1 - y0) * c.wout
			// dW += dy col^T, with col^T packed straight from x.
			j0 := y0 * c.wout
			p.net.packDy.Pack(false, c.cout, nc, dyb[j0:], hw)
			colT := sgemm.ColumnsB(func(r, p0, p1 int, dst []float32) { c.colRow(xb, r, j0+p0, j0+p1, dst) })
			sgemm.GemmPacked(&p.net.packDy, k, wm, colT, 1, dw, k)
			if dxb != nil {
				sgemm.GemmPacked(&p.net.packW, nc, wm, sgemm.MatrixB(false, dyb[y0*c.wout:], hw), 0, col, nc)
				c.col2im(col[:k*nc], y0, y1, dxb)
			}
		}
	}
}
