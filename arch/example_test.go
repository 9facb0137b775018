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

func ExampleArch_Plan() {
	a, err := arch.Parse("deep-decoder:scales=1,channels=4,bn=false,out_channels=1,out_act=identity")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := a.Plan([]int{8, 6})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("input", p.Input.Channels, arch.SizeString(p.Input.Size))
	for _, n := range p.Nodes {
		fmt.Println(n.String(), n.From, n.Out.Channels, arch.SizeString(n.Out.Size))
	}
	// Output:
	// input 4 4x3
	// layers[0] (conv) [-1] 4 4x3
	// layers[1] (upsample) [0] 4 8x6
	// layers[2] (act) [1] 4 8x6
	// layers[3] (conv) [2] 4 8x6
	// layers[4] (act) [3] 4 8x6
	// layers[5] (conv) [4] 1 8x6
}
