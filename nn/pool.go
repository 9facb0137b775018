package nn

import "github.com/dipgp/dipgp/arch"

// pool halves the grid per axis: the mean of each 2x2 block (2 values in
// 1-D), or decimation y[i] = x[2i]. It has no parameters and its backward
// pass needs only the shapes.
type pool struct {
	op         arch.PoolOp
	dims       int
	hin, win   int
	hout, wout int
}

func (l *pool) params() []*Param  { return nil }
func (l *pool) needsIn() bool     { return false }
func (l *pool) needsOut() bool    { return false }
func (l *pool) elementwise() bool { return false }

func (l *pool) forward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	pin, pout := l.hin*l.win, l.hout*l.wout
	planes := p.b * in[0].c
	parallelFor(planes, pin, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xs, ys := x[pl*pin:(pl+1)*pin], y[pl*pout:(pl+1)*pout]
			for oy := 0; oy < l.hout; oy++ {
				yr := ys[oy*l.wout : (oy+1)*l.wout]
				if l.dims == 1 {
					xr := xs[:l.win]
					if l.op == arch.Avg {
						for i := range yr {
							yr[i] = 0.5 * (xr[2*i] + xr[2*i+1])
						}
					} else {
						for i := range yr {
							yr[i] = xr[2*i]
						}
					}
					continue
				}
				r0 := xs[2*oy*l.win : (2*oy+1)*l.win]
				if l.op == arch.Avg {
					r1 := xs[(2*oy+1)*l.win : (2*oy+2)*l.win]
					for i := range yr {
						yr[i] = 0.25 * ((r0[2*i] + r0[2*i+1]) + (r1[2*i] + r1[2*i+1]))
					}
				} else {
					for i := range yr {
						yr[i] = r0[2*i]
					}
				}
			}
		}
	})
}

func (l *pool) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	d := dx[0]
	if d == nil {
		return
	}
	ac := acc[0]
	pin, pout := l.hin*l.win, l.hout*l.wout
	planes := p.b * in[0].c
	parallelFor(planes, pin, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			ds, gs := d[pl*pin:(pl+1)*pin], dy[pl*pout:(pl+1)*pout]
			if !ac {
				clear(ds)
			}
			for oy := 0; oy < l.hout; oy++ {
				g := gs[oy*l.wout : (oy+1)*l.wout]
				if l.dims == 1 {
					r := ds[:l.win]
					if l.op == arch.Avg {
						for i, v := range g {
							r[2*i] += 0.5 * v
							r[2*i+1] += 0.5 * v
						}
					} else {
						for i, v := range g {
							r[2*i] += v
						}
					}
					continue
				}
				r0 := ds[2*oy*l.win : (2*oy+1)*l.win]
				if l.op == arch.Avg {
					r1 := ds[(2*oy+1)*l.win : (2*oy+2)*l.win]
					for i, v := range g {
						v *= 0.25
						r0[2*i] += v
						r0[2*i+1] += v
						r1[2*i] += v
						r1[2*i+1] += v
					}
				} else {
					for i, v := range g {
						r0[2*i] += v
					}
				}
			}
		}
	})
}
