package dip_test

import (
	"context"
	"fmt"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
)

// Denoise a small synthetic image with DIP's settings (Adam, input noise,
// exponential averaging) and read the measurements.
func ExampleTrain() {
	a, _ := arch.Parse("dip-skip:scales=2,channels=8,skip=4,in_channels=8")
	clean := imageio.Synthetic(16, 16, 3)
	prob, _ := dip.NewProblem(clean, dip.TaskOptions{Task: dip.Denoise, Sigma: 25, Seed: 1})
	cfg := dip.Config{
		Arch: a, Problem: prob, Opt: dip.Optimizer{Kind: dip.Adam, LR: 0.01},
		Iters: 20, Every: 10, Seed: 1, RegNoise: dip.DefaultRegNoise, ExpAvg: dip.DefaultExpAvg, BurnIn: -1,
	}
	res, err := dip.Train(context.Background(), cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range res.Measurements {
		fmt.Printf("iteration %d: %d FBC bands, %d residual-ratio bins\n", m.Iter, len(m.FBC), len(m.Ratio))
	}
	fmt.Println("complete:", res.Complete)
	// Output:
	// iteration 0: 5 FBC bands, 4 residual-ratio bins
	// iteration 10: 5 FBC bands, 4 residual-ratio bins
	// iteration 20: 5 FBC bands, 4 residual-ratio bins
	// complete: true
}

// The FBC of an output that keeps only the low frequencies of the target:
// band 1 (lowest) is matched, the others much less.
func ExampleFBC() {
	y := imageio.Synthetic(32, 32, 3)
	// A 3x3 box blur (circular) keeps low frequencies.
	f := y.Clone()
	n := 32 * 32
	for c := 0; c < 3; c++ {
		for yy := 0; yy < 32; yy++ {
			for xx := 0; xx < 32; xx++ {
				s := 0.0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						s += y.Pix[c*n+((yy+dy+32)%32)*32+(xx+dx+32)%32]
					}
				}
				f.Pix[c*n+yy*32+xx] = s / 9
			}
		}
	}
	h, _ := dip.FBC(f, y)
	fmt.Printf("%.2f\n", h)
	// Output:
	// [0.93 0.70 0.35 0.09 0.14]
}
