package kernel_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// dense: every output value u has its own weights over the n input values
// (all channels at all grid points), so E[y_u y_u'] = 0 for u != u' and
// E[y_u^2] = sb2 + sw2/n sum_{parts} ch * sum_x M(x, x); the NTK adds
// sw2/n sum ch * sum_x T(x, x). The output is a 1x1 grid (a vector) or,
// with Image, the grid at the layer's scale.
func (b *brute) dense(l arch.Dense, s bfState) bfState {
	nv := s.n()
	n := 0
	for _, p := range s.parts {
		n += p.ch * nv
	}
	var sw2, sb2 float64
	if b.a.Init.Scheme == arch.PyTorch {
		sw2, sb2 = 1.0/3, 1/(3*float64(n))
	} else {
		sw2, sb2 = b.a.Init.SW*b.a.Init.SW, b.a.Init.SB*b.a.Init.SB
	}
	if !l.Bias {
		sb2 = 0
	}
	var sm, st float64
	for _, p := range s.parts {
		for x := 0; x < nv; x++ {
			sm += float64(p.ch) * p.M[x*nv+x]
			st += float64(p.ch) * p.T[x*nv+x]
		}
	}
	v := sb2 + sw2*sm/float64(n)
	gh, gw := s.h, s.w
	if s.flat {
		gh, gw = s.gh, s.gw
	}
	out := bfState{h: 1, w: 1, flat: true, gh: gh, gw: gw}
	if l.Image {
		out = bfState{h: gh, w: gw}
	}
	on := out.n()
	M, T := make([]float64, on*on), make([]float64, on*on)
	for u := 0; u < on; u++ {
		M[u*on+u] = v
		T[u*on+u] = v + sw2*st/float64(n)
	}
	out.parts = []bfPart{{M: M, T: T, ch: l.Out}}
	return out
}

// Dense layers against the brute force: from a smoothed (correlated)
// field, through vectors, activations and a concatenation of vectors,
// back to the grid, with closed-form and series (tanh) activations; and
// the dip-fc preset (sigmoid output).
func TestBruteForceDense(t *testing.T) {
	gau := arch.Input{Channels: 2, Dist: arch.Gaussian, Mean: 0.3, Std: 1.2, Smooth: 1}
	normal := arch.Init{Scheme: arch.Normal, SW: 1.3, SB: 0.2}
	torch := arch.Init{Scheme: arch.PyTorch}
	c3 := arch.Conv{Out: 4, K: 3, Stride: 1, Bias: true}
	relu := arch.Act{Fn: arch.ReLU}
	cases := []struct {
		name string
		init arch.Init
		ls   []arch.Layer
	}{
		{"image", normal, []arch.Layer{c3, relu, arch.Dense{Out: 3, Bias: true, Image: true}}},
		{"vector-erf-image", torch, []arch.Layer{c3, relu, arch.Dense{Out: 5, Bias: true}, arch.Act{Fn: arch.Erf}, arch.Dense{Out: 2, Image: true}, relu}},
		{"stride-then-dense", normal, []arch.Layer{arch.Conv{Out: 4, K: 3, Stride: 2, Bias: true}, relu, arch.Upsample{Mode: arch.Bilinear},
			arch.Dense{Out: 5}, arch.Act{Fn: arch.LeakyReLU, Slope: 0.2}, arch.Dense{Out: 1, Bias: true, Image: true}}},
		{"vector-concat", normal, []arch.Layer{c3, relu, arch.Dense{Out: 5, Bias: true}, arch.Save{Name: "v"}, relu,
			arch.Concat{From: "v", Branch: []arch.Layer{arch.Dense{Out: 3, Bias: true}, arch.Act{Fn: arch.Erf}}},
			arch.Dense{Out: 2, Bias: true, Image: true}}},
		{"vector-tanh-image", normal, []arch.Layer{c3, relu, arch.Dense{Out: 5, Bias: true}, arch.Act{Fn: arch.Tanh}, arch.Dense{Out: 2, Bias: true, Image: true}}},
	}
	for _, c := range cases {
		for _, dims := range []int{2, 1} {
			size := []int{8, 8}
			if dims == 1 {
				size = []int{32}
			}
			checkBrute(t, fmt.Sprintf("%s/%dd", c.name, dims), baseArch(dims, c.init, gau, c.ls...), size)
		}
	}
	a := mustArch(t, "dip-fc:scales=2,channels=6,in_channels=2,out_channels=1")
	checkBrute(t, "dip-fc", a, []int{8, 8})
	checkBrute(t, "dip-fc pre-activation", a.PreActivation(), []int{8, 8})
}

