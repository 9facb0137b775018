package kernel

import "github.com/dipgp/dipgp/arch"

// Dense (fully connected) rule (docs/theory.md section 3, "Fully connected layers"). Every output
// value y_o = sum_i w_oi x_i + b_o of a dense layer has its own weights,
// drawn iid with variance s_w^2 / n over the n = sum C * (grid points)
// input values, so in the infinite-width limit distinct outputs are
// uncorrelated and every output has the second moment
//
//	Sigma' = s_b^2 + s_w^2 * (1/n) sum_i M(x_i, x_i),
//	Theta' = Sigma' + s_w^2 * (1/n) sum_i T(x_i, x_i),
//
// the channel-weighted mean over the input's parts and grid points of the
// diagonal (the mean over phases of the offset-0 entry). The output is a
// one-point map (a vector), or with Image the stationary map
// delta(d) Sigma' (and delta(d) Theta') on the grid of the layer's output:
// the output field is white. s_w^2 and s_b^2 come from
// arch.Init.Variances(n).
func (r *run) dense(l arch.Dense, s state, size []int) (state, error) {
	n := 0
	for _, p := range s.parts {
		n += p.ch * p.g.points()
	}
	sw2, sb2 := r.a.Init.Variances(n)
	if !l.Bias {
		sb2 = 0
	}
	og := newGeom(r.a.Dims, size, 1)
	out := part{g: og, ch: l.Out, gauss: true}
	var dm, dt float64 // the mean diagonals of M and T
	if !r.dry {
		for _, p := range s.parts {
			w := float64(p.ch*p.g.points()) / float64(n)
			dm += w * diagMean(p.m, p.g)
			if r.o.NTK {
				dt += w * diagMean(p.t, p.g)
			}
		}
	}
	for _, p := range s.parts {
		r.pool.release(p.m)
		r.pool.release(p.t)
	}
	sigma := sb2 + sw2*dm
	out.m = r.pool.get(og.n())
	if !r.dry {
		white(out.m.data, sigma)
	}
	if r.o.NTK {
		out.t = r.pool.get(og.n())
		if !r.dry {
			white(out.t.data, sigma+sw2*dt)
		}
	}
	return state{parts: []part{out}}, nil
}

// diagMean returns the mean over the phases of the offset-0 entry of a
// map buffer of geometry g: the mean of M(x, x) over the grid points x.
func diagMean(b *buffer, g geom) float64 {
	var s float64
	pts := g.points()
	for ph := 0; ph < g.phases(); ph++ {
		s += b.data[ph*pts]
	}
	return s / float64(g.phases())
}

// white sets a stationary map to v at offset 0 and 0 elsewhere.
func white(d []float64, v float64) {
	clear(d)
	d[0] = v
}
