package arch

import (
	"fmt"
	"math"
)

// Validate checks the architecture for an output (image) of the given size
// (len(size) == Dims): it is Plan without the plan. The error names the
// layer or field at fault and says how to fix it. A nil size checks
// everything that does not depend on the size.
func (a Arch) Validate(size []int) error {
	_, err := a.Plan(size)
	return err
}

// Divisor returns the number every output size must be a multiple of:
// 2^(the deepest down-sampling of the input grid), times the up-sampling
// factor of the whole network when it up-samples its input.
func (a Arch) Divisor() int {
	p, _ := a.layout()
	return p.divisor()
}

// checkFields checks the fields other than the layers.
func (a Arch) checkFields() error {
	if a.Dims != 1 && a.Dims != 2 {
		return errorf("dims is %d; set dims to 1 (signals) or 2 (images)", a.Dims)
	}
	if err := a.Input.validate(); err != nil {
		return err
	}
	if a.Input.Dist == Coords && a.Input.Channels != a.Dims {
		return errorf("input.channels is %d but a coordinate input (input.dist coords) has one channel per axis; set input.channels to %d (dims)", a.Input.Channels, a.Dims)
	}
	if err := a.Init.validate(); err != nil {
		return err
	}
	switch a.Param {
	case Standard, NTK:
	default:
		return errorf("param %q is unknown; use %q or %q", a.Param, Standard, NTK)
	}
	switch a.Pad {
	case Circular, Zero, Reflect:
	default:
		return errorf("pad %q is unknown; use %q, %q or %q", a.Pad, Circular, Zero, Reflect)
	}
	if len(a.Layers) == 0 {
		return errorf("the architecture has no layers; add at least one conv")
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (in Input) validate() error {
	if in.Channels <= 0 {
		return errorf("input.channels is %d; give a positive number of input channels", in.Channels)
	}
	for _, v := range []float64{in.Low, in.High, in.Mean, in.Std, in.Smooth} {
		if !finite(v) {
			return errorf("input has a value that is not a finite number (%v)", v)
		}
	}
	switch in.Dist {
	case Uniform:
		if !(in.High > in.Low) {
			return errorf("input is uniform on [%g, %g); high must be greater than low", in.Low, in.High)
		}
	case Gaussian:
		if !(in.Std > 0) {
			return errorf("input.std is %g; give the Gaussian input a positive std", in.Std)
		}
	case Coords:
		if in.Low != 0 || in.High != 0 || in.Mean != 0 || in.Std != 0 || in.Smooth != 0 {
			return errorf("input.dist is coords, which takes no low, high, mean, std or smooth; remove them (the coordinates run from 0 to 1)")
		}
	default:
		return errorf("input.dist %q is unknown; use uniform, gaussian or coords", in.Dist)
	}
	if in.Smooth < 0 {
		return errorf("input.smooth is %g; give a smoothing std >= 0 pixels (0 = white noise)", in.Smooth)
	}
	return nil
}

func (i Init) validate() error {
	switch i.Scheme {
	case PyTorch:
	case Normal:
		if !finite(i.SW) || i.SW <= 0 {
			return errorf("init.sw is %g; give a positive weight scale", i.SW)
		}
		if !finite(i.SB) || i.SB < 0 {
			return errorf("init.sb is %g; give a bias scale >= 0", i.SB)
		}
	default:
		return errorf("init.scheme %q is unknown; use pytorch or normal", i.Scheme)
	}
	return nil
}

func (a Arch) scaleReason() string {
	e := a.Scale()
	d := a.Divisor()
	switch {
	case e > 0 && d == 1<<e:
		return "it up-samples its input " + times(e)
	case e > 0:
		return fmt.Sprintf("it up-samples its input by %d and halves grids inside", 1<<e)
	default:
		k := 0
		for d > 1 {
			d, k = d/2, k+1
		}
		return "it halves the grid " + times(k)
	}
}
