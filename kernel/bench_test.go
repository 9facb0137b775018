package kernel_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/dipgp/dipgp/kernel"
)

func benchCompute(b *testing.B, spec string, n int) {
	a := mustArch(b, spec)
	size := []int{n, n}
	est, err := kernel.Memory(a, size, kernel.Options{NTK: true})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := kernel.Compute(context.Background(), a, size, kernel.Options{NTK: true}); err != nil {
			b.Fatal(err)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(est)/(1<<20), "est-MiB")
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heapsys-MiB")
}

// BenchmarkCompute_DIPSkip256 is the performance target: dip-skip with all
// defaults (5 scales, 128 channels, bilinear, batch norm, leakyrelu,
// sigmoid output; exact period 32), NNGP and NTK at 256x256.
func BenchmarkCompute_DIPSkip256(b *testing.B) { benchCompute(b, "dip-skip", 256) }

// BenchmarkCompute_DIPSkip512 is the same network at 512x512 (about 5 GiB;
// run it explicitly with -bench DIPSkip512).
func BenchmarkCompute_DIPSkip512(b *testing.B) { benchCompute(b, "dip-skip", 512) }

// BenchmarkCompute_DIPSkip128 is the same network at 128x128.
func BenchmarkCompute_DIPSkip128(b *testing.B) { benchCompute(b, "dip-skip", 128) }

// BenchmarkCompute_DIPSkip64 is the same network at 64x64.
func BenchmarkCompute_DIPSkip64(b *testing.B) { benchCompute(b, "dip-skip", 64) }

// BenchmarkCompute_DIPSkip64Pre is the map propagation on the network of
// BenchmarkBruteForce_DIPSkip64 (dip-skip defaults before the output
// sigmoid, 64x64, NNGP and NTK), for the speed-up and memory ratio.
func BenchmarkCompute_DIPSkip64Pre(b *testing.B) {
	a := mustArch(b, "dip-skip").PreActivation()
	for b.Loop() {
		if _, _, err := kernel.Compute(context.Background(), a, []int{64, 64}, kernel.Options{NTK: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBruteForce_DIPSkip64 propagates the full (HW)^2 = 4096^2
// second-moment and NTK matrices through dip-skip (defaults, without the
// output sigmoid, whose plain quadrature on 16.7M entries would dominate)
// at 64x64, the way full-covariance libraries do; 128x128 would need
// 2 GiB per matrix.
func BenchmarkBruteForce_DIPSkip64(b *testing.B) {
	a := mustArch(b, "dip-skip").PreActivation()
	for b.Loop() {
		if _, _, _, _, err := bruteForce(a, []int{64, 64}, true); err != nil {
			b.Fatal(err)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heapsys-MiB")
}

// BenchmarkCompute_DIPSkipMeanField256 is the issue 16 baseline's rule
// (mean-field batch norm) on dip-skip at 256x256, NNGP and NTK.
func BenchmarkCompute_DIPSkipMeanField256(b *testing.B) {
	a := mustArch(b, "dip-skip")
	for b.Loop() {
		if _, _, err := kernel.Compute(context.Background(), a, []int{256, 256}, kernel.Options{NTK: true, BN: kernel.BNMeanField}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute_DIPSkipMeanField512 is the issue 16 goal's size: mean-field
// batch norm on dip-skip at 512x512, NNGP and NTK (about 5 GB; run it
// explicitly with -bench MeanField512).
func BenchmarkCompute_DIPSkipMeanField512(b *testing.B) {
	a := mustArch(b, "dip-skip")
	for b.Loop() {
		if _, _, err := kernel.Compute(context.Background(), a, []int{512, 512}, kernel.Options{NTK: true, BN: kernel.BNMeanField, Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
}
