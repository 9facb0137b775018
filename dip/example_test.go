package dip_test

import (
	"context"
	"fmt"
	"log"
	"math"

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

// Fit a 1-D signal of 64 samples with gradient descent and compare the run
// with the NTK's prediction (1 - eta_eff Theta)^t r_0 from the run's own
// start: the loss and the residual ratio |F(f_t - y)|/|F(f_0 - y)| of the
// lowest of the 16 radial bins (Config.Bins 0: a quarter of N), measured
// and predicted. At 64 channels the network follows the kernel only roughly.
func ExampleCompare_signal() {
	a, err := arch.Parse("dip-skip:dims=1,scales=3,channels=64,out_channels=1,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity")
	if err != nil {
		log.Fatal(err)
	}
	const n = 64
	x := make([]float64, n) // two sines, of 2 and 9 cycles
	for i := range x {
		u := float64(i) / n
		x[i] = 0.45 + 0.25*math.Sin(2*math.Pi*2*u) + 0.1*math.Sin(2*math.Pi*9*u)
	}
	prob, err := dip.NewSignalProblem(x, dip.TaskOptions{Task: dip.Fit})
	if err != nil {
		log.Fatal(err)
	}
	k, err := dip.NewKernel(context.Background(), a, []int{n})
	if err != nil {
		log.Fatal(err)
	}
	// eta_eff lambda_max = 0.5.
	cfg := dip.Config{Arch: a, Problem: prob, Opt: dip.Optimizer{Kind: dip.GD, LR: 0.5 * k.StableLR(n)}, Iters: 60, Every: 20, Seed: 1}
	res, err := dip.Train(context.Background(), cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	cmp, err := dip.Compare(context.Background(), k, cfg, res)
	if err != nil {
		log.Fatal(err)
	}
	for i, m := range cmp.Observed {
		p := cmp.Predicted[i]
		fmt.Printf("iteration %2d: loss %.3f (NTK %.3f), lowest-bin residual ratio %.2f (NTK %.2f)\n", m.Iter, m.Loss, p.Loss, m.Ratio[0], p.Ratio[0])
	}
	// Output:
	// iteration  0: loss 0.048 (NTK 0.048), lowest-bin residual ratio 1.00 (NTK 1.00)
	// iteration 20: loss 0.028 (NTK 0.030), lowest-bin residual ratio 0.66 (NTK 0.57)
	// iteration 40: loss 0.023 (NTK 0.026), lowest-bin residual ratio 0.56 (NTK 0.50)
	// iteration 60: loss 0.020 (NTK 0.022), lowest-bin residual ratio 0.40 (NTK 0.43)
}
