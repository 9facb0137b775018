package sgemm

// generic is the pure-Go micro-kernel and its blocking.
var generic = &kernel{
	name: "generic",
	mr:   4, nr: 4,
	mc: 128, kc: 256, nc: 2048,
	fn: kernelGeneric4x4,
}

// kernelGeneric4x4 is the pure-Go 4×4 micro-kernel (see kernel.fn).
func kernelGeneric4x4(k int, ap, bp, c []float32, ldc int, alpha, beta float32, loadC bool) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	ap = ap[:4*k]
	bp = bp[:4*k]
	for p := 0; p < k; p++ {
		a := ap[4*p : 4*p+4 : 4*p+4]
		b := bp[4*p : 4*p+4 : 4*p+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	store4(c[0*ldc:0*ldc+4], c00, c01, c02, c03, alpha, beta, loadC)
	store4(c[1*ldc:1*ldc+4], c10, c11, c12, c13, alpha, beta, loadC)
	store4(c[2*ldc:2*ldc+4], c20, c21, c22, c23, alpha, beta, loadC)
	store4(c[3*ldc:3*ldc+4], c30, c31, c32, c33, alpha, beta, loadC)
}

func store4(c []float32, x0, x1, x2, x3, alpha, beta float32, loadC bool) {
	c = c[:4]
	x0, x1, x2, x3 = float32(alpha*x0), float32(alpha*x1), float32(alpha*x2), float32(alpha*x3)
	if loadC {
		x0 += beta * c[0]
		x1 += beta * c[1]
		x2 += beta * c[2]
		x3 += beta * c[3]
	}
	c[0], c[1], c[2], c[3] = x0, x1, x2, x3
}
