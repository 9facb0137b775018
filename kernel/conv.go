package kernel

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
	"gonum.org/v1/gonum/floats"
)

// Convolution rule (docs/theory.md section 3). A conv with k taps S, stride s
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
	sw2 *= lipschitzGain(l, sw2, cin*taps)
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
	elementwise := len(s.parts) == 1 && sts[0].sy.ident && sts[0].sx.ident
	if !(elementwise && r.fuse) {
		if err := r.unhalf(s); err != nil {
			return s, err
		}
	}
	if elementwise {
		p := s.parts[0]
		a := c * sts[0].sy.scale * sts[0].sx.scale
		n := og.n()
		out.m = r.pool.owned(p.m, n)
		if r.o.NTK {
			out.t = r.pool.owned(p.t, n)
		}
		if r.fuse {
			// The layer that follows scales the rows it computes (an
			// activation: only the rows dy <= H/2, so out keeps half).
			out.half = p.half
			out.pre = func(_, _, _ int, mr, tr []float64) {
				for i := range mr {
					mr[i] = sb2 + a*mr[i]
				}
				for i := range tr {
					tr[i] = mr[i] + a*tr[i]
				}
			}
			return state{parts: []part{out}}, nil
		}
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

	if l.Stride == 1 && og.phases() > 1 {
		return r.convInPlace(l, s, og, c, sb2, cin)
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

// convBlock is the width of the offset blocks of convInPlace: all phases of
// one block (P^2 * convBlock values) stay in cache while the taps are
// summed.
const convBlock = 64

// convInPlace applies a stride-1 conv to a tensor whose (largest) period
// is above 1, in place in the buffer of the part with the largest period:
// a stride-1 conv only combines values at the same offset d, so the
// output at offsets [d, d+convBlock) of every phase depends on the input
// at those offsets alone. Each block of the main part is copied to a
// scratch buffer, and the output is written over it. The other parts are
// only read.
func (r *run) convInPlace(l arch.Conv, s state, og geom, c, sb2 float64, cin int) (state, error) {
	main := -1
	for i, p := range s.parts {
		if p.g.px == og.px && main < 0 {
			main = i
		}
	}
	mp := s.parts[main]
	n := og.n()
	out := part{g: og, ch: l.Out, gauss: true}
	out.m = r.pool.owned(mp.m, n)
	if r.o.NTK {
		out.t = r.pool.owned(mp.t, n)
	}
	nph := og.phases()
	// Per-worker scratch: the main part's block and its x-tap sums, the
	// tap sums of every other part, and one accumulator row.
	scratchN := (2*nph + 1) * convBlock
	for i, p := range s.parts {
		if i != main {
			scratchN += p.g.phases() * convBlock
		}
	}
	r.needScratch(scratchN)
	if !r.dry {
		R := (l.K - 1) / 2
		Ry := R
		if og.dims == 1 {
			Ry = 0
		}
		type src struct {
			data   []float64
			py, px int
			r      float64
		}
		field := func(get func(part) *buffer) []src {
			var ss []src
			for i, p := range s.parts {
				if i == main {
					continue
				}
				ss = append(ss, src{data: get(p).data[:p.g.n()], py: p.g.py, px: p.g.px, r: float64(p.ch) / float64(cin)})
			}
			return ss
		}
		npts := og.points()
		W := og.w
		nb := (W + convBlock - 1) / convBlock
		blocks := og.h * nb
		rMain := float64(mp.ch) / float64(cin)
		// pass computes dst = base + c * sum_t (rMain main[(p+t)] + sum_i r_i other_i[(p+t)])
		// over the block, where main is read from the scratch copy.
		pass := func(buf []float64, others []src, base []float64, beta float64) error {
			return r.parallelW(blocks, func(w, lo, hi int) {
				// scratch: the main part's block; tx: its sums over the x
				// taps; os: per other part, the tap sums for each of its
				// phases; acc: one output row. All carved from the
				// worker's scratch.
				buf0 := r.scratchFor(w, scratchN)
				carve := func(n int) []float64 {
					b := buf0[:n:n]
					buf0 = buf0[n:]
					return b
				}
				scratch := carve(nph * convBlock)
				tx := carve(nph * convBlock)
				os := make([][]float64, len(others))
				for i, o := range others {
					os[i] = carve(o.py * o.px * convBlock)
				}
				acc := carve(convBlock)
				for blk := lo; blk < hi; blk++ {
					dy, bx := blk/nb, blk%nb
					d0 := dy*W + bx*convBlock
					bw := min(convBlock, W-bx*convBlock)
					for p := 0; p < nph; p++ {
						copy(scratch[p*convBlock:p*convBlock+bw], buf[p*npts+d0:])
					}
					for py := 0; py < og.py; py++ {
						for px := 0; px < og.px; px++ {
							t := tx[(py*og.px+px)*convBlock:][:bw]
							if R == 1 {
								row := scratch[py*og.px*convBlock:]
								sum3(t, row[mod(px-1, og.px)*convBlock:], row[px*convBlock:], row[mod(px+1, og.px)*convBlock:], 1)
								continue
							}
							clear(t)
							for dx := -R; dx <= R; dx++ {
								floats.Add(t, scratch[(py*og.px+mod(px+dx, og.px))*convBlock:][:bw])
							}
						}
					}
					for i, o := range others {
						for py := 0; py < o.py; py++ {
							for px := 0; px < o.px; px++ {
								t := os[i][(py*o.px+px)*convBlock:][:bw]
								clear(t)
								for ty := -Ry; ty <= Ry; ty++ {
									for dx := -R; dx <= R; dx++ {
										q := mod(py+ty, o.py)*o.px + mod(px+dx, o.px)
										floats.Add(t, o.data[q*npts+d0:][:bw])
									}
								}
							}
						}
					}
					for py := 0; py < og.py; py++ {
						for px := 0; px < og.px; px++ {
							a := acc[:bw]
							if Ry == 1 {
								col := tx[px*convBlock:]
								w := og.px * convBlock
								sum3(a, col[mod(py-1, og.py)*w:], col[py*w:], col[mod(py+1, og.py)*w:], rMain)
							} else {
								clear(a)
								for ty := -Ry; ty <= Ry; ty++ {
									floats.Add(a, tx[(mod(py+ty, og.py)*og.px+px)*convBlock:][:bw])
								}
								for j := range a {
									a[j] *= rMain
								}
							}
							for i, o := range others {
								q := (py%o.py)*o.px + px%o.px
								floats.AddScaled(a, o.r, os[i][q*convBlock:][:bw])
							}
							ph := py*og.px + px
							dst := buf[ph*npts+d0:][:bw]
							if base == nil {
								for j := range dst {
									dst[j] = beta + c*a[j]
								}
							} else {
								b := base[ph*npts+d0:][:bw]
								for j := range dst {
									dst[j] = b[j] + c*a[j]
								}
							}
						}
					}
				}
			})
		}
		if err := pass(out.m.data[:n], field(func(p part) *buffer { return p.m }), nil, sb2); err != nil {
			return s, err
		}
		if r.o.NTK {
			if err := pass(out.t.data[:n], field(func(p part) *buffer { return p.t }), out.m.data[:n], 0); err != nil {
				return s, err
			}
		}
	}
	for i, p := range s.parts {
		if i != main {
			r.pool.release(p.m)
			r.pool.release(p.t)
		}
	}
	return state{parts: []part{out}}, nil
}

// sum3 sets dst[j] = (0 + a[j] + b[j] + c[j]) * s, summed left to right:
// the same operations as clearing dst, adding a, b and c in turn and
// scaling, in one pass.
func sum3(dst, a, b, c []float64, s float64) {
	a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
	for j := range dst {
		dst[j] = (0 + a[j] + b[j] + c[j]) * s
	}
}
