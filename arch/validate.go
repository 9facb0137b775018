package arch

import (
	"fmt"
	"math"
)

// Tensor describes a tensor of the network: its channels and grid size.
type Tensor struct {
	Channels int
	Size     []int
}

type traceResult struct {
	outChannels int
	outSize     []int
}

// Validate checks the architecture for an output (image) of the given size
// (len(size) == Dims). The error names the layer and field at fault and
// says how to fix it. A nil size checks everything that does not depend on
// the size.
func (a Arch) Validate(size []int) error {
	_, err := a.trace(size)
	return err
}

// Divisor returns the number every output size must be a multiple of:
// 2^(the deepest down-sampling of the input grid), times the up-sampling
// factor of the whole network when it up-samples its input.
func (a Arch) Divisor() int {
	maxDepth := 0
	saved := map[string]int{}
	var walk func(ls []Layer, d int) int
	walk = func(ls []Layer, d int) int {
		for _, l := range ls {
			switch l := l.(type) {
			case Save:
				saved[l.Name] = d
			case Concat:
				walk(l.Branch, saved[l.From])
			default:
				d -= scaleOf(l)
				if d > maxDepth {
					maxDepth = d
				}
			}
		}
		return d
	}
	depth := walk(a.Layers, 0)
	// output = input * 2^(-depth); input must divide by 2^maxDepth.
	return 1 << (maxDepth - depth)
}

func (a Arch) trace(size []int) (traceResult, error) {
	if a.Dims != 1 && a.Dims != 2 {
		return traceResult{}, fmt.Errorf("arch: dims is %d; set dims to 1 (signals) or 2 (images)", a.Dims)
	}
	if err := a.Input.validate(); err != nil {
		return traceResult{}, err
	}
	if err := a.Init.validate(); err != nil {
		return traceResult{}, err
	}
	switch a.Param {
	case Standard, NTK:
	default:
		return traceResult{}, fmt.Errorf("arch: param %q is unknown; use %q or %q", a.Param, Standard, NTK)
	}
	switch a.Pad {
	case Circular, Zero, Reflect:
	default:
		return traceResult{}, fmt.Errorf("arch: pad %q is unknown; use %q, %q or %q", a.Pad, Circular, Zero, Reflect)
	}
	if len(a.Layers) == 0 {
		return traceResult{}, fmt.Errorf("arch: the architecture has no layers; add at least one conv")
	}
	var in []int
	if size != nil {
		if len(size) != a.Dims {
			return traceResult{}, fmt.Errorf("arch: size %v has %d axes but the architecture has dims %d; give %d sizes", size, len(size), a.Dims, a.Dims)
		}
		for _, n := range size {
			if n <= 0 {
				return traceResult{}, fmt.Errorf("arch: size %v must be positive", size)
			}
		}
		if d := a.Divisor(); d > 1 {
			for _, n := range size {
				if n%d != 0 {
					lo := n / d * d
					if lo == 0 {
						lo = d
					}
					return traceResult{}, fmt.Errorf("arch: image size %d is not divisible by %d, which every size must be for this architecture (%s); use a multiple of %d such as %d or %d", n, d, a.scaleReason(), d, lo, lo+d)
				}
			}
		}
		var err error
		if in, err = a.InputSize(size); err != nil {
			return traceResult{}, err
		}
	}
	t := &tracer{a: a, saved: map[string]Tensor{}}
	out, err := t.walk(a.Layers, Tensor{Channels: a.Input.Channels, Size: in}, "layers")
	if err != nil {
		return traceResult{}, err
	}
	return traceResult{outChannels: out.Channels, outSize: out.Size}, nil
}

