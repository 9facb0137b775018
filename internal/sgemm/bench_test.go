package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func benchGemm(b *testing.B, kern *kernel, nthreads int, transA, transB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randSlice(rng, m*k)
	y := randSlice(rng, k*n)
	c := make([]float32, m*n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	run(kern, nthreads, transA, transB, m, n, k, 1, x, lda, y, ldb, 0, c, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(kern, nthreads, transA, transB, m, n, k, 1, x, lda, y, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm1024 times 1024×1024×1024 with the default kernel and threads.
func BenchmarkGemm1024(b *testing.B) {
	for _, kern := range append([]*kernel{best}, kernelsBench()...) {
		b.Run(kern.name, func(b *testing.B) {
			benchGemm(b, kern, int(threads.Load()), false, false, 1024, 1024, 1024)
		})
	}
}

// BenchmarkGemm1024Threads1 is BenchmarkGemm1024 on one goroutine.
func BenchmarkGemm1024Threads1(b *testing.B) {
	benchGemm(b, best, 1, false, false, 1024, 1024, 1024)
}

// BenchmarkGemmConv times shapes of a 3×3 convolution by im2col: forward
// (out = W * cols), weight gradient (dW = dOut * cols^T) and input gradient
// (dCols = W^T * dOut), for 128 channels on 64×64 and 32×32 images.
func BenchmarkGemmConv(b *testing.B) {
	for _, hw := range []int{64, 32} {
		co, ci, n := 128, 128*9, hw*hw
		b.Run(fmt.Sprintf("fwd_%dx%dx%d", co, n, ci), func(b *testing.B) { benchGemm(b, best, int(threads.Load()), false, false, co, n, ci) })
		b.Run(fmt.Sprintf("dW_%dx%dx%d", co, ci, n), func(b *testing.B) { benchGemm(b, best, int(threads.Load()), false, true, co, ci, n) })
		b.Run(fmt.Sprintf("dX_%dx%dx%d", ci, n, co), func(b *testing.B) { benchGemm(b, best, int(threads.Load()), true, false, ci, n, co) })
	}
	// Deep levels of a U-net: tiny images, so n (pixels) is small.
	for _, hw := range []int{2, 4, 8} {
		b.Run(fmt.Sprintf("fwd_128x%dx1152", hw*hw), func(b *testing.B) { benchGemm(b, best, int(threads.Load()), false, false, 128, hw*hw, 1152) })
	}
	b.Run("fwd_3x4096x1152", func(b *testing.B) { benchGemm(b, best, int(threads.Load()), false, false, 3, 4096, 1152) })
}

// kernelsBench lists the kernels other than best.
func kernelsBench() []*kernel {
	var ks []*kernel
	for _, k := range kernels() {
		if k != best {
			ks = append(ks, k)
		}
	}
	return ks
}

// BenchmarkKernel times one micro-kernel call on hot packed panels (k=256):
// the ceiling for Gemm on one core.
func BenchmarkKernel(b *testing.B) {
	for _, kern := range kernels() {
		b.Run(kern.name, func(b *testing.B) {
			kc := 256
			ap, bp := alignedFloats(kern.mr*kc), alignedFloats(kern.nr*kc)
			c := alignedFloats(kern.mr * kern.nr)
			for i := 0; i < b.N; i++ {
				kern.fn(kc, ap, bp, c, kern.nr, 1, 1, true)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGemmTrans times every transA/transB combination at 512³.
func BenchmarkGemmTrans(b *testing.B) {
	for _, tr := range []int{0, 1, 2, 3} {
		b.Run(fmt.Sprintf("tA%v_tB%v", tr&1 != 0, tr&2 != 0), func(b *testing.B) { benchGemm(b, best, int(threads.Load()), tr&1 != 0, tr&2 != 0, 512, 512, 512) })
	}
}
