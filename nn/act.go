package nn

import (
	"math"

	"github.com/dipgp/dipgp/arch"
)

// act is a pointwise activation. Its backward pass reads the output when
// the derivative is a function of it (relu, leakyrelu with slope >= 0,
// tanh, sigmoid), the input otherwise (erf, leakyrelu with a negative
// slope), and nothing for the identity. Forward and backward may work in
// place.
type act struct {
	fn    arch.ActFn
	slope float32
}

func (a *act) params() []*Param  { return nil }
func (a *act) elementwise() bool { return true }
func (a *act) fromOutput() bool  { return a.fn != arch.Erf && !(a.fn == arch.LeakyReLU && a.slope < 0) }
func (a *act) needsIn() bool     { return a.fn != arch.Identity && !a.fromOutput() }
func (a *act) needsOut() bool    { return a.fn != arch.Identity && a.fromOutput() }
func (a *act) forward(p *pass, in []*value, out *value) {
	x, y := in[0].buf, out.buf
	parallelFor(len(x), 4, func(lo, hi int) { a.apply(x[lo:hi], y[lo:hi]) })
}

const sqrtPiOver2 = 1.1283791670955126 // 2/sqrt(pi)

func (a *act) apply(x, y []float32) {
	y = y[:len(x)]
	switch a.fn {
	case arch.ReLU:
		ssLeaky(x, y, 1, 0, 0)
	case arch.LeakyReLU:
		ssLeaky(x, y, 1, 0, a.slope)
	case arch.Tanh:
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case arch.Sigmoid:
		for i, v := range x {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case arch.Erf:
		for i, v := range x {
			y[i] = float32(math.Erf(float64(v)))
		}
	default:
		copy(y, x)
	}
}

func (a *act) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	if dx[0] == nil {
		return
	}
	var src []float32
	if a.fromOutput() {
		src = out.buf
	} else {
		src = in[0].buf
	}
	d, ac := dx[0], acc[0]
	parallelFor(len(dy), 4, func(lo, hi int) {
		var s []float32
		if src != nil {
			s = src[lo:hi]
		}
		a.grad(s, dy[lo:hi], d[lo:hi], ac)
	})
}

// grad sets (or, with acc, adds) dx = dy * phi'(.), where s is the output
// (fromOutput) or the input. dx may alias dy.
func (a *act) grad(s, dy, dx []float32, acc bool) {
	dx = dx[:len(dy)]
	switch {
	case a.fn == arch.ReLU:
		leakyGrad(dy, s, dx, 0, acc)
		return
	case a.fn == arch.LeakyReLU && a.fromOutput():
		leakyGrad(dy, s, dx, a.slope, acc)
		return
	}
	put := func(i int, v float32) {
		if acc {
			dx[i] += v
		} else {
			dx[i] = v
		}
	}
	switch a.fn {
	case arch.LeakyReLU: // negative slope: the sign comes from the input
		s = s[:len(dy)]
		sl := a.slope
		for i, g := range dy {
			if s[i] > 0 {
				put(i, g)
			} else {
				put(i, sl*g)
			}
		}
	case arch.Tanh:
		s = s[:len(dy)]
		for i, g := range dy {
			put(i, g*(1-s[i]*s[i]))
		}
	case arch.Sigmoid:
		s = s[:len(dy)]
		for i, g := range dy {
			put(i, g*s[i]*(1-s[i]))
		}
	case arch.Erf:
		s = s[:len(dy)]
		for i, g := range dy {
			v := float64(s[i])
			put(i, g*float32(sqrtPiOver2*math.Exp(-v*v)))
		}
	default:
		if acc {
			addTo(dx, dy)
		} else {
			copy(dx, dy)
		}
	}
}
