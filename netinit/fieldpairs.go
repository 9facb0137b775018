package netinit

// The estimate by pairs of phases (docs/theory.md section 9). Write a
// grid point as x = q + P y, q its phase and y its point on the
// sub-lattice of phase q (hs x ws points), and an offset as d = r + P d'.
// Then x + d = s + P (y + d' + e), s = q + r - P e the phase of x + d and
// e (per axis) 1 when q + r wraps past P, else 0. So
//
//	sum_{x of phase q} f(x) f(x+d) = C_qs(d' + e),  C_qs(t) = sum_y g_q(y) g_s(y + t)
//
// with g_q(y) = (region * f)(q + P y): every entry of the estimate is one
// value of the cyclic cross-correlation of two sub-lattice series. With
// G_q the DFT of g_q over the sub-lattice (M = hs*ws points),
// C_qs(t) = (1/M) sum_k conj(G_q(k)) G_s(k) exp(2 pi i k.t / M), and
// C_sq(t) = C_qs(-t): the pairs q <= s suffice, and, C_qs being real, two
// pairs share one complex inverse transform (X_a + i X_b). For P = 8 on
// 64 x 64 that is 1040 inverse transforms of 8 x 8 points instead of 64
// of 64 x 64, all done at once as vector FFTs (vfft).

// pairsOK reports whether Estimate can go by pairs of phases: more than
// one phase and sub-lattice sides that are powers of 2.
func (e *Field) pairsOK() bool {
	_, _, _, hs, ws := e.grid()
	return len(e.masks) > 1 && isPow2(hs) && isPow2(ws)
}

// preparePairs makes the vector FFTs and the list of pairs q <= s.
func (e *Field) preparePairs() {
	if !e.pairsOK() {
		return
	}
	_, _, _, hs, ws := e.grid()
	e.tx, e.ty = newVFFT(ws), newVFFT(hs)
	q := len(e.masks)
	e.pairs = make([][2]int, 0, q*(q+1)/2)
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			e.pairs = append(e.pairs, [2]int{a, b})
		}
	}
}

// grow returns b with length n, reallocated when too short.
func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// estimatePairs writes into dst the sums sum_c sum_{x of phase q} f_c(x)
// f_c(x+d) (region applied), not yet divided by the counts.
func (e *Field) estimatePairs(dst []float64, f []float32, channels int) {
	n := len(e.region)
	_, w, py, hs, ws := e.grid()
	period, phases, m := e.Period, len(e.masks), hs*ws
	// Sub-lattice series of every channel and phase, as vectors over
	// (channel, phase) at every sub-lattice point, then their spectra.
	vg := channels * phases
	e.gRe, e.gIm = grow(e.gRe, m*vg), grow(e.gIm, m*vg)
	clear(e.gIm)
	for c := 0; c < channels; c++ {
		fc := f[c*n : (c+1)*n]
		for q := 0; q < phases; q++ {
			qy, qx := q/period, q%period
			v := c*phases + q
			for yy := 0; yy < hs; yy++ {
				row := (qy+py*yy)*w + qx
				for xx := 0; xx < ws; xx++ {
					x := row + period*xx
					e.gRe[(yy*ws+xx)*vg+v] = float64(fc[x]) * e.region[x]
				}
			}
		}
	}
	grid2(e.tx, e.ty, e.gRe, e.gIm, vg, hs, ws, false)
	// Cross spectra of the pairs, two to a complex vector: X_a + i X_b,
	// a block of vectors at a time (bounded memory on large grids).
	np := len(e.pairs)
	u := (np + 1) / 2
	block := max(1, min(u, pairBlock/m))
	e.zRe, e.zIm = grow(e.zRe, m*block), grow(e.zIm, m*block)
	val := make([]float64, m)
	for u0 := 0; u0 < u; u0 += block {
		nb := min(block, u-u0)
		zRe, zIm := e.zRe[:m*nb], e.zIm[:m*nb]
		for k := 0; k < m; k++ {
			gr, gi := e.gRe[k*vg:(k+1)*vg], e.gIm[k*vg:(k+1)*vg]
			zr, zi := zRe[k*nb:(k+1)*nb], zIm[k*nb:(k+1)*nb]
			for j := range zr {
				ar, ai := cross(gr, gi, e.pairs[2*(u0+j)], channels, phases)
				var br, bi float64
				if 2*(u0+j)+1 < np {
					br, bi = cross(gr, gi, e.pairs[2*(u0+j)+1], channels, phases)
				}
				zr[j], zi[j] = ar-bi, ai+br
			}
		}
		grid2(e.tx, e.ty, zRe, zIm, nb, hs, ws, true)
		inv := 1 / float64(m)
		for i := 2 * u0; i < min(np, 2*(u0+nb)); i++ {
			src := zRe
			if i%2 == 1 {
				src = zIm
			}
			j := i/2 - u0
			for t := range val {
				val[t] = src[t*nb+j] * inv
			}
			pr := e.pairs[i]
			e.scatter(dst, pr[0], pr[1], val, false)
			if pr[0] != pr[1] {
				e.scatter(dst, pr[1], pr[0], val, true)
			}
		}
	}
}

// pairBlock bounds the numbers held per part (real, imaginary) of the
// cross spectra at once: sub-lattice points times vectors (a variable
// so that tests can make the blocks small).
var pairBlock = 1 << 17

// cross returns sum_c conj(G_cq(k)) G_cs(k) for the pair (q, s), from the
// spectra gr + i gi at one frequency k.
func cross(gr, gi []float64, pr [2]int, channels, phases int) (re, im float64) {
	for c := 0; c < channels; c++ {
		a, b := c*phases+pr[0], c*phases+pr[1]
		re += gr[a]*gr[b] + gi[a]*gi[b]
		im += gr[a]*gi[b] - gi[a]*gr[b]
	}
	return re, im
}

// wrapAxis returns, along one axis of period p, the offset phase r from
// phase q to phase s and the wrap e (1 when q + r passes p).
func wrapAxis(q, s, p int) (r, e int) {
	if s >= q {
		return s - q, 0
	}
	return s - q + p, 1
}

// scatter writes the correlation val(t) = C_qs(t) of phases q (first) and
// s into the row of phase q of dst, at the offsets d = r + P (t - e); with
// mirror, val is C_sq and C_qs(t) = val(-t).
func (e *Field) scatter(dst []float64, q, s int, val []float64, mirror bool) {
	n := len(e.region)
	_, w, py, hs, ws := e.grid()
	p := e.Period
	ry, ey := wrapAxis(q/p, s/p, py)
	rx, ex := wrapAxis(q%p, s%p, p)
	row := dst[q*n : (q+1)*n]
	for ty := 0; ty < hs; ty++ {
		sy := ty
		if mirror {
			sy = (hs - ty) % hs
		}
		dy := ry + py*((ty-ey+hs)%hs)
		for tx := 0; tx < ws; tx++ {
			sx := tx
			if mirror {
				sx = (ws - tx) % ws
			}
			row[dy*w+rx+p*((tx-ex+ws)%ws)] = val[sy*ws+sx]
		}
	}
}
