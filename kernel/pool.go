package kernel

import "github.com/dipgp/dipgp/arch"

// Pooling rules (docs/theory.md section 3), linear maps A K A^T applied alike to
// the second moment and the NTK. Per axis, for an input of period P:
//
//	decimation: y reads 2y, so k'[p][d] = k[2p mod P][2d];
//	average pooling: y reads (in(2y) + in(2y+1))/2, so
//	    k'[p][d] = 1/4 sum_{a,b in {0,1}} k[(2p+a) mod P][2d+b-a];
//
// in 2-D the rule applies on both axes (the 2x2 average has weight 1/16 per
// pair). The period becomes max(P/2, 1).

func poolStencil(op arch.PoolOp, pIn, nIn, pOut, nOut int) stencil {
	if op == arch.Decimate {
		return newStencil(pIn, nIn, pOut, nOut, 1, func(p, d int, t []term) {
			t[0] = term{2 * p, 2 * d, 1}
		})
	}
	return newStencil(pIn, nIn, pOut, nOut, 4, func(p, d int, t []term) {
		for a := 0; a < 2; a++ {
			for b := 0; b < 2; b++ {
				t[2*a+b] = term{2*p + a, 2*d + b - a, 0.25}
			}
		}
	})
}

// pool2 applies a Pool layer to every part.
func (r *run) pool2(l arch.Pool, s state, where string) (state, error) {
	for i, p := range s.parts {
		og := p.g
		og.w /= 2
		og.px = max(og.px/2, 1)
		sy := identStencil(1, 1)
		if og.dims == 2 {
			og.h /= 2
			og.py = max(og.py/2, 1)
			sy = poolStencil(l.Op, p.g.py, p.g.h, og.py, og.h)
		}
		sx := poolStencil(l.Op, p.g.px, p.g.w, og.px, og.w)
		np, err := r.applyLinear(p, og, sy, sx)
		if err != nil {
			return s, err
		}
		s.parts[i] = np
	}
	return s, nil
}

// applyLinear applies a parameter-free linear layer (stencils sy, sx) to
// the second moment and the NTK of a part.
func (r *run) applyLinear(p part, og geom, sy, sx stencil) (part, error) {
	out := p
	out.g = og
	var err error
	out.m, err = r.linearSum(og, 0, []linTerm{{src: p.m, sg: p.g, sy: sy, sx: sx, alpha: 1}})
	if err != nil {
		return p, err
	}
	r.pool.release(p.m)
	if p.t != nil {
		out.t, err = r.linearSum(og, 0, []linTerm{{src: p.t, sg: p.g, sy: sy, sx: sx, alpha: 1}})
		if err != nil {
			return p, err
		}
		r.pool.release(p.t)
	}
	return out, nil
}
