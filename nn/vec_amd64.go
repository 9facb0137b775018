//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

func init() { useAVX = cpu.X86.HasAVX2 }

// Assembly kernels (vec_amd64.s); n is a positive multiple of 8.

//go:noescape
func ssLeakyAVX(x, y *float32, n int, a, b, slope float32)

//go:noescape
func sumSqAVX(x *float32, n int) (s, ss float64)

//go:noescape
func bnSumsAVX(dy, y, x *float32, n int, m, slope float32, mask int) (s, t float64)

//go:noescape
func bnWriteAVX(dy, y, x, dx *float32, n int, m, a, c0, c1, slope float32, flags int)

//go:noescape
func leakyGradAVX(dy, y, dx *float32, n int, slope float32, acc int)

//go:noescape
func addAVX(d, s *float32, n int)

//go:noescape
func axpbyAVX(x, y, z *float32, n int, a, b float32)

//go:noescape
func upRowAVX(x, y *float32, blocks int)

//go:noescape
func upRowTAVX(gr, d *float32, blocks int)

//go:noescape
func adamAVX(p, gr, m, v *float32, n int, c *[8]float32)
