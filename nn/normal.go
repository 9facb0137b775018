package nn

import (
	"math"
	"math/rand/v2"
)

// Normal draws (Reinit) use the ziggurat method of Marsaglia and Tsang
// (2000, "The Ziggurat Method for Generating Random Variables", J. Stat.
// Softw. 5(8)) with 128 layers, as math/rand/v2's NormFloat64 does and on
// the same bits of the same PCG stream, but with the layer tables computed
// here in float64 and the generator called directly rather than through
// rand.Rand's Source interface. The method is exact: it samples the normal
// distribution itself (up to the resolution of the 32-bit uniforms), with
// a rejection step in the wedges and Marsaglia's exact tail beyond
// zigR.

// zigR is the start of the tail (the right edge of the base layer).
const zigR = 3.442619855899

// zigV is the area of each layer.
const zigV = 9.91256303526217e-3

var zigK, zigW, zigF = zigTables()

// zigTables returns, per layer i, the acceptance bound k_i on |j| (j a
// signed 32-bit integer), the scale w_i with x = j w_i, and the density
// f_i = exp(-x_i^2/2) at the layer's outer edge (Marsaglia and Tsang's
// zigset).
func zigTables() (k [128]uint32, w, f [128]float64) {
	const m1 = 1 << 31
	dn, tn := zigR, zigR
	q := zigV / math.Exp(-0.5*dn*dn)
	k[0] = uint32(dn / q * m1)
	k[1] = 0
	w[0] = q / m1
	w[127] = dn / m1
	f[0] = 1
	f[127] = math.Exp(-0.5 * dn * dn)
	for i := 126; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(zigV/dn+math.Exp(-0.5*dn*dn)))
		k[i+1] = uint32(dn / tn * m1)
		tn = dn
		f[i] = math.Exp(-0.5 * dn * dn)
		w[i] = dn / m1
	}
	return k, w, f
}

// zigUniform returns a uniform value in [0, 1) from the next 53 bits.
func zigUniform(src *rand.PCG) float64 {
	return float64(src.Uint64()<<11>>11) * 0x1p-53
}

// zigNormal returns a standard normal value drawn from src.
func zigNormal(src *rand.PCG) float64 {
	for {
		u := src.Uint64()
		j := int32(u)
		i := u >> 32 & 0x7F
		x := float64(j) * zigW[i]
		aj := uint32(j)
		if j < 0 {
			aj = uint32(-j)
		}
		if aj < zigK[i] {
			return x // more than 99% of the draws
		}
		if i == 0 {
			for {
				x = -math.Log(zigUniform(src)) * (1 / zigR)
				y := -math.Log(zigUniform(src))
				if y+y >= x*x {
					break
				}
			}
			if j > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		if zigF[i]+zigUniform(src)*(zigF[i-1]-zigF[i]) < math.Exp(-0.5*x*x) {
			return x
		}
	}
}
