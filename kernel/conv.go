package kernel

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

// Convolution rule (theory.md section 3). A conv with k taps S, stride s
// and circular padding maps the second moment M of its input and the NTK T
// to
//
//	Sigma'(y, y') = s_b^2 + (s_w^2 / k) sum_{t in S} M(s y + t, s y' + t)
//	Theta'(y, y') = Sigma'(y, y') + (s_w^2 / k) sum_{t in S} T(s y + t, s y' + t)
//
// (the activation before it has already multiplied T by Qdot). On maps,
// per axis: k'[p][d] = sum_t k[(s p + t) mod P][s d]; the period after a
// stride-2 conv is max(P/2, 1). s_w^2 and s_b^2 come from
// arch.Init.Variances(C_in * k); s_b^2 = 0 for a conv without bias. When
// the input is a concatenation the conv sees the channel-weighted mixture
// sum_i r_i M_i (and sum_i r_i T_i), r_i = C_i / sum C; the parts may have
// different periods and the output has the largest.

// convStencil is the per-axis tap rule of a conv of kernel size K and
// stride s reading an axis of period pIn and size nIn, for output period
// pOut and size nOut.
func convStencil(K, s, pIn, nIn, pOut, nOut int) stencil {
	R := (K - 1) / 2
	return newStencil(pIn, nIn, pOut, nOut, K, func(p, d int, t []term) {
		for j := range t {
			t[j] = term{ph: s*p + j - R, off: s * d, w: 1}
		}
	})
}

func (r *run) conv(l arch.Conv, s state, where string) (state, error) {
	dims := r.a.Dims
	cin := 0
	pmax := 1
	for _, p := range s.parts {
		cin += p.ch
		pmax = max(pmax, p.g.period())
	}
	taps := l.Taps(dims)
	sw2, sb2 := r.a.Init.Variances(cin * taps)
	if !l.Bias {
		sb2 = 0
	}
	g0 := s.parts[0].g
	og := g0
	og.py, og.px = pmax, pmax
	if dims == 1 {
		og.py = 1
	}
	if l.Stride == 2 {
		og.w /= 2
		og.px = max(og.px/2, 1)
		if dims == 2 {
			og.h /= 2
			og.py = max(og.py/2, 1)
		}
	}
	// One (y, x) stencil pair per part.
	type st struct{ sy, sx stencil }
	sts := make([]st, len(s.parts))
	for i, p := range s.parts {
		sx := convStencil(l.K, l.Stride, p.g.px, p.g.w, og.px, og.w)
		sy := identStencil(1, 1)
		if dims == 2 {
			sy = convStencil(l.K, l.Stride, p.g.py, p.g.h, og.py, og.h)
		}
		sts[i] = st{sy, sx}
	}
	c := sw2 / float64(taps)
	out := part{g: og, ch: l.Out, gauss: true}

	// In place: one part, a multiple of the identity on both axes (a 1x1
	// conv, or any stride-1 conv on a stationary map).
	if len(s.parts) == 1 && sts[0].sy.ident && sts[0].sx.ident {
		p := s.parts[0]
		a := c * sts[0].sy.scale * sts[0].sx.scale
		n := og.n()
		out.m = r.pool.owned(p.m, n)
		if !r.dry {
			m := out.m.data[:n]
			if err := r.parallel(n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					m[i] = sb2 + a*m[i]
				}
			}); err != nil {
				return s, err
			}
		}
		if r.o.NTK {
			out.t = r.pool.owned(p.t, n)
			if !r.dry {
				m, t := out.m.data[:n], out.t.data[:n]
				if err := r.parallel(n, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						t[i] = m[i] + a*t[i]
					}
				}); err != nil {
					return s, err
				}
			}
		}
		return state{parts: []part{out}}, nil
	}

	terms := func(field func(part) *buffer) []linTerm {
		ts := make([]linTerm, len(s.parts))
		for i, p := range s.parts {
			ts[i] = linTerm{src: field(p), sg: p.g, sy: sts[i].sy, sx: sts[i].sx, alpha: c * float64(p.ch) / float64(cin)}
		}
		return ts
	}
	var err error
	out.m, err = r.linearSum(og, sb2, terms(func(p part) *buffer { return p.m }))
	if err != nil {
		return s, err
	}
	for _, p := range s.parts {
		r.pool.release(p.m)
	}
	if r.o.NTK {
		out.t, err = r.linearSum(og, 0, terms(func(p part) *buffer { return p.t }))
		if err != nil {
			return s, err
		}
		for _, p := range s.parts {
			r.pool.release(p.t)
		}
		if !r.dry {
			n := og.n()
			m, t := out.m.data[:n], out.t.data[:n]
			if err := r.parallel(n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					t[i] += m[i]
				}
			}); err != nil {
				return s, err
			}
		}
	}
	if out.g.n() == 0 {
		return s, fmt.Errorf("kernel: %s: empty output grid", where)
	}
	return state{parts: []part{out}}, nil
}
