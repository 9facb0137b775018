package nn

import (
	"fmt"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// benchNet builds the DIP skip network (dip-skip defaults, 128 channels)
// for a size x size image, its input and an output gradient.
func benchNet(b *testing.B, size int) (*Net, *tensor.Dense, *tensor.Dense) {
	a, err := arch.ParsePreset("dip-skip")
	if err != nil {
		b.Fatal(err)
	}
	sz := []int{size, size}
	n, err := Build(a, sz, 1)
	if err != nil {
		b.Fatal(err)
	}
	x, err := NewInput(a, sz, 1, 2)
	if err != nil {
		b.Fatal(err)
	}
	dy := make([]float32, 3*size*size)
	for i := range dy {
		dy[i] = float32(i%7-3) / float32(len(dy))
	}
	return n, x, tensor.New(tensor.WithShape(n.OutputShape(1)...), tensor.WithBacking(dy))
}

// BenchmarkDIPSkipForward times Infer of the DIP skip network.
func BenchmarkDIPSkipForward(b *testing.B) {
	for _, size := range []int{64, 128, 256} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			n, x, _ := benchNet(b, size)
			if _, err := n.Infer(x); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := n.Infer(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDIPSkipStep times a training step of the DIP skip network:
// zero grad, Forward, Backward and an Adam step.
func BenchmarkDIPSkipStep(b *testing.B) {
	for _, size := range []int{64, 128, 256} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			n, x, dy := benchNet(b, size)
			opt := NewAdam(n.Params(), 0.01)
			step := func() {
				n.ZeroGrad()
				if _, err := n.Forward(x); err != nil {
					b.Fatal(err)
				}
				if err := n.Backward(dy); err != nil {
					b.Fatal(err)
				}
				if err := opt.Step(); err != nil {
					b.Fatal(err)
				}
			}
			step()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
		})
	}
}
