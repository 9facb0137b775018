package kernel

import (
	"math"

	"github.com/dipgp/dipgp/arch"
)

// Pathwise evaluation of a per-channel segment (batch norm, activations,
// pooling, up-sampling) on one sampled channel, for the exact batch-norm
// rule: the value x, its tangent t (forward-mode derivative along a draw
// of the incoming NTK, plus the affine parameters' directions) and the
// mean-field value y (the same segment with every batch norm dividing by
// its mean-field standard deviation instead of the field's own), the
// control variate whose expectation the analytic rules give exactly.

// chainField is one channel being pushed through a segment.
type chainField struct {
	g       geom
	x, t, y []float64 // t nil without the NTK
}

// fieldOp applies one op; mfScale is 1/sqrt(v + eps) of the mean-field
// rule for a batch norm; xg, xb are the standard normals of gamma and beta.
func fieldOp(l arch.Layer, f chainField, mfScale, xg, xb float64) chainField {
	switch l := l.(type) {
	case arch.BatchNorm:
		if l.MeanOnly { // linear: centre; beta adds 1 to the NTK (meanonly.go)
			mx, my := mean(f.x), mean(f.y)
			for i := range f.x {
				f.x[i] -= mx
				f.y[i] -= my
			}
			if f.t != nil {
				mt := mean(f.t)
				for i := range f.t {
					f.t[i] -= mt
					if l.Affine {
						f.t[i] += xb
					}
				}
			}
			return f
		}
		n := float64(len(f.x))
		mx, my := mean(f.x), mean(f.y)
		var v float64
		for i := range f.x {
			f.x[i] -= mx
			v += f.x[i] * f.x[i]
			f.y[i] = (f.y[i] - my) * mfScale
		}
		s := math.Sqrt(v/n + l.Eps)
		for i := range f.x {
			f.x[i] /= s
		}
		if f.t != nil {
			mt := mean(f.t)
			var a float64
			for i := range f.t {
				f.t[i] -= mt
				a += f.x[i] * f.t[i]
			}
			a /= n
			for i := range f.t {
				f.t[i] = (f.t[i] - f.x[i]*a) / s
				if l.Affine {
					f.t[i] += xg*f.x[i] + xb
				}
			}
		}
	case arch.Act:
		fn := fnOf(l)
		for i, u := range f.x {
			if f.t != nil {
				f.t[i] *= fn.deriv(u)
			}
			f.x[i] = fn.value(u)
			f.y[i] = fn.value(f.y[i])
		}
	case arch.Pool:
		og := f.g
		og.w /= 2
		if og.dims == 2 {
			og.h /= 2
		}
		f.x = poolField(l.Op, f.g, og, f.x)
		f.y = poolField(l.Op, f.g, og, f.y)
		if f.t != nil {
			f.t = poolField(l.Op, f.g, og, f.t)
		}
		f.g = og
	case arch.Upsample:
		og := f.g
		og.w *= 2
		if og.dims == 2 {
			og.h *= 2
		}
		f.x = upField(l, f.g, og, f.x)
		f.y = upField(l, f.g, og, f.y)
		if f.t != nil {
			f.t = upField(l, f.g, og, f.t)
		}
		f.g = og
	}
	return f
}

func mean(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v
	}
	return s / float64(len(a))
}

// poolField decimates (in(2i)) or averages (in(2i), in(2i+1)) per axis.
func poolField(op arch.PoolOp, g, og geom, in []float64) []float64 {
	out := make([]float64, og.h*og.w)
	ry := []int{0}
	if g.dims == 2 {
		ry = []int{0, 1}
	}
	rx := []int{0, 1}
	if op == arch.Decimate {
		ry, rx = []int{0}, []int{0}
	}
	w := 1 / float64(len(ry)*len(rx))
	for y := 0; y < og.h; y++ {
		for x := 0; x < og.w; x++ {
			var s float64
			for _, a := range ry {
				for _, b := range rx {
					yy := y
					if g.dims == 2 {
						yy = 2*y + a
					}
					s += in[yy*g.w+2*x+b]
				}
			}
			out[y*og.w+x] = s * w
		}
	}
	return out
}

// upField up-samples by 2 per axis (nearest, or bilinear with PyTorch's
// align_corners=False weights, wrapping on the periodic grid).
func upField(l arch.Upsample, g, og geom, in []float64) []float64 {
	// along x
	tmp := make([]float64, g.h*og.w)
	for y := 0; y < g.h; y++ {
		up1(l, in[y*g.w:(y+1)*g.w], tmp[y*og.w:(y+1)*og.w])
	}
	if g.dims == 1 {
		return tmp
	}
	out := make([]float64, og.h*og.w)
	col := make([]float64, g.h)
	ocol := make([]float64, og.h)
	for x := 0; x < og.w; x++ {
		for y := range col {
			col[y] = tmp[y*og.w+x]
		}
		up1(l, col, ocol)
		for y, v := range ocol {
			out[y*og.w+x] = v
		}
	}
	return out
}

func up1(l arch.Upsample, in, out []float64) {
	n := len(in)
	if l.Mode == arch.GaussianUp { // gaussup.go: periodic transposed conv
		g := arch.GaussTaps(l.Sigma)
		for j := range in {
			for e := 0; e < 2; e++ {
				off, w := gaussTerms(g, e)
				var s float64
				for k := range off {
					s += w[k] * in[(j+off[k]+n)%n]
				}
				out[2*j+e] = s
			}
		}
		return
	}
	for i, v := range in {
		if l.Mode == arch.Nearest {
			out[2*i], out[2*i+1] = v, v
			continue
		}
		out[2*i] = 0.75*v + 0.25*in[(i-1+n)%n]
		out[2*i+1] = 0.75*v + 0.25*in[(i+1)%n]
	}
}
