//go:build !amd64 || purego

package nn

// Without assembly useAVX stays false and these are never called.

func ssLeakyAVX(x, y *float32, n int, a, b, slope float32) { panic("nn: no assembly") }
func sumSqAVX(x *float32, n int) (s, ss float64)           { panic("nn: no assembly") }
func bnSumsAVX(dy, y, x *float32, n int, m, slope float32, mask int) (s, t float64) {
	panic("nn: no assembly")
}
func bnWriteAVX(dy, y, x, dx *float32, n int, m, a, c0, c1, slope float32, flags int) {
	panic("nn: no assembly")
}
func leakyGradAVX(dy, y, dx *float32, n int, slope float32, acc int) { panic("nn: no assembly") }
func addAVX(d, s *float32, n int)                                    { panic("nn: no assembly") }

func axpbyAVX(x, y, z *float32, n int, a, b float32) { panic("nn: no assembly") }
func upRowAVX(x, y *float32, blocks int)             { panic("nn: no assembly") }
func upRowTAVX(gr, d *float32, blocks int)           { panic("nn: no assembly") }

func adamAVX(p, gr, m, v *float32, n int, c *[8]float32) { panic("nn: no assembly") }
