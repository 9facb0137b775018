package arch_test

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

func ExampleParse() {
	a, err := arch.Parse("dip-skip:scales=3,channels=64,up=nearest")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Dims, a.Input.Channels, a.OutChannels(), a.Divisor())
	fmt.Println(a.Validate([]int{100, 100}))
	// Output:
	// 2 32 3 8
	// arch: image size 100 is not divisible by 8, which every size must be for this architecture (it halves the grid 3 times); use a multiple of 8 such as 96 or 104
}
