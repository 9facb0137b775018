package arch

import (
	"fmt"
	"math"
	"strings"
)

// Arch is a network architecture: a noise input followed by a list of
// layers applied in order. Skip connections are written with Save, which
// names the current tensor, and Concat, which joins the current tensor with
// a branch of layers applied to a saved one.
type Arch struct {
	// Name is a free-form label (the preset string for presets).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Dims is 1 for signals on Z_N or 2 for images on Z_H x Z_W.
	Dims int `yaml:"dims" json:"dims"`
	// Input is the fixed noise the network is fed.
	Input Input `yaml:"input" json:"input"`
	// Init is the distribution of the weights and biases.
	Init Init `yaml:"init" json:"init"`
	// Param is the parameterization: Standard or NTK.
	Param Param `yaml:"param" json:"param"`
	// Pad is the padding of the finite network's convolutions. The
	// analytic kernel is always computed on the periodic grid.
	Pad Padding `yaml:"pad" json:"pad"`
	// Layers are applied in order to the input.
	Layers []Layer `yaml:"-" json:"-"`
}

// Layer is one layer kind: Conv, Act, Pool, Upsample, BatchNorm, Save,
// Concat or Dense. The set is closed: packages that act on layers implement Visitor
// (one method per kind) and walk a Plan, which lays the layers out in
// execution order with their shapes.
type Layer interface {
	// Kind is the layer's name in YAML and JSON ("conv", "act", ...).
	Kind() string
	accept(Visitor) error
}

// Param is a parameterization of the weights (docs/theory.md section 1).
type Param string

// Parameterizations.
const (
	// Standard draws w ~ N(0, s_w^2/fan_in) (or PyTorch's uniform) and uses
	// it as is.
	Standard Param = "standard"
	// NTK draws w ~ N(0, 1) and multiplies by s_w/sqrt(fan_in) in the
	// forward pass (and the bias by s_b).
	NTK Param = "ntk"
)

// Padding is how a finite convolution sees beyond the border.
type Padding string

// Paddings.
const (
	Circular Padding = "circular"
	Zero     Padding = "zero"
	Reflect  Padding = "reflect"
)

// Scheme names a weight initialization.
type Scheme string

// Initialization schemes.
const (
	// PyTorch is PyTorch's default conv initialization: weights and
	// biases uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)), variance
	// 1/(3 fan_in).
	PyTorch Scheme = "pytorch"
	// Normal draws weights N(0, s_w^2/fan_in) and biases N(0, s_b^2).
	Normal Scheme = "normal"
)

// Init is the weight initialization.
type Init struct {
	// Scheme is PyTorch or Normal.
	Scheme Scheme `yaml:"scheme" json:"scheme"`
	// SW is the weight scale s_w (Normal only).
	SW float64 `yaml:"sw" json:"sw"`
	// SB is the bias scale s_b (Normal only).
	SB float64 `yaml:"sb" json:"sb"`
}

// Variances returns, for a convolution with fan-in fanIn = C_in * taps, the
// weight scale s_w^2 (a weight has variance s_w^2 / fanIn) and the bias
// variance s_b^2 of this initialization. For PyTorch's scheme s_w^2 = 1/3
// and s_b^2 = 1/(3 fanIn).
func (i Init) Variances(fanIn int) (sw2, sb2 float64) {
	if i.Scheme == PyTorch {
		return 1.0 / 3, 1 / (3 * float64(fanIn))
	}
	return i.SW * i.SW, i.SB * i.SB
}

// Dist names an input noise distribution.
type Dist string

// Input distributions.
const (
	Uniform  Dist = "uniform"
	Gaussian Dist = "gaussian"
	// Coords is not noise: the input is the grid's pixel coordinates,
	// normalized to [0, 1] (see Coordinate). It has Dims channels, takes
	// no other parameter, and makes the network a function of position
	// (with 1x1 convolutions, an MLP applied to each pixel's coordinates,
	// as Chakrabarty and Maji's ReLUNet). It is not stationary: package
	// kernel refuses it.
	Coords Dist = "coords"
)

// Coordinate returns the value of the coordinate input at index i of an
// axis of n points: i/(n-1), so the axis runs from 0 to 1 (0 when n is 1).
// In 2-D channel 0 holds the row coordinate y/(H-1) and channel 1 the
// column coordinate x/(W-1), in the order of Chakrabarty and Maji's
// gen_dataset (PCJohn/dip-spectral relunet.py); in 1-D the one channel
// holds i/(N-1).
func Coordinate(i, n int) float64 {
	if n <= 1 {
		return 0
	}
	return float64(i) / float64(n-1)
}