// TestDenseMonteCarlo draws random networks input -> dense (width N) ->
// relu -> dense to the image, in float64 with independent code, and checks
// the empirical second moment of the output over networks and inputs
// against kernel.Compute: white (zero off the diagonal) with the NNGP's
// variance. At width N and a Gaussian input the finite-width bias is zero
// for relu (positively homogeneous), so the error is the Monte Carlo's.
func TestDenseMonteCarlo(t *testing.T) {
	const (
		width = 64
		nets  = 20000
		cin   = 2
	)
	size := []int{3, 4}
	a := arch.Arch{Dims: 2, Input: arch.Input{Channels: cin, Dist: arch.Gaussian, Std: 0.8},
		Init: arch.Init{Scheme: arch.Normal, SW: 1.4, SB: 0.3}, Param: arch.Standard, Pad: arch.Zero,
		Layers: []arch.Layer{arch.Dense{Out: width, Bias: true}, arch.Act{Fn: arch.ReLU}, arch.Dense{Out: 1, Bias: true, Image: true}}}
	k, _, err := kernel.Compute(context.Background(), a, size, kernel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	P := size[0] * size[1]
	nin := cin * P
	sw, sb := 1.4, 0.3
	rng := rand.New(rand.NewPCG(1, 2))
	// Per-network products y_u y_u', accumulated for mean and variance.
	sum := make([]float64, P*P)
	sum2 := make([]float64, P*P)
	x := make([]float64, nin)
	h := make([]float64, width)
	y := make([]float64, P)
	for range nets {
		for i := range x {
			x[i] = 0.8 * rng.NormFloat64()
		}
		for j := range h {
			s := sb * rng.NormFloat64()
			for i := range x {
				s += sw / math.Sqrt(float64(nin)) * rng.NormFloat64() * x[i]
			}
			h[j] = math.Max(s, 0)
		}
		for u := range y {
			s := sb * rng.NormFloat64()
			for j := range h {
				s += sw / math.Sqrt(width) * rng.NormFloat64() * h[j]
			}
			y[u] = s
		}
		for u := range y {
			for v := range y {
				p := y[u] * y[v]
				sum[u*P+v] += p
				sum2[u*P+v] += p * p
			}
		}
	}
	for u := 0; u < P; u++ {
		for v := 0; v < P; v++ {
			mean := sum[u*P+v] / nets
			se := math.Sqrt((sum2[u*P+v]/nets - mean*mean) / (nets - 1))
			want := k.Cov(u, v)
			if math.Abs(mean-want) > 4.5*se {
				t.Errorf("E[y_%d y_%d] = %.4f ± %.4f (Monte Carlo), kernel %.4f", u, v, mean, se, want)
			}
			if u != v && want != 0 {
				t.Errorf("kernel K(%d, %d) = %g, want 0 (white output)", u, v, want)
			}
		}
	}
	// The variance by hand: relu halves E[s^2] = sb^2 + sw^2 * 0.64.
	if want := sb*sb + sw*sw*(sb*sb+sw*sw*0.64)/2; math.Abs(k.Cov(0, 0)-want) > 1e-12 {
		t.Errorf("kernel variance %.12g, closed form %.12g", k.Cov(0, 0), want)
	}
}
