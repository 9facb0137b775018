package dip

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/internal/imageio"
)

// Task is what the network is fitted to.
type Task string

// Tasks.
const (
	// Fit fits the clean image itself.
	Fit Task = "fit"
	// Denoise fits the image plus Gaussian noise.
	Denoise Task = "denoise"
	// Inpaint fits the observed pixels of the image.
	Inpaint Task = "inpaint"
)

// ParseTask reads "fit", "denoise" or "inpaint".
func ParseTask(s string) (Task, error) {
	switch t := Task(strings.ToLower(strings.TrimSpace(s))); t {
	case Fit, Denoise, Inpaint:
		return t, nil
	}
	return "", fmt.Errorf("dip: unknown task %q; use fit, denoise or inpaint", s)
}

// TaskOptions describes how to degrade a clean image.
type TaskOptions struct {
	// Task is Fit, Denoise or Inpaint.
	Task Task
	// Sigma is the noise standard deviation on the 0..255 scale (Denoise;
	// the DIP paper uses 25).
	Sigma float64
	// Mask is the observed-pixel mask for Inpaint, row-major W x H (true =
	// observed). When nil, a random mask keeping each pixel with
	// probability Keep is drawn from Seed.
	Mask []bool
	// Keep is the fraction of observed pixels of a random mask (Inpaint).
	Keep float64
	// Seed seeds the noise (Denoise) or the random mask (Inpaint).
	Seed uint64
}

// Problem is a clean image, its degraded version the network is fitted to,
// and the mask of the values the loss sees. A 1-D signal of N samples is
// held as an image of width N, height 1 and one channel (NewSignalProblem)
// and is fitted by a 1-D architecture; its PSNRs are computed on the
// values as they are (peak 1), without the clipping to [0, 1] applied to
// images.
type Problem struct {
	// Task is the task the target was made for.
	Task Task
	// Clean is the image x the PSNR is measured against.
	Clean imageio.Image
	// Target is the degraded image y: x for Fit, x + noise for Denoise,
	// x times the mask for Inpaint (missing pixels are 0).
	Target imageio.Image
	// Mask is the pixel mask, row-major W x H, true where observed; nil
	// means every pixel is observed.
	Mask []bool
	// Sigma is the noise standard deviation on the 0..255 scale (0 unless
	// Denoise).
	Sigma float64
}

// NewProblem degrades the clean image as o says. The noise and the random
// mask are drawn from o.Seed; the same options give the same problem.
func NewProblem(clean imageio.Image, o TaskOptions) (Problem, error) {
	if err := clean.Validate(); err != nil {
		return Problem{}, fmt.Errorf("dip: clean image: %w", err)
	}
	p := Problem{Task: o.Task, Clean: clean.Clone()}
	switch o.Task {
	case Fit:
		p.Target = clean.Clone()
	case Denoise:
		if !(o.Sigma >= 0) || math.IsInf(o.Sigma, 0) {
			return Problem{}, fmt.Errorf("dip: noise sigma %v must be a finite value >= 0 on the 0..255 scale (e.g. 25)", o.Sigma)
		}
		p.Sigma = o.Sigma
		p.Target = imageio.AddNoise(clean, o.Sigma/255, o.Seed)
	case Inpaint:
		mask := o.Mask
		if mask == nil {
			if !(o.Keep > 0 && o.Keep <= 1) {
				return Problem{}, fmt.Errorf("dip: keep fraction %v must be in (0, 1] (e.g. 0.5), or give a mask", o.Keep)
			}
			mask = imageio.RandomMask(clean.W, clean.H, o.Keep, o.Seed)
		} else if len(mask) != clean.W*clean.H {
			return Problem{}, fmt.Errorf("dip: the mask has %d pixels but the image is %dx%d; give a mask of the image's size", len(mask), clean.W, clean.H)
		}
		any := false
		for _, m := range mask {
			any = any || m
		}
		if !any {
			return Problem{}, errors.New("dip: the mask observes no pixel; white (> 0.5) marks observed pixels in a mask image")
		}
		p.Mask = append([]bool(nil), mask...)
		p.Target = clean.Clone()
		n := clean.W * clean.H
		for c := 0; c < clean.C; c++ {
			for i, m := range p.Mask {
				if !m {
					p.Target.Pix[c*n+i] = 0
				}
			}
		}
	default:
		return Problem{}, fmt.Errorf("dip: unknown task %q; use fit, denoise or inpaint", o.Task)
	}
	return p, nil
}

// NewSignalProblem degrades the clean 1-D signal x (N samples, N >= 10 for
// the FBC bands) as o says and returns the Problem of an image of width N
// and height 1. o.Sigma is on the 0..255 scale as for images (noise of
// standard deviation o.Sigma/255 in the signal's units); o.Mask, when
// given, has N entries.
func NewSignalProblem(x []float64, o TaskOptions) (Problem, error) {
	if len(x) < 10 {
		return Problem{}, fmt.Errorf("dip: the signal has %d samples; give at least 10 (the FBC measure needs 5 frequency bands)", len(x))
	}
	if o.Mask != nil && len(o.Mask) != len(x) {
		return Problem{}, fmt.Errorf("dip: the mask has %d entries but the signal has %d samples; give a mask of the signal's length", len(o.Mask), len(x))
	}
	img := imageio.Image{W: len(x), H: 1, C: 1, Pix: append([]float64(nil), x...)}
	return NewProblem(img, o)
}

// IsSignal reports whether the problem is a 1-D signal (height 1).
func (p Problem) IsSignal() bool { return p.Clean.H == 1 }

// clips reports whether PSNRs clip outputs to [0, 1]: for images, not for
// signals.
func (p Problem) clips() bool { return !p.IsSignal() }

// Weights returns the loss weight of every value of the target (C*H*W,
// planar): 1 where observed, 0 where masked out.
func (p Problem) Weights() []float64 {
	n := p.Target.W * p.Target.H
	w := make([]float64, n*p.Target.C)
	for c := 0; c < p.Target.C; c++ {
		for i := 0; i < n; i++ {
			if p.Mask == nil || p.Mask[i] {
				w[c*n+i] = 1
			}
		}
	}
	return w
}

// Observed returns the fraction of observed pixels (1 without a mask).
func (p Problem) Observed() float64 {
	if p.Mask == nil {
		return 1
	}
	k := 0
	for _, m := range p.Mask {
		if m {
			k++
		}
	}
	return float64(k) / float64(len(p.Mask))
}

// validate checks that the problem is well formed.
func (p Problem) validate() error {
	if err := p.Clean.Validate(); err != nil {
		return fmt.Errorf("dip: clean image: %w", err)
	}
	if err := p.Target.Validate(); err != nil {
		return fmt.Errorf("dip: target image: %w", err)
	}
	if p.Clean.W != p.Target.W || p.Clean.H != p.Target.H || p.Clean.C != p.Target.C {
		return fmt.Errorf("dip: clean image %dx%dx%d and target %dx%dx%d differ in size; build problems with NewProblem", p.Clean.W, p.Clean.H, p.Clean.C, p.Target.W, p.Target.H, p.Target.C)
	}
	if p.Mask != nil && len(p.Mask) != p.Clean.W*p.Clean.H {
		return fmt.Errorf("dip: mask has %d pixels for a %dx%d image", len(p.Mask), p.Clean.W, p.Clean.H)
	}
	return nil
}
