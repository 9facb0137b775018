package nn

import "math"

// Vector kernels of the elementwise layers. Each has a pure-Go version and,
// on amd64 with AVX2, an assembly version (vec_amd64.s) used on whole
// blocks of 8 values; the Go code handles the tail. The Go versions mirror
// the assembly operation by operation (same rounding, same order of the
// float64 partial sums), so both give bit-identical results: tests run both
// and compare.

// useAVX selects the assembly kernels; set at init on amd64 (vec_amd64.go).
var useAVX = false

// ssLeaky sets y = leaky(a*x + b) with leaky(v) = max(v, 0) + slope*min(v, 0):
// slope 1 is the identity, 0 is ReLU. x and y may be the same slice.
func ssLeaky(x, y []float32, a, b, slope float32) {
	n := len(x)
	y = y[:n]
	n8 := 0
	if useAVX && n >= 8 {
		n8 = n &^ 7
		ssLeakyAVX(&x[0], &y[0], n8, a, b, slope)
	}
	ssLeakyGo(x[n8:], y[n8:], a, b, slope)
}

func ssLeakyGo(x, y []float32, a, b, slope float32) {
	y = y[:len(x)]
	for i, v := range x {
		v = float32(v*a) + b
		y[i] = max(v, 0) + float32(slope*min(v, 0))
	}
}

// sumSq returns the sum of x and of its squares, accumulated in float64.
func sumSq(x []float32) (s, ss float64) {
	n8 := len(x) &^ 7
	if n8 > 0 {
		if useAVX {
			s, ss = sumSqAVX(&x[0], n8)
		} else {
			s, ss = sumSqGo(x[:n8])
		}
	}
	for _, v := range x[n8:] {
		d := float64(v)
		s += d
		ss += d * d
	}
	return s, ss
}

// reduce8 adds 8 lane sums in the order of the assembly's reduction.
func reduce8(a *[8]float64) float64 {
	b0, b1, b2, b3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (b0 + b2) + (b1 + b3)
}

// sumSqGo is sumSq on len(x) a multiple of 8, with 8 lanes as the assembly.
func sumSqGo(x []float32) (s, ss float64) {
	var a, q [8]float64
	for i := 0; i+8 <= len(x); i += 8 {
		for j := 0; j < 8; j++ {
			d := float64(x[i+j])
			a[j] += d
			q[j] += d * d
		}
	}
	return reduce8(&a), reduce8(&q)
}

// gradFactor returns dy * (y > 0 ? 1 : slope): the derivative of leaky
// through its output.
func gradFactor(dy, y, slope float32) float32 {
	if y > 0 {
		return dy
	}
	return dy * slope
}

// bnSums returns sum g and sum g*(x - m) in float64, where g = dy, or,
// when y != nil, g = dy * leaky'(through y) (a batch norm followed by a
// fused leaky activation with output y).
func bnSums(dy, y, x []float32, m, slope float32) (s, t float64) {
	n := len(dy)
	x = x[:n]
	mask := y != nil
	if mask {
		y = y[:n]
	}
	n8 := n &^ 7
	if n8 > 0 {
		var yp *float32
		if mask {
			yp = &y[0]
		}
		if useAVX {
			s, t = bnSumsAVX(&dy[0], yp, &x[0], n8, m, slope, b2i(mask))
		} else {
			s, t = bnSumsGo(dy[:n8], y, x[:n8], m, slope, mask)
		}
	}
	for i := n8; i < n; i++ {
		g := dy[i]
		if mask {
			g = gradFactor(g, y[i], slope)
		}
		s += float64(g)
		t += float64(g) * float64(x[i]-m)
	}
	return s, t
}

func bnSumsGo(dy, y, x []float32, m, slope float32, mask bool) (s, t float64) {
	var a, q [8]float64
	for i := 0; i+8 <= len(dy); i += 8 {
		for j := 0; j < 8; j++ {
			g := dy[i+j]
			if mask {
				g = gradFactor(g, y[i+j], slope)
			}
			a[j] += float64(g)
			q[j] += float64(g) * float64(x[i+j]-m)
		}
	}
	return reduce8(&a), reduce8(&q)
}

// bnWrite sets (or, with acc, adds) dx = (a*g - c0) - c1*(x - m), with g as
// in bnSums. dx may alias dy.
func bnWrite(dy, y, x, dx []float32, m, a, c0, c1, slope float32, acc bool) {
	n := len(dy)
	x, dx = x[:n], dx[:n]
	mask := y != nil
	if mask {
		y = y[:n]
	}
	n8 := 0
	if useAVX && n >= 8 {
		n8 = n &^ 7
		var yp *float32
		if mask {
			yp = &y[0]
		}
		bnWriteAVX(&dy[0], yp, &x[0], &dx[0], n8, m, a, c0, c1, slope, b2i(mask)|2*b2i(acc))
	}
	for i := n8; i < n; i++ {
		g := dy[i]
		if mask {
			g = gradFactor(g, y[i], slope)
		}
		v := float32(float32(a*g)-c0) - float32(c1*float32(x[i]-m))
		if acc {
			dx[i] += v
		} else {
			dx[i] = v
		}
	}
}

