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

// The exact batch-norm rule on a small grid, where mean field errs: a
// smooth 1-D field of 16 points, batch norm and ReLU. The report gives,
// per segment, the method, the effective number of pixels and the Monte
// Carlo's standard error.
func ExampleComputeReport() {
	a, err := arch.Parse("conv-stack:dims=1,depth=1,sigma=3")
	if err != nil {
		log.Fatal(err)
	}
	a.Layers = append(a.Layers[:1], arch.BatchNorm{Eps: 1e-5}, arch.Act{Fn: arch.ReLU})
	_, _, rep, err := kernel.ComputeReport(context.Background(), a, []int{16}, kernel.Options{NTK: true, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	s := rep.BN[0]
	fmt.Println(s.Method, s.Samples, "fields")
	fmt.Printf("n_eff %.1f\n", s.NEff)
	fmt.Println("NTK differs from mean field beyond 3 standard errors:", s.MeanFieldDiffNTK > 3*s.SENTK)
	// Output:
	// montecarlo 256 fields
	// n_eff 2.1
	// NTK differs from mean field beyond 3 standard errors: true
}
