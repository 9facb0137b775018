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
type batchnorm struct {
	prefix      string
	c, n        int // channels, grid points
	eps         float64
	gamma, beta *Param // nil unless affine
	rmean, rvar *Buffer
	tracked     int64
	mean, istd  []float32 // per (sample, channel) of the last training pass
	sums        []float64 // backward scratch: per (sample, channel) sum dy, sum dy*xhat
}

func newBatchNorm(prefix string, c, n int, eps float64, affine bool) *batchnorm {
	bn := &batchnorm{prefix: prefix, c: c, n: n, eps: eps}
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
func (bn *batchnorm) needsOut() bool    { return false }
func (bn *batchnorm) elementwise() bool { return false }

// meanVar returns the mean and biased variance of x, accumulated in float64
// (two passes).
func meanVar(x []float32) (mean, v float64) {
	mean = sum64(x) / float64(len(x))
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0 := float64(x[i]) - mean
		d1 := float64(x[i+1]) - mean
		d2 := float64(x[i+2]) - mean
		d3 := float64(x[i+3]) - mean
		a0 += d0 * d0
		a1 += d1 * d1
		a2 += d2 * d2
		a3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mean
		a0 += d * d
	}
	return mean, ((a0 + a1) + (a2 + a3)) / float64(len(x))
}

func (bn *batchnorm) forward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	planes := p.b * bn.c
	if cap(bn.mean) < planes {
		bn.mean = make([]float32, planes)
		bn.istd = make([]float32, planes)
	}
	mean, istd := bn.mean[:planes], bn.istd[:planes]
	vars := bn.varScratch(planes)
	parallelFor(planes, 3*bn.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xs, ys := x[pl*bn.n:(pl+1)*bn.n], y[pl*bn.n:(pl+1)*bn.n]
			m, v := meanVar(xs)
			is := 1 / math.Sqrt(v+bn.eps)
			mean[pl], istd[pl], vars[pl] = float32(m), float32(is), v
			ch := pl % bn.c
			scale, shift := float32(is), float32(-m*is)
			if bn.gamma != nil {
				g := bn.gamma.Data[ch]
				scale, shift = g*scale, g*shift+bn.beta.Data[ch]
			}
			for i, v := range xs {
				ys[i] = v*scale + shift
			}
		}
	})
	if !p.train {
		return
	}
	// Running statistics, as PyTorch: momentum 0.1, unbiased variance.
	unb := float64(bn.n) / float64(max(bn.n-1, 1))
	for ch := 0; ch < bn.c; ch++ {
		var m, v float64
		for b := 0; b < p.b; b++ {
			m += float64(mean[b*bn.c+ch])
			v += vars[b*bn.c+ch] * unb
		}
		m /= float64(p.b)
		v /= float64(p.b)
		bn.rmean.Data[ch] = float32((1-bnMomentum)*float64(bn.rmean.Data[ch]) + bnMomentum*m)
		bn.rvar.Data[ch] = float32((1-bnMomentum)*float64(bn.rvar.Data[ch]) + bnMomentum*v)
	}
	bn.tracked++
}

func (bn *batchnorm) varScratch(planes int) []float64 {
	if cap(bn.sums) < 2*planes {
		bn.sums = make([]float64, 2*planes)
	}
	return bn.sums[:planes]
}

func (bn *batchnorm) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	x := in[0].buf
	planes := p.b * bn.c
	mean, istd := bn.mean[:planes], bn.istd[:planes]
	if cap(bn.sums) < 2*planes {
		bn.sums = make([]float64, 2*planes)
	}
	sdy, sdyx := bn.sums[:planes], bn.sums[planes:2*planes]
	var d []float32
	if len(dx) > 0 {
		d = dx[0]
	}
	n := float64(bn.n)
	parallelFor(planes, 3*bn.n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xs, gs := x[pl*bn.n:(pl+1)*bn.n], dy[pl*bn.n:(pl+1)*bn.n]
			m, is := mean[pl], istd[pl]
			var s0, s1, t0, t1 float64
			i := 0
			for ; i+2 <= len(gs); i += 2 {
				g0, g1 := float64(gs[i]), float64(gs[i+1])
				s0 += g0
				s1 += g1
				t0 += g0 * float64(xs[i]-m)
				t1 += g1 * float64(xs[i+1]-m)
			}
			for ; i < len(gs); i++ {
				g := float64(gs[i])
				s0 += g
				t0 += g * float64(xs[i]-m)
			}
			s, t := s0+s1, (t0+t1)*float64(is) // sum dy, sum dy*xhat
			sdy[pl], sdyx[pl] = s, t
			if d == nil {
				continue
			}
			ch := pl % bn.c
			g := float64(is)
			if bn.gamma != nil {
				g *= float64(bn.gamma.Data[ch])
			}
			// dx = gamma*istd*(dy - mean(dy) - xhat*mean(dy*xhat))
			a := float32(g)
			c0 := float32(g * s / n)
			c1 := float32(g * t / n * float64(is))
			ds := d[pl*bn.n : (pl+1)*bn.n]
			if acc[0] {
				for i, v := range gs {
					ds[i] += a*v - c0 - c1*(xs[i]-m)
				}
			} else {
				for i, v := range gs {
					ds[i] = a*v - c0 - c1*(xs[i]-m)
				}
			}
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
