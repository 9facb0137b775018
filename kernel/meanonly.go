package kernel

import "github.com/dipgp/dipgp/arch"

// Mean-only batch norm rule (Shi et al.; docs/theory.md
// section 11). Every channel has its spatial mean subtracted, a linear map
// x -> x - mean_y x(y) that is the same for every channel, so the rule is
// exact at any width:
//
//	K_c(x, x') = K(x, x') - m(x) - m(x') + Mbar,
//
// m(x) = mean_y K(x, y), Mbar = mean_x m(x), for the second moment and the
// NTK alike. With Affine the trainable shift beta (starting at 0) adds 1 to
// the NTK.
func (r *run) meanOnly(l arch.BatchNorm, s state) (state, error) {
	for i, p := range s.parts {
		n := p.g.n()
		p.m = r.pool.owned(p.m, n)
		if p.t != nil {
			p.t = r.pool.owned(p.t, n)
		}
		s.parts[i] = p
		if r.dry {
			continue
		}
		if err := r.centerMap(p.g, p.m.data[:n], 1, nil, 0); err != nil {
			return s, err
		}
		if p.t == nil {
			continue
		}
		addC := 0.0
		if l.Affine {
			addC = 1
		}
		// center adds addC only on its add != nil path; pass a zero map.
		var add []float64
		if addC != 0 {
			add = make([]float64, n)
		}
		if err := r.centerMap(p.g, p.t.data[:n], 1, add, addC); err != nil {
			return s, err
		}
	}
	return s, nil
}
