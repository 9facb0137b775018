package nn

import (
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestDIPFCIsMLP checks the dip-fc preset's forward pass against a dense
// matrix-vector computation in float64 from the network's own weights:
// the input flattened in PyTorch's order (channel, row, column), h =
// leakyrelu(W h + b) through the hidden layers, out = sigmoid(W h + b)
// read as (channels, H, W), for every sample of a batch of two.
func TestDIPFCIsMLP(t *testing.T) {
	a, err := arch.Parse("dip-fc:scales=1,channels=6,in_channels=2,out_channels=3")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{3, 4}
	net, err := Build(a, size, 5)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 2
	z, err := NewInput(a, size, batch, 9)
	if err != nil {
		t.Fatal(err)
	}
	zd := append([]float32(nil), z.Data().([]float32)...)
	out, err := net.Forward(z)
	if err != nil {
		t.Fatal(err)
	}
	got := out.Data().([]float32)
	ps := net.Params()
	if len(ps) != 10 {
		t.Fatalf("%d parameter tensors, want 5 weights and 5 biases", len(ps))
	}
	nin, nout := 2*3*4, 3*3*4
	for b := 0; b < batch; b++ {
		v := make([]float64, nin)
		for i := range v {
			v[i] = float64(zd[b*nin+i])
		}
		for l := 0; l < 5; l++ {
			W, B := ps[2*l], ps[2*l+1]
			if len(W.Shape) != 2 || W.Shape[1] != len(v) || B.Shape[0] != W.Shape[0] {
				t.Fatalf("layer %d: weight %v, bias %v for %d inputs", l, W.Shape, B.Shape, len(v))
			}
			if W.FanIn != len(v) {
				t.Errorf("layer %d: fan-in %d, want %d", l, W.FanIn, len(v))
			}
			n := W.Shape[0]
			nv := make([]float64, n)
			for o := range nv {
				s := float64(B.Data[o] * B.Mult)
				for i := range v {
					s += float64(W.Data[o*len(v)+i]*W.Mult) * v[i]
				}
				if l < 4 {
					if s < 0 {
						s *= 0.2
					}
				} else {
					s = 1 / (1 + math.Exp(-s))
				}
				nv[o] = s
			}
			v = nv
		}
		if len(v) != nout {
			t.Fatalf("MLP gives %d outputs, want %d", len(v), nout)
		}
		for i := range v {
			if g := float64(got[b*nout+i]); math.Abs(g-v[i]) > 1e-5 {
				t.Fatalf("sample %d output %d: net %g, MLP %g", b, i, g, v[i])
			}
		}
	}
}

// TestGradDense checks the dense layer's gradients (input, weights,
// biases) against finite differences: from a grid to a vector and back,
// in 1-D and 2-D, both parameterizations, vectors through act and concat,
// and a batch norm after it.
func TestGradDense(t *testing.T) {
	cases := []gradCase{
		{name: "dense2d", a: simpleArch(2, arch.Zero, arch.Standard, arch.Dense{Out: 4, Bias: true}, arch.Act{Fn: arch.Tanh}, arch.Dense{Out: 2, Bias: true, Image: true}), size: []int{3, 2}, batch: 2},
		{name: "dense1d-ntk", a: simpleArch(1, arch.Circular, arch.NTK, arch.Dense{Out: 3}, arch.Act{Fn: arch.Sigmoid}, arch.Dense{Out: 1, Bias: true, Image: true}), size: []int{5}, batch: 2},
		{name: "image-to-image", a: simpleArch(2, arch.Zero, arch.NTK, arch.Dense{Out: 2, Bias: true, Image: true}, arch.Act{Fn: arch.Tanh}), size: []int{2, 3}, batch: 1},
		{name: "vector-concat", a: simpleArch(2, arch.Zero, arch.Standard, arch.Dense{Out: 3, Bias: true}, arch.Save{Name: "v"}, arch.Act{Fn: arch.Tanh},
			arch.Concat{From: "v", Branch: []arch.Layer{arch.Dense{Out: 2, Bias: true}, arch.Act{Fn: arch.Sigmoid}}}, arch.Dense{Out: 1, Bias: true, Image: true}), size: []int{2, 2}, batch: 2},
		// A batch norm after an image dense layer: the dense layer's
		// biases are per value, not per channel, so they are not folded.
		{name: "dense-bn", a: simpleArch(2, arch.Zero, arch.Standard, arch.Dense{Out: 2, Bias: true, Image: true}, arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Act{Fn: arch.Tanh}), size: []int{2, 3}, batch: 2},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGrad(t, c, uint64(100+i))
			checkJVP(t, c, uint64(200+i))
		})
	}
}
