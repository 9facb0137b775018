package dip_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
)

// The largest eigenvalues of a small network's empirical NTK J J^T at
// initialization, by Lanczos, and the gd step that keeps its linearization
// stable (eta_eff lambda_max < 2, eta_eff = 2 lr / n for DIP's mean
// squared error over n values).
func ExampleEmpiricalNTKSpectrum() {
	a, err := arch.Parse("dip-skip:scales=2,channels=8,skip=4,in_channels=8,param=ntk,bn=false,act=tanh")
	if err != nil {
		log.Fatal(err)
	}
	size := []int{16, 16}
	s, err := dip.EmpiricalNTKSpectrum(context.Background(), a, size, 1, 3, 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("eigenvalues:", len(s.Eigenvalues), "Lanczos steps:", s.Steps)
	fmt.Println("largest first:", s.Eigenvalues[0] >= s.Eigenvalues[1] && s.Eigenvalues[1] >= s.Eigenvalues[2])
	fmt.Println("converged (residual < 1% of lambda_max):", s.Residuals[0] < 0.01*s.Eigenvalues[0])
	n := 3 * size[0] * size[1]
	lr := 0.9 * float64(n) / (2 * s.Eigenvalues[0])
	fmt.Printf("eta_eff lambda_max with lr = 0.9 n / (2 lambda_max): %.2f\n", 2*lr/float64(n)*s.Eigenvalues[0])
	// Output:
	// eigenvalues: 3 Lanczos steps: 20
	// largest first: true
	// converged (residual < 1% of lambda_max): true
	// eta_eff lambda_max with lr = 0.9 n / (2 lambda_max): 0.90
}
