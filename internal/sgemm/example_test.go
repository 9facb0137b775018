package sgemm_test

import (
	"fmt"

	"github.com/dipgp/dipgp/internal/sgemm"
)

func ExampleGemm() {
	// C = A*B for A 2×3 and B 3×2.
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		1, 0,
		0, 1,
		1, 1,
	}
	c := make([]float32, 4)
	sgemm.Gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [4 5 10 11]
}
