package nn

import "math"

// bnMomentum is PyTorch's default running-statistics momentum.
const bnMomentum = 0.1

// batchnorm is batch normalization in training mode: every (sample,
// channel) plane is normalized by its own mean and biased variance over the
// grid, then scaled by gamma and shifted by beta when affine. The running
// statistics follow PyTorch: running = (1 - 0.1) running + 0.1 stat, with
// the unbiased variance; with a batch the per-sample statistics are
// averaged first. Its backward pass reads the input and the saved mean and
// 1/std.
//
// A ReLU or LeakyReLU (slope >= 0) right after the batch norm is fused into
// it (fused): the output is leaky(normalized) in the same pass, and the
// backward pass reads the output for the activation's derivative. The
// pre-activation tensor is never stored.
type batchnorm struct {
	prefix      string
	c, n        int // channels, grid points
	eps         float64
	gamma, beta *Param // nil unless affine
	rmean, rvar *Buffer
	tracked     int64
	fused       bool      // a leaky activation follows, with slope
	slope       float32   // 1 when not fused (identity)
	inBias      *Param    // bias of the conv feeding it, never added to its input (see conv.foldBias)
	mean, istd  []float32 // per (sample, channel) of the last pass
	scratch     []float64 // per (sample, channel): variance; backward sums
}

func newBatchNorm(prefix string, c, n int, eps float64, affine bool) *batchnorm {
	bn := &batchnorm{prefix: prefix, c: c, n: n, eps: eps, slope: 1}
	if affine {
		bn.gamma = newParam(prefix+".weight", BNWeight, []int{c})
		bn.beta = newParam(prefix+".bias", BNBias, []int{c})
	}
	bn.rmean = &Buffer{Name: prefix + ".running_mean", Shape: []int{c}, Data: make([]float32, c)}
	bn.rvar = &Buffer{Name: prefix + ".running_var", Shape: []int{c}, Data: make([]float32, c)}
	bn.resetStats()
	return bn
}

func (bn *batchnorm) resetStats() {
	clear(bn.rmean.Data)
	for i := range bn.rvar.Data {
		bn.rvar.Data[i] = 1
	}
	bn.tracked = 0
}

func (bn *batchnorm) params() []*Param {
	if bn.gamma != nil {
		return []*Param{bn.gamma, bn.beta}
	}
	return nil
}
func (bn *batchnorm) needsIn() bool     { return true }
func (bn *batchnorm) needsOut() bool    { return bn.fused }
func (bn *batchnorm) elementwise() bool { return false }

func (bn *batchnorm) buffers(planes int) (mean, istd []float32, f64 []float64) {
	if cap(bn.mean) < planes {
		bn.mean = make([]float32, planes)
		bn.istd = make([]float32, planes)
	}
	if cap(bn.scratch) < 2*planes {
		bn.scratch = make([]float64, 2*planes)
	}
	return bn.mean[:planes], bn.istd[:planes], bn.scratch[:2*planes]
}

func (bn *batchnorm) forward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	planes := p.b * bn.c
	mean, istd, f64 := bn.buffers(planes)
	vars := f64[:planes]
	n := float64(bn.n)
	parallelFor(planes, 2*bn.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xs, ys := x[pl*bn.n:(pl+1)*bn.n], y[pl*bn.n:(pl+1)*bn.n]
			// One pass in float64: squares of float32 values are exact, so
			// E[x^2] - m^2 loses only what float64 cancellation loses.
			s, ss := sumSq(xs)
			m := s / n
			v := max(ss/n-m*m, 0)
			is := 1 / math.Sqrt(v+bn.eps)
			mean[pl], istd[pl], vars[pl] = float32(m), float32(is), v
			ch := pl % bn.c
			scale, shift := is, -m*is
			if bn.gamma != nil {
				g := float64(bn.gamma.Data[ch])
				scale, shift = g*scale, g*shift+float64(bn.beta.Data[ch])
			}
			ssLeaky(xs, ys, float32(scale), float32(shift), bn.slope)
		}
	})
	if !p.train {
		return
	}
	// Running statistics, as PyTorch: momentum 0.1, unbiased variance.
	unb := n / max(n-1, 1)
	for ch := 0; ch < bn.c; ch++ {
		var m, v float64
		for b := 0; b < p.b; b++ {
			m += float64(mean[b*bn.c+ch])
			v += vars[b*bn.c+ch] * unb
		}
		m /= float64(p.b)
		v /= float64(p.b)
		if bn.inBias != nil {
			m += float64(bn.inBias.Mult) * float64(bn.inBias.Data[ch])
		}
		bn.rmean.Data[ch] = float32((1-bnMomentum)*float64(bn.rmean.Data[ch]) + bnMomentum*m)
		bn.rvar.Data[ch] = float32((1-bnMomentum)*float64(bn.rvar.Data[ch]) + bnMomentum*v)
	}
	bn.tracked++
}

func (bn *batchnorm) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	x := in[0].buf
	planes := p.b * bn.c
	mean, istd, f64 := bn.buffers(planes)
	sdy, sdyx := f64[:planes], f64[planes:]
	var d []float32
	if len(dx) > 0 {
		d = dx[0]
	}
	n := float64(bn.n)
	parallelFor(planes, 3*bn.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xs, gs := x[pl*bn.n:(pl+1)*bn.n], dy[pl*bn.n:(pl+1)*bn.n]
			var ys []float32
			if bn.fused {
				ys = out.buf[pl*bn.n : (pl+1)*bn.n]
			}
			m, is := mean[pl], istd[pl]
			s, t := bnSums(gs, ys, xs, m, bn.slope)
			t *= float64(is) // sum g*xhat
			sdy[pl], sdyx[pl] = s, t
			if d == nil {
				continue
			}
			ch := pl % bn.c
			g := float64(is)
			if bn.gamma != nil {
				g *= float64(bn.gamma.Data[ch])
			}
			// dx = gamma*istd*(g - mean(g) - xhat*mean(g*xhat))
			bnWrite(gs, ys, xs, d[pl*bn.n:(pl+1)*bn.n], m, float32(g), float32(g*s/n), float32(g*t/n*float64(is)), bn.slope, acc[0])
		}
	})
	if bn.gamma == nil {
		return
	}
	for ch := 0; ch < bn.c; ch++ {
		var s, t float64
		for b := 0; b < p.b; b++ {
			s += sdy[b*bn.c+ch]
			t += sdyx[b*bn.c+ch]
		}
		bn.gamma.Grad[ch] += float32(t)
		bn.beta.Grad[ch] += float32(s)
	}
}
