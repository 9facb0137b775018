package fft2_test

import (
	"fmt"

	"github.com/dipgp/dipgp/internal/fft2"
)

func Example() {
	// A 4x4 grid (row-major [y][x]) holding a cosine along x with one cycle
	// per 4 pixels.
	x := []float64{
		1, 0, -1, 0,
		1, 0, -1, 0,
		1, 0, -1, 0,
		1, 0, -1, 0,
	}
	p := fft2.NewPlan([]int{4, 4})
	X := p.ForwardReal(x)
	// Energy sits at (fy, fx) = (0, ±1), i.e. indices 1 and 3 of row 0.
	fmt.Printf("%.1f %.1f %.1f\n", real(X[1]), real(X[3]), real(X[0]))
	fmt.Println(fft2.Freq(3, 4), fft2.Radius([]int{4, 4})[1])
	// Round trip.
	back := p.InverseReal(X)
	fmt.Printf("%.1f\n", back[:4])
	// Output:
	// 8.0 8.0 0.0
	// -1 0.25
	// [1.0 0.0 -1.0 0.0]
}
