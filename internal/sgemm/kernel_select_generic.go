//go:build !amd64 || purego

package sgemm

// best is the micro-kernel used by Gemm.
var best = generic

// available lists the assembly micro-kernels this CPU supports: none.
func available() []*kernel { return nil }
