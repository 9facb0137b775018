package kernel

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
			if !acc {
				for i := range o {
					o[i] = beta
				}
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
					in := src[base+px*nptsIn:][:W]
					a *= sx.scale
					for dx, v := range in {
						o[dx] += a * v
					}
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
// instead of their product.
func (r *run) linearSum(dg geom, beta float64, terms []linTerm) (*buffer, error) {
	out := r.pool.get(dg.n())
	for i, t := range terms {
		r.extra = max(r.extra, t.sy.bytes()+t.sx.bytes()+int64(len(t.sx.w))*8)
		acc := i > 0
		if t.sg.dims == 2 && t.sy.k > 1 && t.sx.k > 1 {
			mg := geom{dims: 2, h: t.sg.h, w: dg.w, py: t.sg.py, px: dg.px}
			mid := r.pool.get(mg.n())
			err := r.gather(slice(mid, mg), mg, slice(t.src, t.sg), t.sg, identStencil(t.sg.py, t.sg.h), t.sx, 1, 0, false)
			if err == nil {
				err = r.gather(slice(out, dg), dg, slice(mid, mg), mg, t.sy, identStencil(dg.px, dg.w), t.alpha, beta, acc)
			}
			r.pool.release(mid)
			if err != nil {
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

// slice returns the first g.n() values of b (nil in a dry run).
func slice(b *buffer, g geom) []float64 {
	if b.data == nil {
		return nil
	}
	return b.data[:g.n()]
}