type tracer struct {
	a     Arch
	saved map[string]Tensor
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (t *tracer) walk(ls []Layer, x Tensor, path string) (Tensor, error) {
	for i, l := range ls {
		where := fmt.Sprintf("%s[%d] (%s)", path, i, l.Kind())
		var err error
		if x, err = t.layer(l, x, where, fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return x, err
		}
	}
	return x, nil
}

func halve(x Tensor, where, what string) (Tensor, error) {
	if x.Size == nil {
		return x, nil
	}
	s := make([]int, len(x.Size))
	for i, n := range x.Size {
		if n%2 != 0 {
			return x, fmt.Errorf("arch: %s: %s halves a grid of size %v, which is odd; the image size must be divisible by a higher power of 2", where, what, x.Size)
		}
		s[i] = n / 2
	}
	x.Size = s
	return x, nil
}

func (t *tracer) layer(l Layer, x Tensor, where, path string) (Tensor, error) {
	switch l := l.(type) {
	case Conv:
		if l.Out <= 0 {
			return x, fmt.Errorf("arch: %s: out is %d; give a positive number of output channels", where, l.Out)
		}
		if l.K <= 0 || l.K%2 == 0 {
			return x, fmt.Errorf("arch: %s: k is %d; the kernel size must be odd and positive (1, 3, 5, ...) so the filter is centred", where, l.K)
		}
		if l.Stride != 1 && l.Stride != 2 {
			return x, fmt.Errorf("arch: %s: stride is %d; use 1 or 2", where, l.Stride)
		}
		if t.a.Pad == Reflect && x.Size != nil {
			for _, n := range x.Size {
				if (l.K-1)/2 >= n {
					return x, fmt.Errorf("arch: %s: reflect padding of %d needs a grid larger than %d, but the grid here is %v; use a larger image, fewer scales, or pad: circular", where, (l.K-1)/2, (l.K-1)/2, x.Size)
				}
			}
		}
		x.Channels = l.Out
		if l.Stride == 2 {
			return halve(x, where, "the stride-2 conv")
		}
	case Act:
		switch l.Fn {
		case ReLU, Tanh, Sigmoid, Erf, Identity:
		case LeakyReLU:
			if !finite(l.Slope) {
				return x, fmt.Errorf("arch: %s: slope %v is not a finite number", where, l.Slope)
			}
		default:
			return x, fmt.Errorf("arch: %s: fn %q is unknown; use relu, leakyrelu, tanh, sigmoid, erf or identity", where, l.Fn)
		}
	case Pool:
		switch l.Op {
		case Avg, Decimate:
		default:
			return x, fmt.Errorf("arch: %s: op %q is unknown; use avg or decimate", where, l.Op)
		}
		return halve(x, where, "the pool")
	case Upsample:
		switch l.Mode {
		case Nearest, Bilinear:
		default:
			return x, fmt.Errorf("arch: %s: mode %q is unknown; use nearest or bilinear", where, l.Mode)
		}
		if x.Size != nil {
			s := make([]int, len(x.Size))
			for i, n := range x.Size {
				s[i] = 2 * n
			}
			x.Size = s
		}
	case BatchNorm:
		if !finite(l.Eps) || l.Eps < 0 {
			return x, fmt.Errorf("arch: %s: eps %v must be a finite number >= 0 (PyTorch uses 1e-5)", where, l.Eps)
		}
		if x.Size != nil {
			n := 1
			for _, s := range x.Size {
				n *= s
			}
			if n == 1 {
				return x, fmt.Errorf("arch: %s: batch norm over a 1-pixel grid has nothing to normalize (its output is the constant beta; PyTorch refuses it too); use a larger image or fewer scales", where)
			}
		}
	case Save:
		if l.Name == "" {
			return x, fmt.Errorf("arch: %s: name is empty; give the saved tensor a name for a later concat", where)
		}
		if _, dup := t.saved[l.Name]; dup {
			return x, fmt.Errorf("arch: %s: name %q is saved twice; names must be unique", where, l.Name)
		}
		t.saved[l.Name] = x
	case Concat:
		s, ok := t.saved[l.From]
		if !ok {
			return x, fmt.Errorf("arch: %s: from %q names no tensor saved before it; add a save layer with that name earlier", where, l.From)
		}
		b, err := t.walk(l.Branch, s, path+".concat.branch")
		if err != nil {
			return x, err
		}
		if x.Size != nil {
			for i := range x.Size {
				if b.Size[i] != x.Size[i] {
					return x, fmt.Errorf("arch: %s: joins a tensor of size %v (branch from %q) with one of size %v; both must have the same resolution (match the up- and down-sampling on the two paths)", where, b.Size, l.From, x.Size)
				}
			}
		}
		x.Channels += b.Channels
	case nil:
		return x, fmt.Errorf("arch: %s: empty layer", where)
	default:
		return x, fmt.Errorf("arch: %s: unknown layer type %T", where, l)
	}
	return x, nil
}

func (in Input) validate() error {
	if in.Channels <= 0 {
		return fmt.Errorf("arch: input.channels is %d; give a positive number of input channels", in.Channels)
	}
	for _, v := range []float64{in.Low, in.High, in.Mean, in.Std, in.Smooth} {
		if !finite(v) {
			return fmt.Errorf("arch: input has a value that is not a finite number (%v)", v)
		}
	}
	switch in.Dist {
	case Uniform:
		if !(in.High > in.Low) {
			return fmt.Errorf("arch: input is uniform on [%g, %g); high must be greater than low", in.Low, in.High)
		}
	case Gaussian:
		if !(in.Std > 0) {
			return fmt.Errorf("arch: input.std is %g; give the Gaussian input a positive std", in.Std)
		}
	default:
		return fmt.Errorf("arch: input.dist %q is unknown; use uniform or gaussian", in.Dist)
	}
	if in.Smooth < 0 {
		return fmt.Errorf("arch: input.smooth is %g; give a smoothing std >= 0 pixels (0 = white noise)", in.Smooth)
	}
	return nil
}

func (i Init) validate() error {
	switch i.Scheme {
	case PyTorch:
	case Normal:
		if !finite(i.SW) || i.SW <= 0 {
			return fmt.Errorf("arch: init.sw is %g; give a positive weight scale", i.SW)
		}
		if !finite(i.SB) || i.SB < 0 {
			return fmt.Errorf("arch: init.sb is %g; give a bias scale >= 0", i.SB)
		}
	default:
		return fmt.Errorf("arch: init.scheme %q is unknown; use pytorch or normal", i.Scheme)
	}
	return nil
}

func (a Arch) scaleReason() string {
	e := a.Scale()
	d := a.Divisor()
	switch {
	case e > 0 && d == 1<<e:
		return fmt.Sprintf("it up-samples its input %d times", e)
	case e > 0:
		return fmt.Sprintf("it up-samples its input by %d and halves grids inside", 1<<e)
	default:
		k := 0
		for d > 1 {
			d, k = d/2, k+1
		}
		return fmt.Sprintf("it halves the grid %d times", k)
	}
}
