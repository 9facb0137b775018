package arch_test

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

// A dense layer flattens its input: without image its output is a vector
// (a one-point grid); with image it returns to the grid.
func ExampleDense() {
	a := arch.Arch{Dims: 2, Input: arch.Input{Channels: 1, Dist: arch.Gaussian, Std: 1},
		Init: arch.Init{Scheme: arch.PyTorch}, Param: arch.Standard, Pad: arch.Zero,
		Layers: []arch.Layer{arch.Dense{Out: 128, Bias: true}, arch.Act{Fn: arch.ReLU}, arch.Dense{Out: 1, Bias: true, Image: true}}}
	p, err := a.Plan([]int{64, 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range p.Nodes {
		fmt.Println(n.String(), n.Out.Channels, n.Out.Size, n.Out.Flat)
	}
	// Output:
	// layers[0] (dense) 128 [1 1] true
	// layers[1] (act) 128 [1 1] true
	// layers[2] (dense) 1 [64 64] false
}
