package kernel_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// Cheng et al.'s 1-D toy: four conv + ReLU layers on white noise smoothed
// with sigma = 2 (docs/theory.md section 7). The NNGP is stationary (period 1);
// its normalized values decay from 1 at offset 0 to the depth-4 plateau
// 0.681 of the ReLU kernel.
func ExampleCompute() {
	a, err := arch.Parse("conv-stack:dims=1,depth=4,sigma=2")
	if err != nil {
		log.Fatal(err)
	}
	nngp, ntk, err := kernel.Compute(context.Background(), a, []int{128}, kernel.Options{NTK: true})
	if err != nil {
		log.Fatal(err)
	}
	k := nngp.Normalized()
	fmt.Println("period", nngp.Period, "shape", nngp.Shape())
	for _, d := range []int{0, 1, 2, 4, 8, 64} {
		fmt.Printf("offset %2d: %.4f\n", d, k.At([]int{0}, []int{d}))
	}
	fmt.Printf("NTK / NNGP at offset 0: %.4f\n", ntk.At([]int{0}, []int{0})/nngp.At([]int{0}, []int{0}))
	// Output:
	// period 1 shape [1 128]
	// offset  0: 1.0000
	// offset  1: 0.9547
	// offset  2: 0.8722
	// offset  4: 0.7467
	// offset  8: 0.6836
	// offset 64: 0.6810
	// NTK / NNGP at offset 0: 4.0000
}

// The memory a computation needs, before running it, and the period of
// the exact map (32 for dip-skip's five up-samplings).
func ExampleMemory() {
	a, err := arch.Parse("dip-skip")
	if err != nil {
		log.Fatal(err)
	}
	size := []int{256, 256}
	need, err := kernel.Memory(a, size, kernel.Options{NTK: true})
	if err != nil {
		log.Fatal(err)
	}
	p, _ := kernel.OutputPeriod(a, size)
	fmt.Println("period", p)
	fmt.Println("under 2 GiB:", need < 2<<30)
	// Output:
	// period 32
	// under 2 GiB: true
}
