package dip

import (
	"math"
	"math/bits"
)

// gauss is a fast source of standard normal float32 values for the input
// perturbation (millions of values per step at 256x256): a wyrand
// generator (64-bit state, one 128-bit multiply per 64 bits) feeding
// Marsaglia and Tsang's ziggurat with 128 layers, computed once below. The
// ziggurat is exact up to the 32-bit resolution of its uniform draws.
type gauss struct {
	s     uint64
	spare uint32
	have  bool
}

const (
	zigR = 3.442619855899
	zigV = 9.91256303526217e-3
)

var (
	zigK [128]uint32
	zigW [128]float32
	zigF [128]float32
)

func init() {
	const m1 = 2147483648.0
	dn := zigR
	tn := dn
	q := zigV / math.Exp(-0.5*dn*dn)
	zigK[0] = uint32(dn / q * m1)
	zigK[1] = 0
	zigW[0] = float32(q / m1)
	zigW[127] = float32(dn / m1)
	zigF[0] = 1
	zigF[127] = float32(math.Exp(-0.5 * dn * dn))
	for i := 126; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(zigV/dn+math.Exp(-0.5*dn*dn)))
		zigK[i+1] = uint32(dn / tn * m1)
		tn = dn
		zigF[i] = float32(math.Exp(-0.5 * dn * dn))
		zigW[i] = float32(dn / m1)
	}
}

// newGauss returns a stream seeded by (a, b) through splitmix64.
func newGauss(a, b uint64) *gauss {
	z := a*0x9E3779B97F4A7C15 + b
	for i := 0; i < 2; i++ {
		z += 0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
	}
	return &gauss{s: z}
}

func (g *gauss) u64() uint64 {
	g.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(g.s, g.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

func (g *gauss) u32() uint32 {
	if g.have {
		g.have = false
		return g.spare
	}
	v := g.u64()
	g.spare, g.have = uint32(v>>32), true
	return uint32(v)
}

// uniform returns a value in (0, 1).
func (g *gauss) uniform() float64 {
	return (float64(g.u64()>>11) + 0.5) / (1 << 53)
}

// addNoise sets d[i] = s[i] + sd * N(0, 1) for every i, with the
// ziggurat's fast path inlined for pairs of draws from one 64-bit word. It
// draws exactly the values of len(s) calls of norm: a pair that misses the
// fast path is replayed through norm.
func (g *gauss) addNoise(d, s []float32, sd float32) {
	d = d[:len(s)]
	st := g.s
	for i := 0; i < len(s); {
		if g.have || i+1 == len(s) {
			g.s = st
			d[i] = s[i] + sd*g.norm()
			st = g.s
			i++
			continue
		}
		next := st + 0xa0761d6478bd642f
		hi, lo := bits.Mul64(next, next^0xe7037ed1a0b428db)
		v := hi ^ lo
		j0, j1 := int32(uint32(v)), int32(uint32(v>>32))
		k0, k1 := j0&127, j1&127
		if abs32(j0) < zigK[k0] && abs32(j1) < zigK[k1] {
			d[i] = s[i] + sd*(float32(j0)*zigW[k0])
			d[i+1] = s[i+1] + sd*(float32(j1)*zigW[k1])
			st = next
			i += 2
			continue
		}
		g.s = st
		d[i] = s[i] + sd*g.norm()
		st = g.s
		i++
	}
	g.s = st
}

func abs32(j int32) uint32 {
	if j < 0 {
		return uint32(-j)
	}
	return uint32(j)
}

// norm returns a standard normal value.
func (g *gauss) norm() float32 {
	j := int32(g.u32())
	if i := j & 127; abs32(j) < zigK[i] {
		return float32(j) * zigW[i]
	}
	return g.finish(j)
}

// finish completes a draw whose first 32 bits j missed the fast path.
func (g *gauss) finish(j int32) float32 {
	for first := true; ; first = false {
		if !first {
			j = int32(g.u32())
		}
		i := j & 127
		x := float32(j) * zigW[i]
		if abs32(j) < zigK[i] {
			return x
		}
		if i == 0 {
			// The tail beyond zigR.
			for {
				xx := -math.Log(g.uniform()) / zigR
				y := -math.Log(g.uniform())
				if y+y >= xx*xx {
					if j < 0 {
						return float32(-(zigR + xx))
					}
					return float32(zigR + xx)
				}
			}
		}
		if zigF[i]+float32(g.uniform())*(zigF[i-1]-zigF[i]) < float32(math.Exp(-0.5*float64(x)*float64(x))) {
			return x
		}
	}
}
