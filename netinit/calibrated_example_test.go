package netinit_test

import (
	"fmt"

	"github.com/dipgp/dipgp/netinit"
)

// ExampleFitInverseWidth extrapolates a width sweep to infinite width.
func ExampleFitInverseWidth() {
	widths := []int{32, 64, 128, 256}
	errs := []float64{0.0291, 0.0148, 0.0079, 0.0040} // shape excess error per width
	f := netinit.FitInverseWidth(widths, errs)
	fmt.Printf("a = %.4f [%.4f, %.4f], slope %.2f\n", f.A, f.ALo, f.AHi, f.Slope)
	// Output:
	// a = 0.0006 [-0.0001, 0.0012], slope -0.95
}

// ExampleHotellingTest tests a mean of two correlated features against
// zero: each feature alone is only 1.9 standard errors away, but their
// difference, which the correlation of 0.98 makes precise, is far from
// zero: T^2 = 100 d' S^-1 d = 91.2 (by hand: 100 x 0.19^2 / (1 - 0.98^2)).
func ExampleHotellingTest() {
	mean := []float64{0.19, 0.0}
	cov := []float64{1, 0.98, 0.98, 1} // between samples
	h := netinit.HotellingTest(mean, cov, []float64{0, 0}, 100, []string{"a", "b"})
	fmt.Printf("T2 = %.1f, p = %.2g\n", h.T2, h.P)
	// Output:
	// T2 = 91.2, p = 1.3e-14
}
