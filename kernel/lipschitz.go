package kernel

import "github.com/dipgp/dipgp/arch"

// Lipschitz-control rule (Shi et al.; docs/theory.md
// section 11). The finite layer uses the weight W / max(1, s(W)/lambda) with
// the divisor held constant in the backward pass. As the width grows at a
// fixed ratio C_out / (C_in taps), s(W) concentrates on its Bai-Yin edge
// and the divisor on a constant (arch.LipschitzScale), so the layer is a
// conv whose weight scale s_w^2 is multiplied by c^2: the NNGP weight term
// and the NTK (weight gradients scale by c, the back-propagated kernel by
// c^2) alike. The bias is not rescaled.

// lipschitzGain returns the factor c^2 by which Lipschitz control
// multiplies the weight variance of conv l with fan-in fanIn.
func lipschitzGain(l arch.Conv, sw2 float64, fanIn int) float64 {
	c := arch.LipschitzScale(l.Lipschitz, sw2, l.Out, fanIn)
	return c * c
}
