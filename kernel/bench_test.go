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
	b.ReportMetric(float64(est)/(1<<20), "est-MiB")
	for b.Loop() {
		k, th, err := kernel.Compute(context.Background(), a, size, kernel.Options{NTK: true})
		if err != nil {
			b.Fatal(err)
		}
		if k.Period != 32 && n >= 32 && spec == "dip-skip" {
			b.Fatalf("period %d", k.Period)
		}
		_ = th
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heapsys-MiB")
}

// BenchmarkCompute_DIPSkip256 is the performance target: dip-skip with all
// defaults (5 scales, 128 channels, bilinear, batch norm, leakyrelu,
// sigmoid output; exact period 32), NNGP and NTK at 256x256.
func BenchmarkCompute_DIPSkip256(b *testing.B) { benchCompute(b, "dip-skip", 256) }

// BenchmarkCompute_DIPSkip128 is the same network at 128x128.
func BenchmarkCompute_DIPSkip128(b *testing.B) { benchCompute(b, "dip-skip", 128) }

// BenchmarkCompute_DIPSkip64 is the same network at 64x64.
func BenchmarkCompute_DIPSkip64(b *testing.B) { benchCompute(b, "dip-skip", 64) }
