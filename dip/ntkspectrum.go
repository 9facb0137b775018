package dip

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/nn"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"
)

// NTKSpectrum is the top of the spectrum of the empirical NTK
// Theta = J J^T of a network at its initialization (J = d f / d theta over
// the raw parameters, f the output for the fixed input z), by Lanczos.
type NTKSpectrum struct {
	// Eigenvalues are the top Ritz values, largest first.
	Eigenvalues []float64 `json:"eigenvalues"`
	// MeanFrequency is, per eigenvector, the energy-weighted mean radial
	// frequency (cycles per pixel) of its DFT over every channel.
	MeanFrequency []float64 `json:"mean_frequency"`
	// BinEnergy is, per eigenvector, the fraction of its energy in each
	// radial bin (BinCenters).
	BinEnergy  [][]float64 `json:"bin_energy"`
	BinCenters []float64   `json:"bin_centers"`
	// Residuals are |Theta u - lambda u| of the Ritz pairs.
	Residuals []float64 `json:"residuals"`
	// Steps is the number of Lanczos steps (matrix-vector products).
	Steps int `json:"steps"`
}

// EmpiricalNTKSpectrum returns the top k eigenpairs of the empirical NTK of
// architecture a for an output of the given size, with the parameters and
// the input drawn from seed as Train draws them, by Lanczos with full
// reorthogonalization over steps products Theta v = J (J^T v) (one backward
// pass and one nn.Net.JVP each).
func EmpiricalNTKSpectrum(ctx context.Context, a arch.Arch, size []int, seed uint64, k, steps int) (NTKSpectrum, error) {
	net, err := nn.Build(a, size, seed)
	if err != nil {
		return NTKSpectrum{}, err
	}
	z, err := nn.NewInput(a, size, 1, seed)
	if err != nil {
		return NTKSpectrum{}, err
	}
	if _, _, err := net.JVP(z, nil); err != nil {
		return NTKSpectrum{}, err
	}
	params := net.Params()
	tangents := make([][]float32, len(params))
	for i, p := range params {
		tangents[i] = make([]float32, len(p.Data))
	}
	shape := net.OutputShape(1)
	dy := make([]float32, prod(shape))
	apply := func(v, out []float64) error {
		for i, x := range v {
			dy[i] = float32(x)
		}
		net.ZeroGrad()
		if err := net.Backward(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dy))); err != nil {
			return err
		}
		for i, p := range params {
			copy(tangents[i], p.Grad)
		}
		_, jv, err := net.JVP(z, tangents)
		if err != nil {
			return err
		}
		for i, x := range jv.Data().([]float32) {
			out[i] = float64(x)
		}
		return nil
	}
	vals, vecs, res, m, err := lanczos(ctx, len(dy), k, steps, seed, apply)
	if err != nil {
		return NTKSpectrum{}, err
	}
	s := NTKSpectrum{Eigenvalues: vals, Residuals: res, Steps: m}
	h, w := 1, size[0] // a 1-D signal is a grid of height 1
	if len(size) == 2 {
		h, w = size[0], size[1]
	}
	s.BinCenters, s.BinEnergy, s.MeanFrequency = fourierAlignment(vecs, shape[1], h, w)
	return s, nil
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// lanczos returns the top k Ritz values and vectors of the symmetric
// operator apply on R^n after at most steps Lanczos steps with full
// reorthogonalization from a random start drawn from seed, with their
// residual norms and the number of steps taken.
func lanczos(ctx context.Context, n, k, steps int, seed uint64, apply func(v, out []float64) error) ([]float64, [][]float64, []float64, int, error) {
	if k < 1 || steps < k {
		return nil, nil, nil, 0, fmt.Errorf("dip: Lanczos needs k >= 1 eigenvalues and at least k steps (got k = %d, steps = %d)", k, steps)
	}
	steps = min(steps, n)
	k = min(k, steps)
	rng := rand.New(rand.NewPCG(seed, 0x4c414e43)) // "LANC"
	q := make([]float64, n)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	scale(q, 1/norm(q))
	var Q [][]float64
	var alpha, beta []float64
	w := make([]float64, n)
	for j := 0; j < steps; j++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, 0, err
		}
		Q = append(Q, q)
		if err := apply(q, w); err != nil {
			return nil, nil, nil, 0, err
		}
		alpha = append(alpha, dot(w, q))
		// Full reorthogonalization, twice for stability.
		for pass := 0; pass < 2; pass++ {
			for _, u := range Q {
				c := dot(w, u)
				for i := range w {
					w[i] -= c * u[i]
				}
			}
		}
		b := norm(w)
		beta = append(beta, b) // beta[m-1] gives the residuals
		if j == steps-1 || b < 1e-12*math.Abs(alpha[0]) {
			break
		}
		q = append([]float64(nil), w...)
		scale(q, 1/b)
	}
	m := len(Q)
	T := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		T.SetSym(i, i, alpha[i])
		if i+1 < m {
			T.SetSym(i, i+1, beta[i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(T, true) {
		return nil, nil, nil, 0, fmt.Errorf("dip: the Lanczos tridiagonal matrix could not be diagonalized")
	}
	ev := eig.Values(nil)
	var S mat.Dense
	eig.VectorsTo(&S)
	k = min(k, m)
	vals := make([]float64, k)
	vecs := make([][]float64, k)
	res := make([]float64, k)
	for r := 0; r < k; r++ {
		c := m - 1 - r // ascending order
		vals[r] = ev[c]
		u := make([]float64, n)
		for j := 0; j < m; j++ {
			s := S.At(j, c)
			for i := range u {
				u[i] += s * Q[j][i]
			}
		}
		vecs[r] = u
		// Residual |Theta u - lambda u| = beta_m |s_m| (0 when the
		// Krylov space is invariant).
		res[r] = math.Abs(beta[m-1] * S.At(m-1, c))
	}
	return vals, vecs, res, m, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func scale(a []float64, c float64) {
	for i := range a {
		a[i] *= c
	}
}

// fourierAlignment returns the radial bins (DefaultBins of the grid) and,
// per vector of c channels on an h x w grid, the fraction of its DFT energy
// in each bin and its energy-weighted mean radial frequency.
func fourierAlignment(vecs [][]float64, c, h, w int) (centers []float64, energy [][]float64, mean []float64) {
	bins := DefaultBins(w, h)
	plan := fft2.NewPlan([]int{h, w})
	centers = make([]float64, bins)
	for b := range centers {
		centers[b] = (float64(b) + 0.5) * 0.5 / float64(bins)
	}
	hw := h * w
	for _, u := range vecs {
		e := make([]float64, bins)
		var tot, fr float64
		for ch := 0; ch < c; ch++ {
			spec := plan.ForwardReal(u[ch*hw : (ch+1)*hw])
			for i, v := range spec {
				fy, fx := float64(freqIndex(i/w, h))/float64(h), float64(freqIndex(i%w, w))/float64(w)
				r := math.Hypot(fy, fx)
				p := real(v)*real(v) + imag(v)*imag(v)
				tot += p
				fr += p * r
				b := min(int(r/0.5*float64(bins)), bins-1)
				e[b] += p
			}
		}
		for b := range e {
			e[b] /= tot
		}
		energy = append(energy, e)
		mean = append(mean, fr/tot)
	}
	return centers, energy, mean
}

func freqIndex(i, n int) int {
	if i > n/2 {
		return i - n
	}
	return i
}
