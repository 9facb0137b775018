package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// gradCase is a small network whose gradients are checked against central
// finite differences of L = sum r * y (r fixed random weights), evaluated in
// float64 from float32 forward passes.
type gradCase struct {
	name  string
	a     arch.Arch
	size  []int
	batch int
	away  float64 // keep input values at least this far from 0 (kinks)
	// bnAway sets batch norm gamma small and beta = +-1 by channel, so that
	// a fused activation sees no pre-activation near its kink.
	bnAway bool
}

func simpleArch(dims int, pad arch.Padding, param arch.Param, layers ...arch.Layer) arch.Arch {
	return arch.Arch{
		Dims:   dims,
		Input:  arch.Input{Channels: 3, Dist: arch.Gaussian, Std: 1},
		Init:   arch.Init{Scheme: arch.Normal, SW: 1.3, SB: 0.4},
		Param:  param,
		Pad:    pad,
		Layers: layers,
	}
}

func gradCases() []gradCase {
	var cs []gradCase
	add := func(name string, a arch.Arch, size []int, batch int, away float64) {
		cs = append(cs, gradCase{name: name, a: a, size: size, batch: batch, away: away})
	}
	for _, pad := range []arch.Padding{arch.Circular, arch.Zero, arch.Reflect} {
		for _, cv := range []arch.Conv{{Out: 4, K: 3, Stride: 1, Bias: true}, {Out: 2, K: 5, Stride: 2, Bias: true},
			{Out: 3, K: 1, Stride: 1, Bias: true}, {Out: 2, K: 1, Stride: 2}, {Out: 2, K: 3, Stride: 2}} {
			for _, dims := range []int{1, 2} {
				size := []int{6, 5}
				if cv.Stride == 2 {
					size = []int{3, 4}
				}
				if dims == 1 {
					size = size[1:]
				}
				param := arch.Standard
				if cv.K == 3 {
					param = arch.NTK
				}
				add(fmt.Sprintf("conv%dd-%s-k%d-s%d-%s", dims, pad, cv.K, cv.Stride, param), simpleArch(dims, pad, param, cv), size, 2, 0)
			}
		}
	}
	// A conv wider than the grid: circular padding wraps more than once.
	add("conv2d-circular-k5-on-2x3", simpleArch(2, arch.Circular, arch.Standard, arch.Conv{Out: 2, K: 5, Stride: 1, Bias: true}), []int{2, 3}, 1, 0)
	for _, fn := range []arch.ActFn{arch.ReLU, arch.LeakyReLU, arch.Tanh, arch.Sigmoid, arch.Erf, arch.Identity} {
		for _, slope := range []float64{0.2, -0.5} {
			if fn != arch.LeakyReLU && slope < 0 {
				continue
			}
			add(fmt.Sprintf("act-%s-%g", fn, slope), simpleArch(2, arch.Zero, arch.Standard, arch.Act{Fn: fn, Slope: slope}), []int{4, 3}, 2, 0.05)
			// After a conv: the input gradient passes the activation.
			add(fmt.Sprintf("conv-act-%s-%g", fn, slope), simpleArch(1, arch.Zero, arch.Standard, arch.Conv{Out: 3, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: fn, Slope: slope}, arch.Conv{Out: 2, K: 1, Stride: 1}), []int{7}, 1, 0)
		}
	}
	for _, op := range []arch.PoolOp{arch.Avg, arch.Decimate} {
		add("pool2d-"+string(op), simpleArch(2, arch.Zero, arch.Standard, arch.Pool{Op: op}), []int{2, 3}, 2, 0)
		add("pool1d-"+string(op), simpleArch(1, arch.Zero, arch.Standard, arch.Pool{Op: op}), []int{5}, 2, 0)
	}
	for _, mode := range []arch.UpMode{arch.Nearest, arch.Bilinear} {
		for _, pad := range []arch.Padding{arch.Circular, arch.Reflect} {
			for _, size := range [][]int{{8, 6}, {2, 4}, {2, 2}, {8}, {2}, {4, 38}, {42}} {
				dims := len(size)
				add(fmt.Sprintf("upsample%dd-%s-%s-%v", dims, mode, pad, size), simpleArch(dims, pad, arch.Standard, arch.Upsample{Mode: mode}), size, 2, 0)
			}
		}
	}
	for _, affine := range []bool{true, false} {
		add(fmt.Sprintf("bn-affine=%v", affine), simpleArch(2, arch.Zero, arch.Standard, arch.BatchNorm{Affine: affine, Eps: 1e-5}), []int{3, 4}, 2, 0)
		add(fmt.Sprintf("conv-bn-tanh-affine=%v", affine), simpleArch(1, arch.Reflect, arch.Standard,
			arch.Conv{Out: 3, K: 3, Stride: 1, Bias: true}, arch.BatchNorm{Affine: affine, Eps: 1e-3}, arch.Act{Fn: arch.Tanh}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}), []int{6}, 2, 0)
	}
	// Batch norm fused with a following ReLU / LeakyReLU.
	for _, ac := range []arch.Act{{Fn: arch.ReLU}, {Fn: arch.LeakyReLU, Slope: 0.2}, {Fn: arch.LeakyReLU, Slope: 0}} {
		add(fmt.Sprintf("bn-%s-%g", ac.Fn, ac.Slope), simpleArch(2, arch.Zero, arch.Standard, arch.BatchNorm{Affine: true, Eps: 1e-5}, ac), []int{3, 4}, 2, 0)
		cs[len(cs)-1].bnAway = true
	}
	add("concat-branch", simpleArch(2, arch.Circular, arch.NTK,
		arch.Save{Name: "s"}, arch.Conv{Out: 3, K: 3, Stride: 2, Bias: true}, arch.Act{Fn: arch.Tanh}, arch.Upsample{Mode: arch.Bilinear},
		arch.Concat{From: "s", Branch: []arch.Layer{arch.Conv{Out: 2, K: 1, Stride: 1, Bias: true}, arch.Act{Fn: arch.Sigmoid}}},
		arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}), []int{4, 6}, 2, 0)
	add("concat-self", simpleArch(2, arch.Circular, arch.Standard,
		arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.Save{Name: "s"}, arch.Concat{From: "s"}, arch.Act{Fn: arch.Tanh}, arch.Conv{Out: 2, K: 1, Stride: 1}), []int{3, 3}, 1, 0)
	return cs
}

