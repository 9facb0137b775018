package nn_test

import (
	"fmt"
	"log"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/nn"
	"gorgonia.org/tensor"
)

// Build a small DIP skip network for 32x32 images, run it on its noise
// input, and take one Adam step on the squared error to a target image.
func Example() {
	a, err := arch.ParsePreset("dip-skip:scales=3,channels=16")
	if err != nil {
		log.Fatal(err)
	}
	size := []int{32, 32}
	net, err := nn.Build(a, size, 1)
	if err != nil {
		log.Fatal(err)
	}
	z, err := nn.NewInput(a, size, 1, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("input", z.Shape(), "parameters", net.NumParams())

	target := make([]float32, 3*32*32) // a gray image
	for i := range target {
		target[i] = 0.5
	}
	opt := nn.NewAdam(net.Params(), 0.01)
	y, err := net.Forward(z)
	if err != nil {
		log.Fatal(err)
	}
	out := y.Data().([]float32)
	dy := make([]float32, len(out))
	for i := range out {
		dy[i] = 2 * (out[i] - target[i]) / float32(len(out)) // d mean squared error
	}
	net.ZeroGrad()
	if err := net.Backward(tensor.New(tensor.WithShape(y.Shape()...), tensor.WithBacking(dy))); err != nil {
		log.Fatal(err)
	}
	if err := opt.Step(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("output", y.Shape(), "steps", opt.Steps())
	// Output:
	// input (1, 32, 32, 32) parameters 26575
	// output (1, 3, 32, 32) steps 1
}
