package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// NewInput draws the network's noise input z for an output (image) of the
// given size: batch independent samples of a.Input.Channels channels on the
// grid a.InputSize(size), i.i.d. uniform on [Low, High) or Gaussian
// N(Mean, Std^2), then, when a.Input.Smooth > 0, filtered per channel with
// a.Input.SmoothFilter() circularly (wrapping at the border whatever the
// padding). The result has shape [batch, C0, H, W] ([batch, C0, N] in 1-D).
// Values are drawn in C order from one PCG stream seeded by seed. A
// coordinate input (arch.Coords) is not drawn: every sample holds the grid's
// coordinates, arch.Coordinate per axis (in 2-D channel 0 the row, channel 1
// the column), and seed is not used.
func NewInput(a arch.Arch, size []int, batch int, seed uint64) (*tensor.Dense, error) {
	if err := a.Validate(size); err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, fmt.Errorf("nn: batch is %d; give at least one input", batch)
	}
	in, err := a.InputSize(size)
	if err != nil {
		return nil, err
	}
	plane := 1
	for _, s := range in {
		plane *= s
	}
	c := a.Input.Channels
	shape := append([]int{batch, c}, in...)
	if a.Input.Dist == arch.Coords {
		data := coordinates(in, batch)
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)), nil
	}
	data := make([]float32, batch*c*plane)
	rng := rand.New(rand.NewPCG(seed, 0x5851F42D4C957F2D))
	ip := a.Input
	for i := range data {
		if ip.Dist == arch.Uniform {
			data[i] = float32(ip.Low + (ip.High-ip.Low)*rng.Float64())
		} else {
			data[i] = float32(ip.Mean + ip.Std*rng.NormFloat64())
		}
	}
	if g := ip.SmoothFilter(); len(g) > 1 {
		h, w := 1, in[0]
		if len(in) == 2 {
			h, w = in[0], in[1]
		}
		parallelFor(batch*c, plane*len(g), func(lo, hi int) {
			buf := make([]float64, plane)
			for p := lo; p < hi; p++ {
				smoothPlane(data[p*plane:(p+1)*plane], buf, h, w, g, len(in) == 2)
			}
		})
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)), nil
}

// smoothPlane filters one h x w plane circularly with taps g (centred) along
// x, and along y when twoD; tmp has h*w entries.
func smoothPlane(x []float32, tmp []float64, h, w int, g []float64, twoD bool) {
	r := len(g) / 2
	mod := func(i, n int) int { return ((i % n) + n) % n }
	for y := 0; y < h; y++ {
		row := x[y*w : (y+1)*w]
		for i := 0; i < w; i++ {
			var s float64
			for t := -r; t <= r; t++ {
				s += g[t+r] * float64(row[mod(i-t, w)])
			}
			tmp[y*w+i] = s
		}
	}
	if !twoD {
		for i := range x {
			x[i] = float32(tmp[i])
		}
		return
	}
	for y := 0; y < h; y++ {
		for i := 0; i < w; i++ {
			var s float64
			for t := -r; t <= r; t++ {
				s += g[t+r] * tmp[mod(y-t, h)*w+i]
			}
			x[y*w+i] = float32(s)
		}
	}
}

// coordinates returns batch copies of the coordinate input on a grid of
// the given size: one channel per axis, arch.Coordinate of the index along
// that axis.
func coordinates(size []int, batch int) []float32 {
	plane := 1
	for _, s := range size {
		plane *= s
	}
	dims := len(size)
	out := make([]float32, 0, batch*dims*plane)
	for b := 0; b < batch; b++ {
		for ax := 0; ax < dims; ax++ {
			stride := 1
			for _, s := range size[ax+1:] {
				stride *= s
			}
			for p := 0; p < plane; p++ {
				out = append(out, float32(arch.Coordinate((p/stride)%size[ax], size[ax])))
			}
		}
	}
	return out
}
