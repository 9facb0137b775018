package dip_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
)

// Train a small network and its linearization at initialization with the
// same gd step, and measure when the network leaves its linearization.
func ExampleTrainLinearized() {
	a, err := arch.Parse("dip-skip:scales=2,channels=8,skip=4,in_channels=8,act=tanh")
	if err != nil {
		log.Fatal(err)
	}
	prob, err := dip.NewProblem(imageio.Synthetic(16, 16, 3), dip.TaskOptions{Task: dip.Fit})
	if err != nil {
		log.Fatal(err)
	}
	cfg := dip.Config{Arch: a, Problem: prob, Opt: dip.Optimizer{Kind: dip.GD, LR: 1e-3}, Iters: 20, Every: 10, Seed: 1}
	var outputs [][]float64
	res, err := dip.Train(context.Background(), cfg, func(e dip.Event) error {
		outputs = append(outputs, append([]float64(nil), e.Output.Pix...))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	lin, err := dip.TrainLinearized(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	ag, err := dip.CompareLinearized(res, lin, outputs, 0)
	if err != nil {
		log.Fatal(err)
	}
	for i, m := range lin.Measurements {
		fmt.Printf("iteration %d: linearized loss below the start: %v\n", m.Iter, m.Loss < lin.Measurements[0].Loss || i == 0)
	}
	fmt.Println("diverged:", lin.Diverged)
	fmt.Println("left the linearization (departure > 0.1):", ag.DepartureIter >= 0)
	// Output:
	// iteration 0: linearized loss below the start: true
	// iteration 10: linearized loss below the start: true
	// iteration 20: linearized loss below the start: true
	// diverged: false
	// left the linearization (departure > 0.1): false
}
