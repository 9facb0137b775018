package nn

import "github.com/dipgp/dipgp/arch"

// upsample doubles the grid per axis. Nearest repeats each value; bilinear
// uses PyTorch's align_corners=False weights per axis,
//
//	y[2i] = 0.75 x[i] + 0.25 x[i-1],   y[2i+1] = 0.75 x[i] + 0.25 x[i+1],
//
// where x[-1] and x[n] are x[0] and x[n-1] (clamped, as PyTorch) or, when
// the architecture's padding is circular, x[n-1] and x[0] (wrapped, as the
// kernel on the periodic grid). It has no parameters and its backward pass
// needs only the shapes.
type upsample struct {
	mode     arch.UpMode
	dims     int
	wrap     bool
	hin, win int
	sigma    float64 // the Gaussian's width for mode gaussian (gaussup.go)
}

func (l *upsample) params() []*Param  { return nil }
func (l *upsample) needsIn() bool     { return false }
func (l *upsample) needsOut() bool    { return false }
func (l *upsample) elementwise() bool { return false }

// nb returns the neighbour index i+d (d = -1 or +1) on an axis of n.
func (l *upsample) nb(i, d, n int) int {
	j := i + d
	if j < 0 || j >= n {
		if l.wrap {
			return (j + n) % n
		}
		return i
	}
	return j
}

// up1 writes the 1-D up-sampling of x (n values) to y (2n values).
func (l *upsample) up1(x, y []float32) {
	n := len(x)
	y = y[:2*n]
	if l.mode == arch.Nearest {
		for i, v := range x {
			y[2*i] = v
			y[2*i+1] = v
		}
		return
	}
	upRow(x, y)
	for _, i := range [2]int{0, n - 1} {
		v := float32(0.75 * x[i])
		y[2*i] = v + float32(0.25*x[l.nb(i, -1, n)])
		y[2*i+1] = v + float32(0.25*x[l.nb(i, 1, n)])
	}
}

// up1T adds the transpose of up1 applied to g (2n values) to d (n values).
func (l *upsample) up1T(g, d []float32) {
	n := len(d)
	g = g[:2*n]
	if l.mode == arch.Nearest {
		for i := range d {
			d[i] += g[2*i] + g[2*i+1]
		}
		return
	}
	if n < 3 {
		// y[2i] reads x[i] (0.75) and its left neighbour (0.25); y[2i+1]
		// reads x[i] (0.75) and its right neighbour (0.25).
		for i := range d {
			d[i] += 0.75 * (g[2*i] + g[2*i+1])
			d[l.nb(i, -1, n)] += 0.25 * g[2*i]
			d[l.nb(i, 1, n)] += 0.25 * g[2*i+1]
		}
		return
	}
	upRowT(g, d)
	// The borders: d[0] also receives 0.25 g[0] (clamped) or 0.25 g[2n-1]
	// (wrapped), d[n-1] receives 0.25 g[2n-1] or 0.25 g[0].
	lo, hi := g[0], g[2*n-1]
	if l.wrap {
		lo, hi = hi, lo
	}
	d[0] += float32(0.75*(g[0]+g[1])) + float32(0.25*(g[2]+lo))
	d[n-1] += float32(0.75*(g[2*n-2]+g[2*n-1])) + float32(0.25*(g[2*n-3]+hi))
}

func (l *upsample) forward(p *pass, in []*value, out *value) {
	if l.mode == arch.GaussianUp {
		l.gaussForward(p, in, out)
		return
	}
	x, y := in[0].buf, out.buf
	h, w := l.hin, l.win
	pin := h * w
	w2 := 2 * w
	pout := 4 * pin
	if l.dims == 1 {
		pout = 2 * pin
	}
	planes := p.b * in[0].c
	parallelFor(planes, pout, func(lo, hi int) {
		tmp := make([]float32, w)
		for pl := lo; pl < hi; pl++ {
			xs, ys := x[pl*pin:(pl+1)*pin], y[pl*pout:(pl+1)*pout]
			if l.dims == 1 {
				l.up1(xs, ys)
				continue
			}
			for i := 0; i < h; i++ {
				r := xs[i*w : (i+1)*w]
				for k, d := range [2]int{-1, 1} {
					dst := ys[(2*i+k)*w2 : (2*i+k+1)*w2]
					if l.mode == arch.Nearest {
						l.up1(r, dst)
						continue
					}
					q := xs[l.nb(i, d, h)*w : (l.nb(i, d, h)+1)*w]
					axpby(r, q, tmp, 0.75, 0.25)
					l.up1(tmp, dst)
				}
			}
		}
	})
}

func (l *upsample) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	d := dx[0]
	if d == nil {
		return
	}
	ac := acc[0]
	if l.mode == arch.GaussianUp {
		l.gaussBackward(p, in, dy, d, ac)
		return
	}
	h, w := l.hin, l.win
	pin := h * w
	w2 := 2 * w
	pout := 4 * pin
	if l.dims == 1 {
		pout = 2 * pin
	}
	planes := p.b * in[0].c
	parallelFor(planes, pout, func(lo, hi int) {
		tmp := make([]float32, w)
		for pl := lo; pl < hi; pl++ {
			ds, gs := d[pl*pin:(pl+1)*pin], dy[pl*pout:(pl+1)*pout]
			if !ac {
				clear(ds)
			}
			if l.dims == 1 {
				l.up1T(gs, ds)
				continue
			}
			for r := 0; r < 2*h; r++ {
				clear(tmp)
				l.up1T(gs[r*w2:(r+1)*w2], tmp)
				i := r / 2
				if l.mode == arch.Nearest {
					addTo(ds[i*w:(i+1)*w], tmp)
					continue
				}
				dir := -1
				if r%2 == 1 {
					dir = 1
				}
				a := ds[i*w : (i+1)*w]
				b := ds[l.nb(i, dir, h)*w : (l.nb(i, dir, h)+1)*w]
				axpby(a, tmp, a, 1, 0.75)
				axpby(b, tmp, b, 1, 0.25)
			}
		}
	})
}
