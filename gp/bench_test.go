package gp

import (
	"math"
	"testing"

	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/kernel"
)

// powerLawMap returns a stationary map on an n x n grid whose spectrum is
// lambda(f) = (f^2 + f0^2)^(-slope/2) (f in cycles per pixel), normalized
// to unit mean variance: a smooth kernel like the DIP's (slope about 3).
func powerLawMap(n int, slope, f0 float64) kernel.Map {
	size := []int{n, n}
	m, _ := kernel.NewMap(1, size)
	r := fft2.Radius(size)
	spec := make([]complex128, n*n)
	for i, f := range r {
		spec[i] = complex(math.Pow(f*f+f0*f0, -slope/2), 0)
	}
	plan := fft2.NewPlan(size)
	plan.Inverse(spec, spec)
	for i, v := range spec {
		m.Data[i] = real(v)
	}
	return m.Normalized()
}

func BenchmarkKernelProduct256(b *testing.B) {
	p, _ := NewPrior(powerLawMap(256, 3, 0.01), PriorOptions{})
	x := make([]float64, p.Points())
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.kernelGrid(x, identity)
	}
}

// BenchmarkSpectrum512 is the spectrum of a stationary map at 512 x 512.
func BenchmarkSpectrum512(b *testing.B) {
	m := powerLawMap(512, 3, 0.01)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Spectrum(m, false); err != nil {
			b.Fatal(err)
		}
	}
}

// benchImage returns a smooth test signal plus noise on an n x n grid.
func benchImage(n int, noise float64) []float64 {
	p, _ := NewPrior(powerLawMap(n, 3, 0.01), PriorOptions{})
	return gpData(p, 1, 0.05, noise, 0.5)
}

// BenchmarkDenoise512 is GP denoising of a 512 x 512 image with a
// stationary map, fitting the scale and the noise level; it includes
// NewPrior (the map's FFT).
func BenchmarkDenoise512(b *testing.B) {
	m := powerLawMap(512, 3, 0.01)
	y := [][]float64{benchImage(512, 0.1)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := NewPrior(m, PriorOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Denoise(y, DenoiseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInpaint256 is inpainting of a 256 x 256 image (half the pixels
// observed, 8-bit quantization noise) to a relative residual of 1e-6 with
// a stationary DIP-like map (spectrum slope -3), for each preconditioner.
func BenchmarkInpaint256(b *testing.B) {
	m := powerLawMap(256, 3, 0.01)
	y := [][]float64{benchImage(256, 0)}
	mask, _ := randomMask(256*256, 0.5, 1)
	p, _ := NewPrior(m, PriorOptions{})
	for _, pre := range []string{Jacobi, Circulant} {
		b.Run(pre, func(b *testing.B) {
			var it []int
			for i := 0; i < b.N; i++ {
				res, err := p.Inpaint(y, mask, InpaintOptions{Scale: 0.05, Noise: 1 / (255 * math.Sqrt(12)), Tol: 1e-6, Precond: pre})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res.Residual {
					if r > 1e-6 {
						b.Fatalf("residual %g", r)
					}
				}
				it = res.Iterations
			}
			b.ReportMetric(float64(it[0]+it[1]), "iterations")
		})
	}
}

// BenchmarkDenseCholesky is the dense reference for GP denoising at the
// largest size it runs in reasonable time and memory: Cholesky of the
// n x n covariance for n = 64 x 64 = 4096 points (the 512 x 512 problem
// would need a 2 TB matrix).
func BenchmarkDenseCholesky64(b *testing.B) {
	m := powerLawMap(64, 3, 0.01)
	cov := m.Dense()
	y := benchImage(64, 0.1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		denseGP(b, cov, y, nil, 1, 0.01, false)
	}
}

// modulatedMap returns the cyclostationary map (a(p(x)) a(p(x')) + 0.1)
// k0(x' - x) of period P for a stationary k0 on an n x n grid: PSD, with
// positive phase weights a.
func modulatedMap(k0 kernel.Map, period int) kernel.Map {
	n := k0.Size[0]
	m, _ := kernel.NewMap(period, k0.Size)
	a := make([]float64, period*period)
	for i := range a {
		a[i] = 1 + 0.5*math.Sin(float64(3*i+1))
	}
	np := n * n
	for py := 0; py < period; py++ {
		for px := 0; px < period; px++ {
			p := py*period + px
			for dy := 0; dy < n; dy++ {
				for dx := 0; dx < n; dx++ {
					q := ((py+dy)%period)*period + (px+dx)%period
					d := dy*n + dx
					m.Data[p*np+d] = (a[p]*a[q] + 0.1) * k0.Data[d]
				}
			}
		}
	}
	return m
}

// BenchmarkNewPriorExact128P8 is the exact Fourier-block factorization of
// a period-8 map at 128 x 128 (256 blocks of 64 frequencies).
func BenchmarkNewPriorExact128P8(b *testing.B) {
	m := modulatedMap(powerLawMap(128, 3, 0.01), 8)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewPrior(m, PriorOptions{Approx: Exact}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpectrumExact128P8 is the exact spectrum (eigenvalues only) of
// the same map.
func BenchmarkSpectrumExact128P8(b *testing.B) {
	m := modulatedMap(powerLawMap(128, 3, 0.01), 8)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Spectrum(m, true); err != nil {
			b.Fatal(err)
		}
	}
}
