package main

import (
	"github.com/dipgp/dipgp/arch"
)

// standardScale bounds how much larger the NTK of a network in the
// standard parameterization is than the NTK-parameterization kernel that
// dip.Kernel computes (docs/theory.md section 1): a conv's weights w =
// (s_w/sqrt(fan_in)) omega contribute fan_in/s_w^2 times more through
// d f/d w than through d f/d omega, and a bias 1/s_b^2 times more. Every
// layer's contribution is positive semi-definite, so the largest eigenvalue
// grows by at most the largest factor F over the convs, and eta < 2/(F
// lambda_max) is stable. It returns 1 for the NTK parameterization.
func standardScale(a arch.Arch) float64 {
	if a.Param == arch.NTK {
		return 1
	}
	f := 1.0
	saved := map[string]int{}
	var walk func(ls []arch.Layer, c int) int
	walk = func(ls []arch.Layer, c int) int {
		for _, l := range ls {
			switch l := l.(type) {
			case arch.Conv:
				fan := c * l.Taps(a.Dims)
				sw2, sb2 := a.Init.Variances(fan)
				if sw2 > 0 {
					f = max(f, float64(fan)/sw2)
				}
				if l.Bias && sb2 > 0 {
					f = max(f, 1/sb2)
				}
				c = l.Out
			case arch.Save:
				saved[l.Name] = c
			case arch.Concat:
				c += walk(l.Branch, saved[l.From])
			}
		}
		return c
	}
	walk(a.Layers, a.Input.Channels)
	return f
}
