package nn

import "github.com/dipgp/dipgp/arch"

// Gaussian up-sampling (Shi et al., arch.GaussianUp): PyTorch's
// ConvTranspose2d(C, C, 5, stride=2, padding=2, output_padding=1,
// groups=C) with the fixed separable filter g g^T, g = arch.GaussTaps
// (sigma): input i adds g[k] x[i] to output o = 2i - 2 + k, k = 0..4.
// Outputs beyond the border are dropped, as PyTorch does, or wrap around
// when the architecture's padding is circular (the kernel's periodic
// grid).

// gaussTaps32 returns the layer's taps in float32.
func (l *upsample) gaussTaps32() [5]float32 {
	g := arch.GaussTaps(l.sigma)
	var f [5]float32
	for i, v := range g {
		f[i] = float32(v)
	}
	return f
}

// gaussTarget returns the output index 2i-2+k of an axis of 2n outputs, or
// -1 when it falls outside without wrapping.
func (l *upsample) gaussTarget(i, k, n int) int {
	o := 2*i - 2 + k
	if o >= 0 && o < 2*n {
		return o
	}
	if l.wrap {
		return (o + 2*n) % (2 * n)
	}
	return -1
}

// gaussRows up-samples the rows of x (rows x n) into y (rows x 2n), which
// it overwrites.
func (l *upsample) gaussRows(g [5]float32, x, y []float32, rows, n int) {
	clear(y[:rows*2*n])
	for r := 0; r < rows; r++ {
		xs, ys := x[r*n:(r+1)*n], y[r*2*n:(r+1)*2*n]
		for i, v := range xs {
			for k, gk := range g {
				if o := l.gaussTarget(i, k, n); o >= 0 {
					ys[o] += gk * v
				}
			}
		}
	}
}

// gaussRowsT adds the transpose of gaussRows applied to gy (rows x 2n) to
// d (rows x n).
func (l *upsample) gaussRowsT(g [5]float32, gy, d []float32, rows, n int) {
	for r := 0; r < rows; r++ {
		gs, ds := gy[r*2*n:(r+1)*2*n], d[r*n:(r+1)*n]
		for i := range ds {
			var s float32
			for k, gk := range g {
				if o := l.gaussTarget(i, k, n); o >= 0 {
					s += gk * gs[o]
				}
			}
			ds[i] += s
		}
	}
}

// gaussCols up-samples the columns of x (h x w2) into y (2h x w2), which it
// overwrites.
func (l *upsample) gaussCols(g [5]float32, x, y []float32, h, w2 int) {
	clear(y[:2*h*w2])
	for i := 0; i < h; i++ {
		src := x[i*w2 : (i+1)*w2]
		for k, gk := range g {
			if o := l.gaussTarget(i, k, h); o >= 0 {
				axpy(gk, src, y[o*w2:(o+1)*w2])
			}
		}
	}
}

// gaussColsT writes the transpose of gaussCols applied to gy (2h x w2) to
// d (h x w2).
func (l *upsample) gaussColsT(g [5]float32, gy, d []float32, h, w2 int) {
	clear(d[:h*w2])
	for i := 0; i < h; i++ {
		dst := d[i*w2 : (i+1)*w2]
		for k, gk := range g {
			if o := l.gaussTarget(i, k, h); o >= 0 {
				axpy(gk, gy[o*w2:(o+1)*w2], dst)
			}
		}
	}
}

func axpy(a float32, x, y []float32) {
	for j, v := range x {
		y[j] += a * v
	}
}

// gaussPlanes runs f on every plane (batch x channel) of the layer, in
// parallel, with the plane's input and output lengths and a scratch of one
// row-filtered plane (2-D) for the separable filter.
func (l *upsample) gaussPlanes(p *pass, in []*value, f func(pl, pin, pout int, tmp []float32)) {
	h, w := l.hin, l.win
	pin, pout := h*w, 2*w
	if l.dims == 2 {
		pout = 4 * h * w
	}
	parallelFor(p.b*in[0].c, pout, func(lo, hi int) {
		var tmp []float32
		if l.dims == 2 {
			tmp = make([]float32, h*2*w)
		}
		for pl := lo; pl < hi; pl++ {
			f(pl, pin, pout, tmp)
		}
	})
}

func (l *upsample) gaussForward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	h, w := l.hin, l.win
	g := l.gaussTaps32()
	l.gaussPlanes(p, in, func(pl, pin, pout int, tmp []float32) {
		xs, ys := x[pl*pin:(pl+1)*pin], y[pl*pout:(pl+1)*pout]
		if l.dims == 1 {
			l.gaussRows(g, xs, ys, 1, w)
			return
		}
		l.gaussRows(g, xs, tmp, h, w)
		l.gaussCols(g, tmp, ys, h, 2*w)
	})
}

func (l *upsample) gaussBackward(p *pass, in []*value, dy []float32, d []float32, ac bool) {
	h, w := l.hin, l.win
	g := l.gaussTaps32()
	l.gaussPlanes(p, in, func(pl, pin, pout int, tmp []float32) {
		ds, gs := d[pl*pin:(pl+1)*pin], dy[pl*pout:(pl+1)*pout]
		if !ac {
			clear(ds)
		}
		if l.dims == 1 {
			l.gaussRowsT(g, gs, ds, 1, w)
			return
		}
		l.gaussColsT(g, gs, tmp, h, 2*w)
		l.gaussRowsT(g, tmp, ds, h, w)
	})
}
