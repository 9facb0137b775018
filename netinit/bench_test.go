package netinit

import (
	"context"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// BenchmarkSampleSkip64 times Sample on the check's setting: dip-skip with
// 3 scales and batch norm at 64x64, one network per iteration, on one
// worker (each network is single-threaded inside).
func BenchmarkSampleSkip64(b *testing.B) {
	a, err := arch.ParsePreset("dip-skip:scales=3,channels=128,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1,input=gaussian,in_scale=1,out_act=identity")
	if err != nil {
		b.Fatal(err)
	}
	size := []int{64, 64}
	b.ResetTimer()
	if _, err := Sample(context.Background(), a, size, Options{Samples: b.N, Workers: 1, Seed: 1}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSampleSkip64Period8 is BenchmarkSampleSkip64 with the phase
// period of the check (that of the analytic kernel of this network, 8),
// so that Field.Estimate does its 64 phases.
func BenchmarkSampleSkip64Period8(b *testing.B) {
	a, err := arch.ParsePreset("dip-skip:scales=3,channels=128,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1,input=gaussian,in_scale=1,out_act=identity")
	if err != nil {
		b.Fatal(err)
	}
	size := []int{64, 64}
	b.ResetTimer()
	if _, err := Sample(context.Background(), a, size, Options{Samples: b.N, Workers: 1, Seed: 1, Period: 8}); err != nil {
		b.Fatal(err)
	}
}
