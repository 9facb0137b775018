package kernel

import "gonum.org/v1/gonum/floats"

// The layers that act linearly on a map (conv taps, pooling, decimation,
// up-sampling) are all separable gathers: per axis, the output value at
// phase p and offset d is a weighted sum of input values at a few (phase,
// offset) pairs, and in 2-D the terms are products of one y term and one x
// term:
//
//	out[(py,px)][(dy,dx)] = sum_i sum_j wy_i wx_j in[(py_i,px_j)][(dy_i,dx_j)].
//
// This file holds that machinery; the stencils of each layer are built in
// its own file.

// term is one term of a per-axis stencil.
type term struct {
	ph, off int
	w       float64
}

// stencil is a per-axis linear rule: for output phase p < pOut and output
// offset d < nOut, k terms reading input phase ph and input offset off of
// an axis with period pIn and size nIn.
type stencil struct {
	k          int
	pIn, nIn   int
	pOut, nOut int
	ph, off    []int32
	w          []float64
	// ident is set when every output reads exactly the input at the same
	// phase and offset with the same weight scale (a multiple of the
	// identity along this axis).
	ident bool
	scale float64
	// runs lists, per output phase, the stencil as arithmetic runs: output
	// offsets d0 + ds*i read input phase ph at offset off0 + doff*i with
	// weight w, for i < cnt. The x axis of gather uses them.
	runs [][]xrun
}

// xrun is one arithmetic run of a stencil (see stencil.runs).
type xrun struct {
	ph                      int
	w                       float64
	d0, ds, off0, doff, cnt int
}

// buildRuns splits each output phase's terms into arithmetic runs over the
// offsets of one residue class mod 2 (bilinear and stride-2 rules are
// regular per parity).
func (s *stencil) buildRuns() {
	S := min(2, s.nOut)
	s.runs = make([][]xrun, s.pOut)
	for p := 0; p < s.pOut; p++ {
		var rs []xrun
		for j := 0; j < s.k; j++ {
			for r := 0; r < S; r++ {
				cur := xrun{cnt: 0}
				flush := func() {
					if cur.cnt > 0 {
						rs = append(rs, cur)
					}
					cur = xrun{}
				}
				for d := r; d < s.nOut; d += S {
					i := (p*s.nOut+d)*s.k + j
					ph, off, w := int(s.ph[i]), int(s.off[i]), s.w[i]
					if w == 0 {
						flush()
						continue
					}
					if cur.cnt > 0 && ph == cur.ph && w == cur.w && (cur.cnt == 1 || off == cur.off0+cur.doff*cur.cnt) {
						if cur.cnt == 1 {
							cur.doff = off - cur.off0
						}
						cur.cnt++
						continue
					}
					flush()
					cur = xrun{ph: ph, w: w, d0: d, ds: S, off0: off, cnt: 1}
				}
				flush()
			}
		}
		s.runs[p] = rs
	}
}

// newStencil builds a stencil by calling f for each output phase and
// offset; f fills up to k terms (unused ones with weight 0). Terms that
// read the same input value are merged, so k may shrink (a stride-1 conv
// on a stationary map has a single term of weight k per axis).
func newStencil(pIn, nIn, pOut, nOut, k int, f func(p, d int, t []term)) stencil {
	s := stencil{pIn: pIn, nIn: nIn, pOut: pOut, nOut: nOut}
	all := make([][]term, pOut*nOut)
	t := make([]term, k)
	for p := 0; p < pOut; p++ {
		for d := 0; d < nOut; d++ {
			for j := range t {
				t[j] = term{}
			}
			f(p, d, t)
			var m []term
		next:
			for _, tj := range t {
				if tj.w == 0 {
					continue
				}
				tj.ph, tj.off = mod(tj.ph, pIn), mod(tj.off, nIn)
				for i := range m {
					if m[i].ph == tj.ph && m[i].off == tj.off {
						m[i].w += tj.w
						continue next
					}
				}
				m = append(m, tj)
			}
			all[p*nOut+d] = m
			s.k = max(s.k, len(m))
		}
	}
	s.k = max(s.k, 1)
	n := pOut * nOut * s.k
	s.ph = make([]int32, n)
	s.off = make([]int32, n)
	s.w = make([]float64, n)
	s.ident, s.scale = pIn == pOut && nIn == nOut && s.k == 1, 0
	for i, m := range all {
		p, d := i/nOut, i%nOut
		for j, tj := range m {
			s.ph[i*s.k+j] = int32(tj.ph)
			s.off[i*s.k+j] = int32(tj.off)
			s.w[i*s.k+j] = tj.w
		}
		if s.k == 1 {
			if len(m) != 1 || m[0].ph != p || m[0].off != d || (i > 0 && m[0].w != s.scale) {
				s.ident = false
			}
			if i == 0 && len(m) == 1 {
				s.scale = m[0].w
			}
		}
	}
	s.buildRuns()
	return s
}

