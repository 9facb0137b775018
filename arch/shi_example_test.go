package arch_test

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

// The infinite-width factor of Shi et al.'s Lipschitz control for their
// 128-channel 3x3 convs with Kaiming's weight scale s_w^2 = 2 and lambda
// 1.4: the weight's spectral norm tends to sqrt(2) (1 + 1/3).
func ExampleLipschitzScale() {
	c := arch.LipschitzScale(1.4, 2, 128, 128*9)
	fmt.Printf("c = %.4f\n", c)
	// Output: c = 0.7425
}
