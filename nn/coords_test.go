package nn

import (
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestCoordsInput checks the coordinate input against its closed form:
// channel 0 is row/(H-1), channel 1 column/(W-1) (i/(N-1) in 1-D), the
// same for every sample and seed.
func TestCoordsInput(t *testing.T) {
	for _, c := range []struct {
		spec string
		size []int
	}{{"relunet:depth=2,width=4", []int{5, 3}}, {"relunet:depth=2,width=4,dims=1,out_channels=1", []int{6}}} {
		a, err := arch.Parse(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		x, err := NewInput(a, c.size, 2, 7)
		if err != nil {
			t.Fatal(err)
		}
		y, err := NewInput(a, c.size, 2, 8)
		if err != nil {
			t.Fatal(err)
		}
		d, d2 := x.Data().([]float32), y.Data().([]float32)
		h, w := 1, c.size[0]
		if len(c.size) == 2 {
			h, w = c.size[0], c.size[1]
		}
		i := 0
		for b := 0; b < 2; b++ {
			for ch := 0; ch < len(c.size); ch++ {
				for r := 0; r < h; r++ {
					for col := 0; col < w; col++ {
						want := float64(col) / float64(w-1)
						if len(c.size) == 2 && ch == 0 {
							want = float64(r) / float64(h-1)
						}
						if math.Abs(float64(d[i])-want) > 1e-7 || d2[i] != d[i] {
							t.Fatalf("%s: sample %d channel %d (%d, %d) = %g (seed 8: %g), want %g", c.spec, b, ch, r, col, d[i], d2[i], want)
						}
						i++
					}
				}
			}
		}
		if i != len(d) {
			t.Fatalf("%s: %d values, want %d", c.spec, len(d), i)
		}
	}
}

// TestReLUNetIsMLP checks that the relunet preset, 1x1 convs on the
// coordinate grid, equals an MLP applied to each pixel's coordinates,
// computed here in float64 from the network's own weights:
// h = relu(W h + b) through the hidden layers, out = sigmoid(W h + b).
func TestReLUNetIsMLP(t *testing.T) {
	a, err := arch.Parse("relunet:depth=4,width=16,out_channels=3")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{6, 5}
	net, err := Build(a, size, 3)
	if err != nil {
		t.Fatal(err)
	}
	z, err := NewInput(a, size, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := net.Forward(z)
	if err != nil {
		t.Fatal(err)
	}
	got := out.Data().([]float32)
	ps := net.Params()
	if len(ps) != 8 {
		t.Fatalf("%d parameter tensors, want 4 weights and 4 biases", len(ps))
	}
	h, w := size[0], size[1]
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			v := []float64{float64(r) / float64(h-1), float64(c) / float64(w-1)}
			for l := 0; l < 4; l++ {
				W, B := ps[2*l], ps[2*l+1]
				nOut, nIn := W.Shape[0], W.Shape[1]
				if nIn != len(v) {
					t.Fatalf("layer %d: weight %v for %d inputs", l, W.Shape, len(v))
				}
				nv := make([]float64, nOut)
				for o := range nv {
					s := float64(B.Data[o] * B.Mult)
					for i := range v {
						s += float64(W.Data[o*nIn+i]*W.Mult) * v[i]
					}
					if l < 3 {
						s = math.Max(s, 0)
					} else {
						s = 1 / (1 + math.Exp(-s))
					}
					nv[o] = s
				}
				v = nv
			}
			for o := range v {
				g := float64(got[(o*h+r)*w+c])
				if math.Abs(g-v[o]) > 1e-5 {
					t.Fatalf("pixel (%d, %d) channel %d: net %g, MLP %g", r, c, o, g, v[o])
				}
			}
		}
	}
}