// identStencil leaves an axis of period p and size n unchanged.
func identStencil(p, n int) stencil {
	return newStencil(p, n, p, n, 1, func(q, d int, t []term) { t[0] = term{q, d, 1} })
}

func mod(a, n int) int {
	a %= n
	if a < 0 {
		a += n
	}
	return a
}

// bytes returns the memory the stencil's tables take.
func (s stencil) bytes() int64 { return int64(len(s.w)) * 16 }

// gather computes dst = beta + alpha * S(src) (acc false) or dst +=
// alpha * S(src) (acc true) for the separable operator S with y stencil sy
// and x stencil sx, in one pass: every output value costs sy.k * sx.k
// terms. dst has geometry dg, src has sg. Rows (phase, dy) are split over
// the workers; each output value is computed by the same operations
// whatever the split.
func (r *run) gather(dst []float64, dg geom, src []float64, sg geom, sy, sx stencil, alpha, beta float64, acc bool) error {
	if r.dry {
		return nil
	}
	nptsIn := sg.points()
	ky := sy.k
	W := dg.w
	H := dg.h
	rows := dg.py * H * dg.px
	rowStride := sg.px * nptsIn // input distance between y phases
	return r.parallel(rows, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			// Row order (py, dy, px): neighbouring rows share input rows.
			px := row % dg.px
			dy := (row / dg.px) % H
			py := row / (dg.px * H)
			o := dst[((py*dg.px+px)*H+dy)*W:][:W]
			// fresh: o still has to be set to beta; along an identity x
			// axis the first term does it (beta + a s, the same
			// operations as setting beta and adding a s).
			fresh := !acc
			if fresh && !sx.ident {
				for i := range o {
					o[i] = beta
				}
				fresh = false
			}
			yt := (py*H + dy) * ky
			for i := 0; i < ky; i++ {
				wy := sy.w[yt+i]
				if wy == 0 {
					continue
				}
				a := alpha * wy
				base := int(sy.ph[yt+i])*rowStride + int(sy.off[yt+i])*sg.w
				if sx.ident {
					a *= sx.scale
					s := src[base+px*nptsIn:][:W]
					if fresh {
						for j, x := range s {
							o[j] = beta + float64(a*x)
						}
						fresh = false
						continue
					}
					floats.AddScaled(o, a, s)
					continue
				}
				for _, run := range sx.runs[px] {
					in := src[base+run.ph*nptsIn:]
					aw := a * run.w
					d, off := run.d0, run.off0
					for c := 0; c < run.cnt; c++ {
						o[d] += aw * in[off]
						d += run.ds
						off += run.doff
					}
				}
			}
			if fresh { // no term with a non-zero weight
				for i := range o {
					o[i] = beta
				}
			}
		}
	})
}

// linTerm is one operand of linearSum: alpha * S(src) with S = (sy, sx).
type linTerm struct {
	src    *buffer
	sg     geom
	sy, sx stencil
	alpha  float64
}

// linearSum returns a new buffer of geometry dg holding
// beta + sum_i alpha_i S_i(src_i). In 2-D, a term with more than one term
// on both axes is applied in two passes (x, then y) through an
// intermediate buffer, which costs sy.k + sx.k operations per value
// instead of their product (see twoPass).
func (r *run) linearSum(dg geom, beta float64, terms []linTerm) (*buffer, error) {
	out := r.pool.get(dg.n())
	for i, t := range terms {
		r.extra = max(r.extra, t.sy.bytes()+t.sx.bytes()+int64(len(t.sx.w))*8)
		acc := i > 0
		if t.sg.dims == 2 && t.sy.k > 1 && t.sx.k > 1 {
			if err := r.twoPass(out, dg, t, beta, acc); err != nil {
				return out, err
			}
			continue
		}
		if err := r.gather(slice(out, dg), dg, slice(t.src, t.sg), t.sg, t.sy, t.sx, t.alpha, beta, acc); err != nil {
			return out, err
		}
	}
	return out, nil
}

