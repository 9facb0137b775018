package dip

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/nn"
)

// maxDenseNTKPoints bounds the grid of EmpiricalNTK: one backward pass per
// point and an n x n matrix.
const maxDenseNTKPoints = 4096

// EmpiricalNTK returns the tangent kernel J J^T of output channel 0 of the
// finite network of weight seed weightSeed on its input of seed inputSeed,
// as a dense n x n matrix in row-major order (n the points of size), in
// the architecture's own parameterization (use arch.NTK to compare with
// kernel's NTK). It takes one backward pass per output point, so it is
// meant for small grids (at most 4096 points, 64x64); Kernel's Lanczos
// spectrum (NTKSpectrum) is the matrix-free way on large ones.
func EmpiricalNTK(a arch.Arch, size []int, weightSeed, inputSeed uint64) ([]float64, error) {
	n := prod(size)
	if n > maxDenseNTKPoints {
		return nil, fmt.Errorf("dip: the dense empirical NTK of a %v grid needs %d backward passes and a %d x %d matrix; use a grid of at most %d points", size, n, n, n, maxDenseNTKPoints)
	}
	net, err := nn.Build(a, size, weightSeed)
	if err != nil {
		return nil, err
	}
	z, err := nn.NewInput(a, size, 1, inputSeed)
	if err != nil {
		return nil, err
	}
	shape := net.OutputShape(1)
	grads := make([][]float32, n)
	for i := range grads {
		if _, err := net.Forward(z); err != nil {
			return nil, err
		}
		dy := make([]float32, prod(shape))
		dy[i] = 1 // output channel 0, point i
		net.ZeroGrad()
		if err := net.Backward(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dy))); err != nil {
			return nil, err
		}
		for _, p := range net.Params() {
			grads[i] = append(grads[i], p.Grad...)
		}
	}
	th := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for k, v := range grads[i] {
				s += float64(v) * float64(grads[j][k])
			}
			th[i*n+j], th[j*n+i] = s, s
		}
	}
	return th, nil
}
