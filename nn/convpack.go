package nn

import (
	"sync"

	"github.com/dipgp/dipgp/internal/sgemm"
)

// rowPool holds scratch rows for packCol (one per goroutine at a time).
var rowPool = sync.Pool{New: func() any { return new([]float32) }}

// packCol returns the sgemm.PackB of the im2col matrix of one sample x
// (cin*kh*kw rows of hout*wout pixels), written straight into the packed
// layout: the convolution's GEMM never stores the im2col matrix, which
// saves writing and reading it back (the memory traffic that dominates
// convolutions at many threads).
func (c *conv) packCol(x []float32) sgemm.PackB {
	return func(pc, jc, kc, nc, nr int, dst []float32) {
		bufp := rowPool.Get().(*[]float32)
		if cap(*bufp) < nc {
			*bufp = make([]float32, nc)
		}
		buf := (*bufp)[:nc]
		full := nc / nr * nr
		for pp := 0; pp < kc; pp++ {
			c.colRow(x, pc+pp, jc, jc+nc, buf)
			d := dst[pp*nr:]
			switch nr {
			case 48:
				for q := 0; q < full; q += nr {
					*(*[48]float32)(d[q*kc:]) = *(*[48]float32)(buf[q:])
				}
			case 16:
				for q := 0; q < full; q += nr {
					*(*[16]float32)(d[q*kc:]) = *(*[16]float32)(buf[q:])
				}
			default:
				for q := 0; q < full; q += nr {
					copy(d[q*kc:q*kc+nr], buf[q:q+nr])
				}
			}
			if full < nc {
				t := d[full*kc : full*kc+nr]
				w := copy(t, buf[full:])
				clear(t[w:])
			}
		}
		rowPool.Put(bufp)
	}
}

// colRow writes into d the entries j0 <= j < j1 of row r of the im2col
// matrix of x (the input read by tap (ty, tx) of channel ch, r = (ch*kh +
// ty)*kw + tx, at output pixel j = oy*wout + ox), as im2col does.
func (c *conv) colRow(x []float32, r, j0, j1 int, d []float32) {
	tx := r % c.kw
	ty := (r / c.kw) % c.kh
	ch := r / (c.kw * c.kh)
	plane := c.hin * c.win
	xc := x[ch*plane : (ch+1)*plane]
	ix := c.idxX[tx*c.wout : (tx+1)*c.wout]
	lo, hi := c.loX[tx], c.hiX[tx]
	off := tx - c.pw
	for j := j0; j < j1; {
		oy := j / c.wout
		a := j - oy*c.wout
		b := min(c.wout, a+j1-j)
		seg := d[j-j0 : j-j0+b-a]
		j += b - a
		iy := c.idxY[ty*c.hout+oy]
		if iy < 0 {
			clear(seg)
			continue
		}
		src := xc[int(iy)*c.win : (int(iy)+1)*c.win]
		ilo, ihi := max(a, lo), min(b, hi)
		if ilo >= ihi {
			for o := a; o < b; o++ {
				seg[o-a] = gather(src, ix[o])
			}
			continue
		}
		for o := a; o < ilo; o++ {
			seg[o-a] = gather(src, ix[o])
		}
		if c.stride == 1 {
			copy(seg[ilo-a:ihi-a], src[ilo+off:ihi+off])
		} else {
			dd := seg[ilo-a : ihi-a]
			ss := src[2*ilo+off : 2*(ihi-1)+off+1]
			for o := range dd {
				dd[o] = ss[2*o]
			}
		}
		for o := ihi; o < b; o++ {
			seg[o-a] = gather(src, ix[o])
		}
	}
}