// twoPassGroups is the number of groups of output y phases twoPass
// computes one after the other, so that its intermediate buffer holds only
// the input y phases one group reads (about a quarter of them, plus the
// stencil's reach) instead of all of them.
const twoPassGroups = 4

// twoPass applies the term t (alpha S(src), S = (sy, sx)) to out in two
// passes: x into an intermediate buffer, then y. The output y phases are
// taken in groups; for each group the x pass is run on the input y phases
// the group's y stencil reads (each into its own slot of the buffer), and
// the y pass reads them through a copy of the y stencil whose phases are
// renumbered as slots. Every output value gets the same operations as in
// one pass over all phases, so the grouping does not change the result.
func (r *run) twoPass(out *buffer, dg geom, t linTerm, beta float64, acc bool) error {
	sy := t.sy
	groups := min(twoPassGroups, dg.py)
	if t.sg.py < 4 {
		groups = 1
	}
	// The slots of each group: slot[q] = index of input phase q, or -1.
	type group struct {
		lo, hi int   // output y phases
		phases []int // input y phases read, in slot order
		sy     stencil
	}
	gs := make([]group, groups)
	slots := 0
	for gi := range gs {
		lo, hi := dg.py*gi/groups, dg.py*(gi+1)/groups
		slot := make([]int, t.sg.py)
		for q := range slot {
			slot[q] = -1
		}
		var phases []int
		for i := lo * sy.nOut * sy.k; i < hi*sy.nOut*sy.k; i++ {
			if q := int(sy.ph[i]); sy.w[i] != 0 && slot[q] < 0 {
				slot[q] = len(phases)
				phases = append(phases, q)
			}
		}
		g := group{lo: lo, hi: hi, phases: phases, sy: sy}
		if groups > 1 {
			g.sy = sy.rows(lo, hi, slot)
		}
		gs[gi] = g
		slots = max(slots, len(phases))
	}
	if groups == 1 {
		slots = t.sg.py
	}
	// One input y phase after the x pass: h rows of dg.px phases of dg.w.
	mg1 := geom{dims: 2, h: t.sg.h, w: dg.w, py: 1, px: dg.px}
	sg1 := geom{dims: 2, h: t.sg.h, w: t.sg.w, py: 1, px: t.sg.px}
	mid := r.pool.get(slots * mg1.n())
	defer r.pool.release(mid)
	if r.dry {
		return nil
	}
	src := slice(t.src, t.sg)
	idy := identStencil(1, t.sg.h)
	idx := identStencil(dg.px, dg.w)
	for _, g := range gs {
		phases := g.phases
		if groups == 1 {
			phases = make([]int, t.sg.py)
			for q := range phases {
				phases[q] = q
			}
		}
		for j, q := range phases {
			in := src[q*sg1.n():][:sg1.n()]
			if err := r.gather(mid.data[j*mg1.n():][:mg1.n()], mg1, in, sg1, idy, t.sx, 1, 0, false); err != nil {
				return err
			}
		}
		og := dg
		og.py = g.hi - g.lo
		mg := mg1
		mg.py = len(phases)
		per := dg.px * dg.points()
		if err := r.gather(slice(out, dg)[g.lo*per:g.hi*per], og, mid.data[:mg.n()], mg, g.sy, idx, t.alpha, beta, acc); err != nil {
			return err
		}
	}
	return nil
}

// rows returns the stencil restricted to the output phases [lo, hi),
// renumbered from 0, with each input phase q replaced by slot[q].
func (s stencil) rows(lo, hi int, slot []int) stencil {
	a, b := lo*s.nOut*s.k, hi*s.nOut*s.k
	c := stencil{k: s.k, pIn: s.pIn, nIn: s.nIn, pOut: hi - lo, nOut: s.nOut}
	c.ph = make([]int32, b-a)
	c.off = append([]int32(nil), s.off[a:b]...)
	c.w = append([]float64(nil), s.w[a:b]...)
	for i, q := range s.ph[a:b] {
		if s.w[a+i] != 0 {
			c.ph[i] = int32(slot[q])
		}
	}
	return c
}

// slice returns the first g.n() values of b (nil in a dry run).
func slice(b *buffer, g geom) []float64 {
	if b.data == nil {
		return nil
	}
	return b.data[:g.n()]
}
