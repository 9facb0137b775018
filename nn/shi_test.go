package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// Shi et al.'s controls: Gaussian up-sampling and mean-only batch norm are
// checked against finite differences; Lipschitz control, whose divisor is
// held constant in the backward pass, against an unnormalized network whose
// weights are divided by hand.

func shiGradCases() []gradCase {
	var cs []gradCase
	for _, pad := range []arch.Padding{arch.Circular, arch.Zero} {
		for _, size := range [][]int{{4, 6}, {2, 2}, {6}, {2}} {
			dims := len(size)
			cs = append(cs, gradCase{name: fmt.Sprintf("gaussup%dd-%s-%v", dims, pad, size),
				a: simpleArch(dims, pad, arch.Standard, arch.Upsample{Mode: arch.GaussianUp, Sigma: 0.5}), size: size, batch: 2})
		}
	}
	for _, affine := range []bool{true, false} {
		cs = append(cs, gradCase{name: fmt.Sprintf("meanonly-affine=%v", affine),
			a: simpleArch(2, arch.Reflect, arch.Standard, arch.Conv{Out: 3, K: 3, Stride: 1, Bias: true},
				arch.BatchNorm{MeanOnly: true, Affine: affine}, arch.Act{Fn: arch.Tanh}, arch.Conv{Out: 2, K: 1, Stride: 1, Bias: true}),
			size: []int{4, 5}, batch: 2})
	}
	return cs
}

func TestGradShiLayers(t *testing.T) {
	cs := append(shiGradCases(), gradCase{name: "lipschitz-input", a: simpleArch(1, arch.Zero, arch.NTK,
		arch.Conv{Out: 3, K: 3, Stride: 1, Bias: true, Lipschitz: 0.3}, arch.Act{Fn: arch.Tanh}), size: []int{7}, batch: 1})
	for ci, c := range cs {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "lipschitz-input" {
				checkInputGrad(t, c, uint64(ci))
				return
			}
			checkGrad(t, c, uint64(ci))
		})
	}
}

func TestJVPShiLayers(t *testing.T) {
	for ci, c := range shiGradCases() {
		t.Run(c.name, func(t *testing.T) { checkJVP(t, c, uint64(ci)) })
	}
}