func TestGradFiniteDifferences(t *testing.T) {
	for ci, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c, uint64(ci)) })
	}
}

func checkGrad(t *testing.T, c gradCase, seed uint64) {
	n, err := Build(c.a, c.size, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, p := range n.Params() {
		for i := range p.Data {
			switch {
			case c.bnAway && p.Kind == BNWeight:
				p.Data[i] = float32(0.1 + 0.05*rng.Float64())
			case c.bnAway && p.Kind == BNBias:
				p.Data[i] = float32(2*(i%2) - 1)
			case p.Kind == BNWeight || p.Kind == BNBias:
				p.Data[i] = float32(rng.NormFloat64()) + float32(p.Kind-BNBias)
			}
		}
	}
	n.RequireInputGrad(true)
	xs := n.InputShape(c.batch)
	xd := make([]float32, prod(xs))
	for i := range xd {
		v := rng.NormFloat64()
		if math.Abs(v) < c.away {
			v = math.Copysign(c.away, v)
		}
		xd[i] = float32(v)
	}
	x := tensor.New(tensor.WithShape(xs...), tensor.WithBacking(xd))
	os := n.OutputShape(c.batch)
	r := make([]float32, prod(os))
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	if _, err := n.Forward(x); err != nil {
		t.Fatal(err)
	}
	if err := n.Backward(tensor.New(tensor.WithShape(os...), tensor.WithBacking(r))); err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		y, err := n.Infer(x)
		if err != nil {
			t.Fatal(err)
		}
		return dot64(r, y.Data().([]float32))
	}
	check := func(what string, data, grad []float32) {
		t.Helper()
		g := append([]float32(nil), grad...)
		var gmax float64
		for _, v := range g {
			gmax = math.Max(gmax, math.Abs(float64(v)))
		}
		const h = 1e-2
		// Every coordinate of small tensors, 24 random ones of larger. The
		// absolute term 1e-4 covers the float32 rounding of the loss
		// (about 1e-6 relative) divided by 2h.
		idx := rng.Perm(len(data))
		if len(idx) > 24 {
			idx = idx[:24]
		}
		for _, i := range idx {
			old := data[i]
			data[i] = old + h
			lp := loss()
			data[i] = old - h
			lm := loss()
			data[i] = old
			fd := (lp - lm) / (2 * h)
			if d := math.Abs(fd - float64(g[i])); d > 2e-3*gmax+2e-3*math.Abs(fd)+1e-4 {
				t.Errorf("%s[%d]: backward %.6g, finite difference %.6g (max |grad| %.3g)", what, i, g[i], fd, gmax)
			}
		}
	}
	check("input", xd, append([]float32(nil), n.InputGrad().Data().([]float32)...))
	for _, p := range n.Params() {
		check(p.Name, p.Data, p.Grad)
	}
}
