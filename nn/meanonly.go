package nn

// meanNorm is Shi et al.'s mean-only batch norm (arch.BatchNorm.MeanOnly,
// their MeanOnlyBatchNorm in code/models/common.py): every (sample,
// channel) plane has its mean over the grid subtracted, then the trainable
// shift beta (when affine, starting at 0) is added. It is linear, so its
// backward pass needs no saved tensor: dx = dy - mean(dy) per plane.
type meanNorm struct {
	c, n int    // channels, grid points
	beta *Param // nil unless affine
}

func newMeanNorm(prefix string, c, n int, affine bool) *meanNorm {
	m := &meanNorm{c: c, n: n}
	if affine {
		m.beta = newParam(prefix+".bias", BNBias, []int{c})
	}
	return m
}

func (m *meanNorm) params() []*Param {
	if m.beta != nil {
		return []*Param{m.beta}
	}
	return nil
}
func (m *meanNorm) needsIn() bool     { return false }
func (m *meanNorm) needsOut() bool    { return false }
func (m *meanNorm) elementwise() bool { return true }

// planeMean returns the mean of xs in float64.
func planeMean(xs []float32) float64 {
	var s float64
	for _, v := range xs {
		s += float64(v)
	}
	return s / float64(len(xs))
}

func (m *meanNorm) forward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	parallelFor(p.b*m.c, m.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xs, ys := x[pl*m.n:(pl+1)*m.n], y[pl*m.n:(pl+1)*m.n]
			shift := -planeMean(xs)
			if m.beta != nil {
				shift += float64(m.beta.Data[pl%m.c])
			}
			for i, v := range xs {
				ys[i] = v + float32(shift)
			}
		}
	})
}

func (m *meanNorm) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	planes := p.b * m.c
	sums := make([]float64, planes)
	var d []float32
	if len(dx) > 0 {
		d = dx[0]
	}
	parallelFor(planes, m.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			gs := dy[pl*m.n : (pl+1)*m.n]
			mu := planeMean(gs)
			sums[pl] = mu * float64(m.n)
			if d == nil {
				continue
			}
			ds := d[pl*m.n : (pl+1)*m.n]
			if acc[0] {
				for i, v := range gs {
					ds[i] += v - float32(mu)
				}
			} else {
				for i, v := range gs {
					ds[i] = v - float32(mu)
				}
			}
		}
	})
	if m.beta == nil {
		return
	}
	for pl, s := range sums {
		m.beta.Grad[pl%m.c] += float32(s)
	}
}

// jvp writes the tangent dx - mean(dx) + d beta to t (dx nil: zero).
func (m *meanNorm) jvp(p *pass, dx []float32, tangentOf map[*Param][]float32, t []float32) {
	var db []float32
	if m.beta != nil {
		db = tangentOf[m.beta]
	}
	parallelFor(p.b*m.c, m.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			ts := t[pl*m.n : (pl+1)*m.n]
			var shift float64
			if db != nil {
				shift = float64(db[pl%m.c])
			}
			if dx == nil {
				for i := range ts {
					ts[i] = float32(shift)
				}
				continue
			}
			ds := dx[pl*m.n : (pl+1)*m.n]
			shift -= planeMean(ds)
			for i, v := range ds {
				ts[i] = v + float32(shift)
			}
		}
	})
}