// Input is the network's fixed input: Channels channels of i.i.d. noise,
// optionally smoothed by a Gaussian filter, or the pixel coordinates
// (Dist Coords).
type Input struct {
	// Channels is the number of input channels C_0 (Dims for Coords).
	Channels int `yaml:"channels" json:"channels"`
	// Dist is Uniform on [Low, High), Gaussian(Mean, Std) or Coords.
	Dist Dist `yaml:"dist" json:"dist"`
	// Low and High bound the uniform distribution.
	Low  float64 `yaml:"low,omitempty" json:"low,omitempty"`
	High float64 `yaml:"high,omitempty" json:"high,omitempty"`
	// Mean and Std parameterize the Gaussian distribution.
	Mean float64 `yaml:"mean,omitempty" json:"mean,omitempty"`
	Std  float64 `yaml:"std,omitempty" json:"std,omitempty"`
	// Smooth is the standard deviation in pixels of the Gaussian filter
	// applied (circularly, per channel, whatever the padding) to the noise;
	// 0 keeps it white. See SmoothFilter.
	Smooth float64 `yaml:"smooth,omitempty" json:"smooth,omitempty"`
}

// Moments returns the mean m and variance v of one input value before
// smoothing. For Coords, which is not random, it returns the mean and
// variance of the coordinate over a continuous axis, 1/2 and 1/12.
func (in Input) Moments() (m, v float64) {
	switch in.Dist {
	case Uniform:
		w := in.High - in.Low
		return (in.Low + in.High) / 2, w * w / 12
	case Coords:
		return 0.5, 1.0 / 12
	default:
		return in.Mean, in.Std * in.Std
	}
}

// SmoothFilter returns the 1-D taps g[t], t = -R..R (index t+R), of the
// Gaussian smoothing filter: g[t] proportional to exp(-t^2/(2 Smooth^2)),
// R = ceil(4 Smooth), normalized to unit sum of squares so that white noise
// of variance v keeps variance v. In 2-D the filter is g[ty] g[tx]. It
// returns [1] when Smooth is 0.
func (in Input) SmoothFilter() []float64 {
	if in.Smooth <= 0 {
		return []float64{1}
	}
	r := int(math.Ceil(4 * in.Smooth))
	g := make([]float64, 2*r+1)
	var ss float64
	for t := -r; t <= r; t++ {
		x := float64(t) / in.Smooth
		g[t+r] = math.Exp(-x * x / 2)
		ss += g[t+r] * g[t+r]
	}
	s := 1 / math.Sqrt(ss)
	for i := range g {
		g[i] *= s
	}
	return g
}

// OutChannels returns the number of channels of the network's output, or
// 0 when the architecture is not valid.
func (a Arch) OutChannels() int {
	p, err := a.Plan(nil)
	if err != nil {
		return 0
	}
	return p.Output().Channels
}

// Scale returns e such that the output grid is the input grid times 2^e
// per axis (e = ups - downs along the main path).
func (a Arch) Scale() int {
	p, _ := a.layout()
	if len(p.Nodes) == 0 {
		return 0
	}
	return p.Nodes[len(p.Nodes)-1].Scale
}

// InputSize returns the size of the noise input for an output (image) of
// the given size.
func (a Arch) InputSize(out []int) ([]int, error) {
	e := a.Scale()
	in := make([]int, len(out))
	for i, n := range out {
		if e >= 0 {
			f := 1 << e
			if n%f != 0 {
				return nil, errorf("output size %d is not divisible by %d: the network up-samples its input by %d; use a multiple of %d", n, f, f, f)
			}
			in[i] = n / f
		} else {
			in[i] = n << -e
		}
	}
	return in, nil
}

// PreActivation returns the architecture without its final activation (the
// network output before out_act). An architecture whose last layer is not
// an activation is returned unchanged.
func (a Arch) PreActivation() Arch {
	if n := len(a.Layers); n > 0 {
		if _, ok := a.Layers[n-1].(Act); ok {
			b := a
			b.Layers = a.Layers[: n-1 : n-1]
			return b
		}
	}
	return a
}

// String returns the architecture's name, or a short description.
func (a Arch) String() string {
	if a.Name != "" {
		return a.Name
	}
	kinds := make([]string, len(a.Layers))
	for i, l := range a.Layers {
		kinds[i] = l.Kind()
	}
	return fmt.Sprintf("%dd[%s]", a.Dims, strings.Join(kinds, ","))
}

// OutputSize returns the output size for a noise input of the given size
// (the inverse of InputSize).
func (a Arch) OutputSize(in []int) []int {
	e := a.Scale()
	out := make([]int, len(in))
	for i, n := range in {
		if e >= 0 {
			out[i] = n << e
		} else {
			out[i] = n >> -e
		}
	}
	return out
}

// Upto returns the architecture truncated just before the Save layer of
// the given name on the main path: its output is the tensor saved under
// that name (an intermediate layer of the network).
func (a Arch) Upto(name string) (Arch, error) {
	var names []string
	for i, l := range a.Layers {
		if s, ok := l.(Save); ok {
			if s.Name == name {
				if i == 0 {
					return Arch{}, errorf("%q is the network input, not a layer; pick a later save", name)
				}
				b := a
				b.Layers = a.Layers[:i:i]
				b.Name = a.String() + "@" + name
				return b, nil
			}
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return Arch{}, errorf("%s has no named (save) layers; add a save layer where you want to look", a)
	}
	return Arch{}, errorf("no layer is saved as %q on the main path; the names are %s", name, strings.Join(names, ", "))
}
