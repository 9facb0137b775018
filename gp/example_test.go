package gp_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/kernel"
)

// The spectrum of a stationary kernel: here a periodized Matern-5/2 kernel
// (a kernel.Map like the ones package kernel computes for architectures).
func ExampleSpectrum() {
	m, err := gp.Matern52.Map([]int{64, 64}, 3)
	if err != nil {
		panic(err)
	}
	s, err := gp.Spectrum(m, false)
	if err != nil {
		panic(err)
	}
	sum, err := s.Summarize(gp.DefaultFitLo, gp.DefaultFitHi)
	if err != nil {
		panic(err)
	}
	fmt.Printf("exact: %v, off-diagonal energy %g\n", s.Exact, s.OffDiagonal)
	fmt.Printf("power-law slope over [1/16, 1/4] cycles/pixel: %.1f\n", sum.Slope)
	fmt.Printf("half-power frequency: %.3f cycles/pixel\n", sum.HalfPower)
	// Output:
	// exact: true, off-diagonal energy 0
	// power-law slope over [1/16, 1/4] cycles/pixel: -3.7
	// half-power frequency: 0.058 cycles/pixel
}

// Denoising with a GP prior: a smooth signal plus noise of standard
// deviation 0.1, with the signal scale and the noise level fitted by
// maximizing the marginal likelihood.
func ExamplePrior_Denoise() {
	m, err := gp.RBF.Map([]int{48, 48}, 3)
	if err != nil {
		panic(err)
	}
	p, err := gp.NewPrior(m, gp.PriorOptions{})
	if err != nil {
		panic(err)
	}
	clean, err := p.Sample(1, 1) // a draw from the prior as the clean signal
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(2, 0))
	noisy := make([]float64, len(clean[0]))
	for i, v := range clean[0] {
		noisy[i] = 0.5 + 0.2*v + 0.1*rng.NormFloat64()
	}
	res, err := p.Denoise([][]float64{noisy}, gp.DenoiseOptions{})
	if err != nil {
		panic(err)
	}
	rmse := func(f []float64) float64 {
		var s float64
		for i, v := range f {
			d := v - (0.5 + 0.2*clean[0][i])
			s += d * d
		}
		return math.Sqrt(s / float64(len(f)))
	}
	fmt.Printf("fitted noise %.2f, scale %.3f\n", res.Hyper.Noise, res.Hyper.Scale)
	fmt.Printf("error: noisy %.3f, restored %.3f\n", rmse(noisy), rmse(res.Mean[0]))
	// Output:
	// fitted noise 0.10, scale 0.032
	// error: noisy 0.100, restored 0.031
}

// The dynamics that gradient descent on a kernel (as the NTK) predicts
// for fitting a target: the step must stay below 2 / lambda_max.
func ExamplePrior_Predict() {
	m, _ := kernel.NewMap(1, []int{32})
	for d := range m.Data {
		r := float64(min(d, 32-d))
		m.Data[d] = math.Exp(-r * r / 8)
	}
	p, err := gp.NewPrior(m, gp.PriorOptions{})
	if err != nil {
		panic(err)
	}
	y := make([]float64, 32)
	for i := range y {
		y[i] = math.Sin(2 * math.Pi * float64(i) / 32)
	}
	pr, err := p.Predict([][]float64{y}, gp.PredictOptions{LR: 0.5 / p.MaxEigenvalue(), Iters: 100, Checkpoints: []int{0, 10, 100}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("largest stable step %.3f\n", pr.MaxLR)
	for i, t := range pr.Iters {
		fmt.Printf("t=%3d: residual at %.4f cycles/sample %.3f\n", t, pr.Freq[0], pr.Residual[i][0])
	}
	// Output:
	// largest stable step 0.399
	// t=  0: residual at 0.0312 cycles/sample 1.000
	// t= 10: residual at 0.0312 cycles/sample 0.002
	// t=100: residual at 0.0312 cycles/sample 0.000
}
