package dip

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/nn"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"
)

// TestEmpiricalNTKSpectrumDense checks the Lanczos eigenvalues of J J^T
// against a dense eigendecomposition of J J^T built row by row from
// backward passes (no JVP) on a tiny batch-norm network.
func TestEmpiricalNTKSpectrumDense(t *testing.T) {
	a := smallArch(t, "dip-skip:scales=2,channels=4,skip=2,in_channels=4,out_channels=1,act=tanh")
	size := []int{8, 8}
	const seed = 3
	net, err := nn.Build(a, size, seed)
	if err != nil {
		t.Fatal(err)
	}
	z, err := nn.NewInput(a, size, 1, seed)
	if err != nil {
		t.Fatal(err)
	}
	shape := net.OutputShape(1)
	n := prod(shape)
	var rows [][]float64
	for i := 0; i < n; i++ {
		if _, err := net.Forward(z); err != nil {
			t.Fatal(err)
		}
		e := make([]float32, n)
		e[i] = 1
		net.ZeroGrad()
		if err := net.Backward(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(e))); err != nil {
			t.Fatal(err)
		}
		var row []float64
		for _, p := range net.Params() {
			for _, g := range p.Grad {
				row = append(row, float64(g))
			}
		}
		rows = append(rows, row)
	}
	K := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			K.SetSym(i, j, dot(rows[i], rows[j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(K, false) {
		t.Fatal("dense eigendecomposition failed")
	}
	ev := eig.Values(nil)
	s, err := EmpiricalNTKSpectrum(context.Background(), a, size, seed, 4, 30)
	if err != nil {
		t.Fatal(err)
	}
	for r, l := range s.Eigenvalues {
		want := ev[n-1-r]
		if math.Abs(l-want) > 1e-4*ev[n-1] {
			t.Errorf("eigenvalue %d: Lanczos %.8g, dense %.8g", r, l, want)
		}
	}
	for r, e := range s.BinEnergy {
		sum := 0.0
		for _, v := range e {
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 || !(s.MeanFrequency[r] >= 0 && s.MeanFrequency[r] <= 0.75) {
			t.Errorf("eigenvector %d: bin energies sum to %g, mean frequency %g", r, sum, s.MeanFrequency[r])
		}
	}
}

// TestLanczosResiduals checks the reported Ritz residuals against
// |A u - lambda u| computed densely, for a random symmetric matrix with
// fewer steps than its size (so the residuals are not zero).
func TestLanczosResiduals(t *testing.T) {
	const n = 60
	rng := rand.New(rand.NewPCG(1, 2))
	A := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			A.SetSym(i, j, rng.NormFloat64())
		}
	}
	apply := func(v, out []float64) error {
		mat.NewVecDense(n, out).MulVec(A, mat.NewVecDense(n, v))
		return nil
	}
	vals, vecs, res, m, err := lanczos(context.Background(), n, 3, 12, 5, apply)
	if err != nil {
		t.Fatal(err)
	}
	if m != 12 {
		t.Fatalf("%d steps, want 12", m)
	}
	au := make([]float64, n)
	for r, u := range vecs {
		if err := apply(u, au); err != nil {
			t.Fatal(err)
		}
		d := 0.0
		for i := range au {
			e := au[i] - vals[r]*u[i]
			d += e * e
		}
		d = math.Sqrt(d)
		if !(res[r] > 1e-6) || math.Abs(res[r]-d) > 1e-8*(1+d) {
			t.Errorf("Ritz pair %d: reported residual %.10g, dense %.10g", r, res[r], d)
		}
	}
}
