package kernel_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// Brute-force rules for Shi et al.'s controls, written from their
// definitions (not from package kernel).

// upMatrixOf returns the per-axis up-sampling matrix of l on an axis of n
// points (periodic). Gaussian up-sampling is the transposed convolution
// of PyTorch (stride 2, padding 2, 5 taps): input i adds g[k] x[i] to
// output o = 2i - 2 + k.
func upMatrixOf(l arch.Upsample, n int) ([]float64, int) {
	if l.Mode != arch.GaussianUp {
		return upMatrix(l.Mode, n)
	}
	m := 2 * n
	A := make([]float64, m*n)
	var g [5]float64
	var sum float64
	for k := range g {
		d := float64(k-2) / 2
		g[k] = math.Exp(-d * d / (2 * l.Sigma * l.Sigma))
		sum += g[k]
	}
	for i := 0; i < n; i++ {
		for k := 0; k < 5; k++ {
			o := wrap(2*i-2+k, m)
			A[o*n+i] += g[k] / sum
		}
	}
	return A, m
}

// bfLipschitz returns c^2 for the Bai-Yin edge s = sqrt(sw2/fan)
// (sqrt(out) + sqrt(fan)), c = min(1, lambda/s).
func bfLipschitz(l arch.Conv, sw2 float64, cin, taps int) float64 {
	if l.Lipschitz == 0 {
		return 1
	}
	fan := float64(cin * taps)
	s := math.Sqrt(sw2/fan) * (math.Sqrt(float64(l.Out)) + math.Sqrt(fan))
	c := math.Min(1, l.Lipschitz/s)
	return c * c
}

// bfMeanOnly applies the centring matrix C = I - 11^T/n on both sides.
func bfMeanOnly(l arch.BatchNorm, p bfPart, n int) bfPart {
	C := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			C[i*n+j] = -1 / float64(n)
		}
		C[i*n+i]++
	}
	sand := func(K []float64) []float64 {
		tmp := make([]float64, n*n)
		out := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += C[i*n+k] * K[k*n+j]
				}
				tmp[i*n+j] = s
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += tmp[i*n+k] * C[j*n+k]
				}
				out[i*n+j] = s
			}
		}
		return out
	}
	M, T := sand(p.M), sand(p.T)
	if l.Affine {
		for i := range T {
			T[i]++
		}
	}
	return bfPart{M: M, T: T, ch: p.ch}
}

func TestBruteForceShiControls(t *testing.T) {
	uni := arch.Input{Channels: 3, Dist: arch.Uniform, Low: 0, High: 0.1}
	normal := arch.Init{Scheme: arch.Normal, SW: 1.4, SB: 0.1}
	torch := arch.Init{Scheme: arch.PyTorch}
	lrelu := arch.Act{Fn: arch.LeakyReLU, Slope: 0.01}
	cases := []struct {
		name string
		init arch.Init
		ls   []arch.Layer
	}{
		{"lipschitz", normal, []arch.Layer{arch.Conv{Out: 8, K: 3, Stride: 1, Bias: true, Lipschitz: 1.2}, lrelu, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true, Lipschitz: 0.5}}},
		{"gaussian-up", torch, []arch.Layer{arch.Conv{Out: 4, K: 3, Stride: 1, Bias: true}, lrelu, arch.Upsample{Mode: arch.GaussianUp, Sigma: 0.5}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, lrelu, arch.Upsample{Mode: arch.GaussianUp, Sigma: 0.1}}},
		{"mean-only", normal, []arch.Layer{arch.Conv{Out: 4, K: 3, Stride: 1, Bias: true}, arch.BatchNorm{MeanOnly: true, Affine: true}, lrelu, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.BatchNorm{MeanOnly: true}}},
		{"shi-block", normal, []arch.Layer{arch.Conv{Out: 4, K: 3, Stride: 1, Bias: true, Lipschitz: 1}, arch.BatchNorm{MeanOnly: true, Affine: true}, lrelu, arch.Upsample{Mode: arch.GaussianUp, Sigma: 0.3}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true, Lipschitz: 1}, arch.BatchNorm{MeanOnly: true, Affine: true}, lrelu}},
	}
	for _, c := range cases {
		for _, dims := range []int{2, 1} {
			a := baseArch(dims, c.init, uni, c.ls...)
			size := []int{16, 16}
			if dims == 1 {
				size = []int{64}
			}
			checkBrute(t, fmt.Sprintf("%s/%dd", c.name, dims), a, size)
		}
	}
}
