package kernel

import (
	"errors"

	"github.com/dipgp/dipgp/arch"
)

// Input rule (docs/theory.md section 1). The input has C_0 channels of i.i.d.
// noise with mean m and variance v (arch.Input.Moments), optionally
// smoothed circularly, per channel, by the filter g of
// arch.Input.SmoothFilter (g[ty] g[tx] in 2-D). Its second moment is
// stationary:
//
//	M0(d) = v * (g * g)(d) + (m * sum(g))^2,
//
// where (g * g)(d) = sum_j g[j] g[j + d] is the discrete circular
// autocorrelation of the actual filter on the grid (the filter is first
// wrapped onto the grid when it is longer than the grid), and sum(g) is the
// sum of the (2-D) filter. The NTK is 0 at the input. The field is
// Gaussian (an activation may follow directly) only for zero-mean Gaussian
// noise.

// errCoords refuses a coordinate input: the pixel coordinates are not
// stationary, so the output's second moment depends on the positions and
// not on their offset alone, and there is no periodic kernel map.
var errCoords = errors.New("kernel: input.dist is coords (the pixel coordinates), which is not stationary: the network's " +
	"kernel depends on the positions, not on their offset alone, and has no periodic kernel map; give the network a noise " +
	"input (input.dist uniform or gaussian, preset key input=uniform or input=gaussian) to compute its kernel")

// autocorr returns the circular autocorrelation of the 1-D filter g
// (centred taps t = -R..R) on a periodic axis of n points.
func autocorr(g []float64, n int) []float64 {
	r := (len(g) - 1) / 2
	gw := make([]float64, n)
	for i, v := range g {
		gw[mod(i-r, n)] += v
	}
	a := make([]float64, n)
	for d := 0; d < n; d++ {
		var s float64
		for j := 0; j < n; j++ {
			s += gw[j] * gw[(j+d)%n]
		}
		a[d] = s
	}
	return a
}

func (r *run) input(size []int) (state, error) {
	in := r.a.Input
	if in.Dist == arch.Coords {
		return state{}, errCoords
	}
	g := newGeom(r.a.Dims, size, 1)
	m, v := in.Moments()
	f := in.SmoothFilter()
	var sum float64
	for _, x := range f {
		sum += x
	}
	mu := m * sum
	if g.dims == 2 {
		mu *= sum
	}
	p := part{g: g, ch: in.Channels, gauss: in.Dist == arch.Gaussian && m == 0}
	p.m = r.pool.get(g.n())
	if r.o.NTK {
		p.t = r.pool.get(g.n())
	}
	if !r.dry {
		ax := autocorr(f, g.w)
		ay := []float64{1}
		if g.dims == 2 {
			ay = autocorr(f, g.h)
		}
		d := p.m.data[:g.n()]
		for dy := 0; dy < g.h; dy++ {
			for dx := 0; dx < g.w; dx++ {
				d[dy*g.w+dx] = v*ay[dy]*ax[dx] + mu*mu
			}
		}
		if p.t != nil {
			clear(p.t.data[:g.n()])
		}
	}
	s := state{parts: []part{p}}
	if !p.gauss {
		s.after = "the input (noise that is not zero-mean Gaussian)"
	}
	return s, nil
}