// checkInputGrad compares the input gradient only with finite differences.
func checkInputGrad(t *testing.T, c gradCase, seed uint64) {
	n, err := Build(c.a, c.size, seed)
	if err != nil {
		t.Fatal(err)
	}
	n.RequireInputGrad(true)
	rng := rand.New(rand.NewPCG(seed, 6))
	xs := n.InputShape(c.batch)
	xd := make([]float32, prod(xs))
	for i := range xd {
		xd[i] = float32(rng.NormFloat64())
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
	g := append([]float32(nil), n.InputGrad().Data().([]float32)...)
	for i := range xd {
		old := xd[i]
		const h = 1e-2
		xd[i] = old + h
		yp, _ := n.Infer(x)
		lp := dot64(r, yp.Data().([]float32))
		xd[i] = old - h
		ym, _ := n.Infer(x)
		lm := dot64(r, ym.Data().([]float32))
		xd[i] = old
		if fd := (lp - lm) / (2 * h); math.Abs(fd-float64(g[i])) > 2e-3*math.Abs(fd)+2e-4 {
			t.Errorf("input[%d]: backward %.6g, finite difference %.6g", i, g[i], fd)
		}
	}
}

// A Lipschitz-controlled conv equals a plain conv whose weight is divided
// by max(1, s/lambda), s computed here by power iteration in float64; its
// weight gradient is the plain one times the same factor.
func TestLipschitzConv(t *testing.T) {
	for _, param := range []arch.Param{arch.Standard, arch.NTK} {
		lip := simpleArch(2, arch.Reflect, param, arch.Conv{Out: 5, K: 3, Stride: 1, Bias: true, Lipschitz: 0.7}, arch.Act{Fn: arch.Tanh})
		plain := lip
		plain.Layers = []arch.Layer{arch.Conv{Out: 5, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.Tanh}}
		nl, err := Build(lip, []int{5, 4}, 3)
		if err != nil {
			t.Fatal(err)
		}
		np, _ := Build(plain, []int{5, 4}, 3)
		w := nl.Params()[0]
		s := powerNorm(w.Data, 5, 27) * float64(w.Mult)
		c := 1 / math.Max(1, s/0.7)
		if c > 0.99 {
			t.Fatalf("%s: s = %g does not exceed lambda; the test needs an active control", param, s)
		}
		for i, v := range w.Data {
			np.Params()[0].Data[i] = float32(float64(v) * c)
		}
		copy(np.Params()[1].Data, nl.Params()[1].Data)
		x := tensor.New(tensor.WithShape(nl.InputShape(1)...), tensor.WithBacking(randn(prod(nl.InputShape(1)), 4)))
		yl, _ := nl.Forward(x)
		yp, _ := np.Forward(x)
		if e := relErr(yl.Data().([]float32), yp.Data().([]float32)); e > 1e-5 {
			t.Errorf("%s: output differs from the hand-normalized conv by %g", param, e)
		}
		dy := tensor.New(tensor.WithShape(nl.OutputShape(1)...), tensor.WithBacking(randn(prod(nl.OutputShape(1)), 5)))
		if err := nl.Backward(dy); err != nil {
			t.Fatal(err)
		}
		if err := np.Backward(dy); err != nil {
			t.Fatal(err)
		}
		gp := np.Params()[0].Grad
		want := make([]float32, len(gp))
		for i, v := range gp {
			want[i] = float32(float64(v) * c)
		}
		if e := relErr(w.Grad, want); e > 1e-5 {
			t.Errorf("%s: weight gradient differs from c times the plain one by %g", param, e)
		}
		// JVP holds the divisor constant too: J_lip v = J_plain (c v).
		v := randn(len(w.Data), 6)
		cv := make([]float32, len(v))
		for i, x := range v {
			cv[i] = float32(float64(x) * c)
		}
		_, jl, err := nl.JVP(x, [][]float32{v, nil})
		if err != nil {
			t.Fatal(err)
		}
		_, jp, _ := np.JVP(x, [][]float32{cv, nil})
		if e := relErr(jl.Data().([]float32), jp.Data().([]float32)); e > 1e-5 {
			t.Errorf("%s: JVP differs from the plain network's with tangent c v by %g", param, e)
		}
	}
}

func randn(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return d
}

// powerNorm is the largest singular value of w (rows x cols) by power
// iteration on w^T w in float64.
func powerNorm(w []float32, rows, cols int) float64 {
	v := make([]float64, cols)
	for i := range v {
		v[i] = 1 / math.Sqrt(float64(cols)) * (1 + 0.01*float64(i%7))
	}
	u := make([]float64, rows)
	var s float64
	for it := 0; it < 5000; it++ {
		for r := 0; r < rows; r++ {
			var a float64
			for c := 0; c < cols; c++ {
				a += float64(w[r*cols+c]) * v[c]
			}
			u[r] = a
		}
		clear(v)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				v[c] += float64(w[r*cols+c]) * u[r]
			}
		}
		var nv float64
		for _, x := range v {
			nv += x * x
		}
		nv = math.Sqrt(nv)
		for i := range v {
			v[i] /= nv
		}
		ns := math.Sqrt(nv)
		if math.Abs(ns-s) < 1e-13*ns {
			return ns
		}
		s = ns
	}
	return s
}

func TestSpectralNormPower(t *testing.T) {
	for _, sh := range [][2]int{{5, 27}, {40, 9}, {16, 16}} {
		w := randn(sh[0]*sh[1], uint64(sh[0]))
		got, want := SpectralNorm(w, sh[0], sh[1], 1), powerNorm(w, sh[0], sh[1])
		if math.Abs(got-want) > 1e-5*want {
			t.Errorf("%v: SpectralNorm %g, power iteration %g", sh, got, want)
		}
	}
}

// The spectral norm of a random conv weight concentrates on the Bai-Yin
// edge arch.LipschitzScale assumes: Monte Carlo over widths C (C_out =
// C_in = C, 3x3 taps, PyTorch's uniform init), the relative gap shrinks.
func TestSpectralNormConcentrates(t *testing.T) {
	widths := []int{16, 64, 256}
	if testing.Short() {
		widths = widths[:2]
	}
	var prev float64 = math.Inf(1)
	for _, c := range widths {
		fan := 9 * c
		rng := rand.New(rand.NewPCG(uint64(c), 2))
		const reps = 4
		var gap float64
		for r := 0; r < reps; r++ {
			w := make([]float32, c*fan)
			b := 1 / math.Sqrt(float64(fan))
			for i := range w {
				w[i] = float32(b * (2*rng.Float64() - 1))
			}
			s := SpectralNorm(w, c, fan, 1)
			edge := 1 / arch.LipschitzScale(1e-9, 1.0/3, c, fan) * 1e-9
			gap += math.Abs(s/edge-1) / reps
		}
		t.Logf("width %d: mean |s/edge - 1| = %.4f", c, gap)
		if gap >= prev {
			t.Errorf("width %d: relative gap %.4f did not shrink (previous %.4f)", c, gap, prev)
		}
		prev = gap
	}
	if prev > 0.05 {
		t.Errorf("largest width: relative gap %.4f to the Bai-Yin edge, want < 5%%", prev)
	}
}
