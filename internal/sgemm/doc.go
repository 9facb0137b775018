// Package sgemm computes single-precision matrix products
// C = alpha*op(A)*op(B) + beta*C on row-major matrices. It is the dense
// linear-algebra core of the finite network engine nn, where a convolution
// is an im2col followed by one Gemm.
//
// The implementation follows the Goto/BLIS layout: op(A) and op(B) are copied
// ("packed") block by block into contiguous buffers sized for the caches, and
// a small register-blocked micro-kernel multiplies one packed panel of A by one
// packed panel of B. On amd64 the micro-kernel is written in Go assembly for
// AVX-512 or AVX2+FMA and chosen at run time; every other architecture, and any
// build with the purego tag, uses the pure-Go micro-kernel (Impl reports which).
//
// For repeated products, PackedA holds a left operand packed once and
// GemmPacked multiplies it by a right operand that a PackB callback writes
// block by block straight into the packed layout (MatrixB for a stored
// matrix, ColumnsB for one given column by column): nn's convolutions use
// it to pack their im2col matrix without storing it. GemmPacked gives
// Gemm's result bit for bit.
//
// Gemm splits the output into independent blocks shared among the goroutines
// set by SetThreads. The reduction over k is never split and every output
// element is computed by the same sequence of floating-point operations
// whatever its position in the blocking, so the result is bit-identical for
// every thread count.
//
// Arguments are validated on entry. Because sgemm is internal and its callers
// compute the shapes themselves, an inconsistent call (negative size, leading
// dimension too small, slice too short) is a programming error: Gemm panics
// with a message naming the argument at fault instead of returning an error.
//
// sgemm imports no other dipgp package.
package sgemm
