package experiments_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/dipgp/dipgp/experiments"
)

func ExampleList() {
	for _, x := range experiments.List()[:3] {
		fmt.Println(x.Name)
	}
	// Output:
	// cheng-kernels-1d
	// cheng-mc-1d
	// cheng-encdec-1d
}

func ExampleExperiment_Run() {
	dir, err := os.MkdirTemp("", "experiments-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	x, err := experiments.Lookup("cheng-kernels-1d")
	if err != nil {
		log.Fatal(err)
	}
	res, err := x.Run(context.Background(), experiments.Config{Out: dir, Mode: experiments.Tiny, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	// Two ReLU layers on white noise: the normalized kernel at any
	// non-zero offset (docs/theory.md section 7).
	fmt.Printf("%.4f\n", res.Numbers["k_sigma0_depth2_d1"])
	_, err = os.Stat(res.Report)
	fmt.Println("report written:", err == nil)
	// Output:
	// 0.4937
	// report written: true
}
