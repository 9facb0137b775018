package kernel

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

// Concatenation rule (docs/theory.md section 3). A concat joins the channels of
// a branch (applied to a saved tensor) with the current tensor. The parts
// are kept apart, each with its channel count: the layers that act per
// channel (activations, batch norm, pooling, up-sampling) apply to each
// part separately, and the next conv mixes them with weights
// r_i = C_i / sum C (see conv.go). A network that ends with parts still
// apart reports their channel-weighted mean (mix).

// concat joins the branch's result b with the current tensor s as
// [branch, current].
func (r *run) concat(b, s state, where string) (state, error) {
	for _, p := range b.parts {
		for _, q := range s.parts {
			if p.g.w != q.g.w || p.g.h != q.g.h {
				return s, fmt.Errorf("kernel: %s: joins grids %s and %s of different sizes", where, arch.SizeString(p.g.size()), arch.SizeString(q.g.size()))
			}
		}
	}
	out := state{parts: append(b.parts[:len(b.parts):len(b.parts)], s.parts...)}
	for _, p := range out.parts {
		if !p.gauss {
			out.after = s.after
			if out.after == "" {
				out.after = b.after
			}
		}
	}
	return out, nil
}

// mix replaces the parts of a tensor by their channel-weighted mean, with
// the largest period.
func (r *run) mix(s state) (state, error) {
	ch, pmax := 0, 1
	for _, p := range s.parts {
		ch += p.ch
		pmax = max(pmax, p.g.period())
	}
	og := s.parts[0].g
	og.px = pmax
	if og.dims == 2 {
		og.py = pmax
	}
	terms := func(field func(part) *buffer) []linTerm {
		ts := make([]linTerm, len(s.parts))
		for i, p := range s.parts {
			sx := newStencil(p.g.px, p.g.w, og.px, og.w, 1, func(q, d int, t []term) { t[0] = term{q, d, 1} })
			sy := newStencil(p.g.py, p.g.h, og.py, og.h, 1, func(q, d int, t []term) { t[0] = term{q, d, 1} })
			ts[i] = linTerm{src: field(p), sg: p.g, sy: sy, sx: sx, alpha: float64(p.ch) / float64(ch)}
		}
		return ts
	}
	out := part{g: og, ch: ch}
	var err error
	if out.m, err = r.linearSum(og, 0, terms(func(p part) *buffer { return p.m })); err != nil {
		return s, err
	}
	if r.o.NTK {
		if out.t, err = r.linearSum(og, 0, terms(func(p part) *buffer { return p.t })); err != nil {
			return s, err
		}
	}
	for _, p := range s.parts {
		r.pool.release(p.m)
		r.pool.release(p.t)
	}
	return state{parts: []part{out}, after: s.after}, nil
}