// leakyGrad sets (or, with acc, adds) dx = dy * leaky'(through y). dx may
// alias dy.
func leakyGrad(dy, y, dx []float32, slope float32, acc bool) {
	n := len(dy)
	y, dx = y[:n], dx[:n]
	n8 := 0
	if useAVX && n >= 8 {
		n8 = n &^ 7
		leakyGradAVX(&dy[0], &y[0], &dx[0], n8, slope, b2i(acc))
	}
	for i := n8; i < n; i++ {
		g := gradFactor(dy[i], y[i], slope)
		if acc {
			dx[i] += g
		} else {
			dx[i] = g
		}
	}
}

// addTo sets d += s elementwise.
func addTo(d, s []float32) {
	n := len(d)
	s = s[:n]
	n8 := 0
	if useAVX && n >= 8 {
		n8 = n &^ 7
		addAVX(&d[0], &s[0], n8)
	}
	for i := n8; i < n; i++ {
		d[i] += s[i]
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// axpby sets z = a*x + b*y. z may alias x or y.
func axpby(x, y, z []float32, a, b float32) {
	n := len(z)
	x, y = x[:n], y[:n]
	n8 := 0
	if useAVX && n >= 8 {
		n8 = n &^ 7
		axpbyAVX(&x[0], &y[0], &z[0], n8, a, b)
	}
	for i := n8; i < n; i++ {
		z[i] = float32(a*x[i]) + float32(b*y[i])
	}
}

// upRow writes the bilinear x2 up-sampling of x (n >= 2 values) into y
// (2n values) for the interior i = 1 .. n-2; the caller fills y[0], y[1],
// y[2n-2] and y[2n-1].
func upRow(x, y []float32) {
	n := len(x)
	y = y[:2*n]
	i := 1
	if blocks := (n - 2) / 8; useAVX && blocks > 0 {
		upRowAVX(&x[0], &y[0], blocks)
		i += 8 * blocks
	}
	for ; i < n-1; i++ {
		v := float32(0.75 * x[i])
		y[2*i] = v + float32(0.25*x[i-1])
		y[2*i+1] = v + float32(0.25*x[i+1])
	}
}

// upRowT adds to d (n >= 2 values) the interior part of the transpose of
// upRow applied to g (2n values): for i = 1 .. n-2,
// d[i] += 0.75 (g[2i] + g[2i+1]) + 0.25 (g[2i-1] + g[2i+2]).
func upRowT(g, d []float32) {
	n := len(d)
	g = g[:2*n]
	i := 1
	if blocks := (n - 2) / 8; useAVX && blocks > 0 {
		upRowTAVX(&g[0], &d[0], blocks)
		i += 8 * blocks
	}
	for ; i < n-1; i++ {
		d[i] += float32(0.75*(g[2*i]+g[2*i+1])) + float32(0.25*(g[2*i-1]+g[2*i+2]))
	}
}

// adamUpdate applies one Adam step to p with gradient g and moments m, v;
// c = {wd, b1, 1-b1, b2, 1-b2, sqrt(1-b2^t), eps, lr/(1-b1^t)}:
//
//	g' = g + wd p, m = b1 m + (1-b1) g', v = b2 v + (1-b2) (g' g'),
//	p = p - step (m / (sqrt(v)/sqrt(1-b2^t) + eps))
func adamUpdate(p, g, m, v []float32, c *[8]float32) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	n8 := 0
	if useAVX && n >= 8 {
		n8 = n &^ 7
		adamAVX(&p[0], &g[0], &m[0], &v[0], n8, c)
	}
	wd, b1, omb1, b2, omb2, bc2s, eps, step := c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
	for i := n8; i < n; i++ {
		gi := float32(wd*p[i]) + g[i]
		mi := float32(b1*m[i]) + float32(omb1*gi)
		vi := float32(b2*v[i]) + float32(omb2*float32(gi*gi))
		m[i], v[i] = mi, vi
		den := float32(float32(math.Sqrt(float64(vi)))/bc2s) + eps
		p[i] -= float32(step * float32(mi/den))
	}
}

// finite reports whether every value of s is finite.
func finite(s []float32) bool {
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a0 += s[i] * 0
		a1 += s[i+1] * 0
		a2 += s[i+2] * 0
		a3 += s[i+3] * 0
	}
	for ; i < len(s); i++ {
		a0 += s[i] * 0
	}
	return a0+a1+a2+a3 == 0
}
