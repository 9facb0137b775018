package kernel

import "math"

// asinP holds the coefficients of P(y) = (asin(x) - x) / x^3 in y = x^2 on
// y in [0, 1/4]: the degree-12 Chebyshev economization of its Taylor
// series, computed in 300-bit arithmetic by asinPoly (acos_gen_test.go,
// which checks this table) and rounded to float64. The truncation error is
// 1.3e-17 on P (about 0.17), so asin's relative error from it is below
// 2e-17 and the rounding of the evaluation dominates.
var asinP = [13]float64{
	0.16666666666666669,
	0.074999999999983399,
	0.044642857146535229,
	0.030381944125008751,
	0.022372173467043486,
	0.017352380709839098,
	0.013971387083102129,
	0.011477517005507167,
	0.010333372152967261,
	0.0054131844837155092,
	0.01751883397953867,
	-0.015032162599250314,
	0.028878362746452394,
}

// acosInto sets dst[i] = acos(xs[i]) for xs in [-1, 1], within 2 ulp
// (tested against a 128-bit reference). With z = x for |x| <= 1/2 and
// z = sqrt((1-|x|)/2) beyond, asin(z) = z + z^3 P(z^2) (the even and odd
// powers of P as two independent Horner chains in z^4), and acos(x) =
// pi/2 - asin(x), 2 asin(z) or pi - 2 asin(z). The argument 1 - |x| is
// exact, so the result keeps its relative accuracy as x approaches 1
// (where math.Acos, as pi/2 - asin, loses it). It works on a slice so that
// the loop body stays inlined: one call per row of a map.
func acosInto(dst, xs []float64) {
	dst = dst[:len(xs)]
	for i, x := range xs {
		ax := math.Abs(x)
		z := x
		if ax > 0.5 {
			z = math.Sqrt((1 - ax) * 0.5)
		}
		y := z * z
		y2 := y * y
		e := asinP[12]
		e = e*y2 + asinP[10]
		e = e*y2 + asinP[8]
		e = e*y2 + asinP[6]
		e = e*y2 + asinP[4]
		e = e*y2 + asinP[2]
		e = e*y2 + asinP[0]
		o := asinP[11]
		o = o*y2 + asinP[9]
		o = o*y2 + asinP[7]
		o = o*y2 + asinP[5]
		o = o*y2 + asinP[3]
		o = o*y2 + asinP[1]
		p := z + z*y*(e+y*o)
		r := math.Pi/2 - p
		if ax > 0.5 {
			r = 2 * p
			if x < 0 {
				r = math.Pi - r
			}
		}
		dst[i] = r
	}
}

// fastAcos returns acos(x) by acosInto.
func fastAcos(x float64) float64 {
	var d, s [1]float64
	s[0] = x
	acosInto(d[:], s[:])
	return d[0]
}
