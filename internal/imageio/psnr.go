package imageio

import (
	"fmt"
	"math"
)

// The PSNR family: every peak signal-to-noise ratio of dipgp is computed
// here, 10·log10(1/MSE) in decibels for images with peak value 1.

// PSNR returns the PSNR of a against the reference b. No clipping or
// quantisation is applied. Identical images give +Inf. Sizes and channel
// counts must match.
func PSNR(a, b Image) (float64, error) {
	m, err := MSE(a, b)
	if err != nil {
		return 0, err
	}
	return 10 * math.Log10(1/m), nil
}

// ClippedPSNR returns the PSNR of a clipped to [0, 1] (as it is saved as
// an image) against the reference b.
func ClippedPSNR(a, b Image) (float64, error) {
	if _, err := MSE(a, b); err != nil {
		return 0, err
	}
	return PSNRValues(a.Pix, b.Pix, true), nil
}

// MaskedPSNR returns the PSNR of a against b over the pixels i (in every
// channel) with mask[i] == want: with an inpainting mask (true =
// observed), want false gives the PSNR of the missing pixels. mask has one
// entry per pixel (W·H). No pixel selected gives NaN.
func MaskedPSNR(a, b Image, mask []bool, want bool) (float64, error) {
	if _, err := MSE(a, b); err != nil {
		return 0, err
	}
	n := a.W * a.H
	if len(mask) != n {
		return 0, fmt.Errorf("imageio: mask has %d entries for a %dx%d image; give one per pixel", len(mask), a.W, a.H)
	}
	var s float64
	var cnt int
	for c := 0; c < a.C; c++ {
		pa, pb := a.Channel(c), b.Channel(c)
		for i, m := range mask {
			if m == want {
				d := pa[i] - pb[i]
				s += d * d
				cnt++
			}
		}
	}
	if cnt == 0 {
		return math.NaN(), nil
	}
	return 10 * math.Log10(float64(cnt)/s), nil
}

// PSNRValues returns the PSNR of the values f against the first len(f)
// values of x, with f clipped to [0, 1] first when clip is set. It checks
// nothing and allocates nothing: it is the form for training loops, which
// measure the same geometry at every step.
func PSNRValues(f, x []float64, clip bool) float64 {
	x = x[:len(f)]
	var s float64
	for i, v := range f {
		if clip {
			v = min(1, max(0, v))
		}
		d := v - x[i]
		s += d * d
	}
	return 10 * math.Log10(float64(len(f))/s)
}
