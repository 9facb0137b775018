package kernel

import (
	"math"
	"math/cmplx"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Exact draws of (cyclo)stationary Gaussian fields and estimation of
// (cyclo)stationary second moments from sampled fields, for the exact
// batch-norm rule (docs/batchnorm.md).
//
// A field z of period P on an N-point grid is written in polyphase form:
// z_p(u) = z(P u + p) for the P^D phases p and the M^D coarse points u
// (M = N / P per axis). The components are jointly stationary over u with
// cross-covariances C_pq(delta) = E[z_p(u) z_q(u + delta)] = k[p][P delta +
// q - p], so their spectral density S_pq(w) = sum_delta C_pq(delta)
// exp(-2 pi i w.delta / M) is, for every coarse frequency w, a Hermitian
// positive semi-definite P^D x P^D matrix (docs/theory.md section 4's
// blocks, in another basis). With S(w) = L(w) L(w)^H and xi(w) standard
// complex normal vectors, z_p(u) = M^(-D/2) sum_w (L xi)_p(w) exp(-2 pi i
// w.u / M) has E[z z^H] = C and E[z z^T] = 0, so sqrt(2) Re z and
// sqrt(2) Im z are two independent exact draws. Factoring costs
// M^D P^(3D) / 3 complex operations once; a draw costs M^D P^(2D) plus P^D
// FFTs of M^D points.

// polyGeom is the polyphase split of a geometry.
type polyGeom struct {
	g      geom
	my, mx int // coarse points per axis
	nph    int // phases
	nm     int // coarse points
}

func newPolyGeom(g geom) polyGeom {
	return polyGeom{g: g, my: g.h / g.py, mx: g.w / g.px, nph: g.phases(), nm: (g.h / g.py) * (g.w / g.px)}
}

// fft2 is a 2-D complex FFT over a my x mx array (row-major).
type fft2 struct {
	my, mx int
	fy, fx *fourier.CmplxFFT
	col    []complex128
}

func newFFT2(my, mx int) *fft2 {
	return &fft2{my: my, mx: mx, fy: fourier.NewCmplxFFT(my), fx: fourier.NewCmplxFFT(mx), col: make([]complex128, my)}
}

// forward replaces a by sum_u a(u) exp(-2 pi i w.u / M) (inverse: the
// sign +), unnormalized.
func (f *fft2) transform(a []complex128, inverse bool) {
	tr := f.fx.Coefficients
	tc := f.fy.Coefficients
	if inverse {
		tr, tc = f.fx.Sequence, f.fy.Sequence
	}
	if f.mx > 1 {
		for y := 0; y < f.my; y++ {
			row := a[y*f.mx : (y+1)*f.mx]
			tr(row, row)
		}
	}
	if f.my > 1 {
		for x := 0; x < f.mx; x++ {
			for y := range f.col {
				f.col[y] = a[y*f.mx+x]
			}
			tc(f.col, f.col)
			for y := range f.col {
				a[y*f.mx+x] = f.col[y]
			}
		}
	}
}

// fieldSampler draws exact Gaussian fields with a given map as covariance.
type fieldSampler struct {
	pg polyGeom
	l  []complex128 // per coarse frequency, an nph x nph lower factor
}

// newFieldSampler factors the spectral blocks of the map k (geometry g).
func (r *run) newFieldSampler(g geom, k []float64) (*fieldSampler, error) {
	pg := newPolyGeom(g)
	nph, nm := pg.nph, pg.nm
	s := make([]complex128, nm*nph*nph) // [w][p][q]
	err := r.parallel(nph, func(lo, hi int) {
		f := newFFT2(pg.my, pg.mx)
		a := make([]complex128, nm)
		for p := lo; p < hi; p++ {
			py, px := p/g.px, p%g.px
			for q := 0; q < nph; q++ {
				qy, qx := q/g.px, q%g.px
				for dy := 0; dy < pg.my; dy++ {
					oy := ((g.py*dy+qy-py)%g.h + g.h) % g.h
					for dx := 0; dx < pg.mx; dx++ {
						ox := ((g.px*dx+qx-px)%g.w + g.w) % g.w
						a[dy*pg.mx+dx] = complex(k[p*g.points()+oy*g.w+ox], 0)
					}
				}
				f.transform(a, false)
				for w, v := range a {
					s[(w*nph+p)*nph+q] = v
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	err = r.parallel(nm, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			cholPSD(s[w*nph*nph:(w+1)*nph*nph], nph)
		}
	})
	if err != nil {
		return nil, err
	}
	return &fieldSampler{pg: pg, l: s}, nil
}

// cholPSD replaces the Hermitian n x n matrix a (row-major, lower
// triangle read) by a factor L with L L^H = a, by Cholesky with diagonal
// pivoting (the largest remaining diagonal first), stopping when that is
// below 1e-12 of the largest diagonal value: exact for a positive
// semi-definite matrix up to that tolerance. A matrix that is not
// semi-definite (a Monte Carlo estimate from few fields) gets a factor of
// its dominant positive part with entries of the order of the square root
// of the largest diagonal value; without the pivoting a tiny positive
// pivot would blow the factor up. L is not triangular: row p
// holds the coefficients of phase p.
func cholPSD(a []complex128, n int) {
	d := make([]float64, n)
	perm := make([]int, n)
	var dmax float64
	for j := range d {
		d[j] = real(a[j*n+j])
		perm[j] = j
		dmax = math.Max(dmax, d[j])
	}
	tol := 1e-12 * dmax
	l := make([]complex128, n*n)
	for k := 0; k < n; k++ {
		piv := k
		for i := k + 1; i < n; i++ {
			if d[perm[i]] > d[perm[piv]] {
				piv = i
			}
		}
		perm[k], perm[piv] = perm[piv], perm[k]
		pk := perm[k]
		if !(d[pk] > tol) {
			break
		}
		lkk := math.Sqrt(d[pk])
		l[pk*n+k] = complex(lkk, 0)
		rk := l[pk*n : pk*n+k]
		for i := k + 1; i < n; i++ {
			pi := perm[i]
			var v complex128
			if pi > pk { // the lower triangle holds a(max, min)
				v = a[pi*n+pk]
			} else {
				v = cmplx.Conj(a[pk*n+pi])
			}
			for j, x := range l[pi*n : pi*n+k] {
				v -= x * cmplx.Conj(rk[j])
			}
			v /= complex(lkk, 0)
			l[pi*n+k] = v
			d[pi] -= real(v)*real(v) + imag(v)*imag(v)
		}
	}
	copy(a, l)
}

// draw fills f1 and f2 (N points each, row-major) with two independent
// exact draws, using rng for the complex normals (drawn in a fixed order).
// xi is scratch of nm*nph values, work of nm*nph values.
func (fs *fieldSampler) draw(r *run, rng *rand.Rand, xi, work []complex128, f1, f2 []float64) error {
	pg := fs.pg
	nph, nm := pg.nph, pg.nm
	for i := range xi {
		xi[i] = complex(rng.NormFloat64(), rng.NormFloat64()) / math.Sqrt2
	}
	// work[p][w] = (L xi)_p(w)
	if err := r.parallel(nm, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			l := fs.l[w*nph*nph:]
			x := xi[w*nph : (w+1)*nph]
			for p := 0; p < nph; p++ {
				var v complex128
				for q, lv := range l[p*nph : (p+1)*nph] {
					v += lv * x[q]
				}
				work[p*nm+w] = v
			}
		}
	}); err != nil {
		return err
	}
	g := pg.g
	scale := math.Sqrt2 / math.Sqrt(float64(nm))
	return r.parallel(nph, func(lo, hi int) {
		f := newFFT2(pg.my, pg.mx)
		for p := lo; p < hi; p++ {
			a := work[p*nm : (p+1)*nm]
			f.transform(a, false)
			py, px := p/g.px, p%g.px
			for uy := 0; uy < pg.my; uy++ {
				for ux := 0; ux < pg.mx; ux++ {
					v := a[uy*pg.mx+ux] * complex(scale, 0)
					x := (g.py*uy+py)*g.w + g.px*ux + px
					f1[x] = real(v)
					f2[x] = imag(v)
				}
			}
		}
	})
}

// spectralAcc accumulates sum_fields conj(F_p(w)) F_q(w) (times a sign
// per field) for fields of geometry g: the polyphase cross-spectra from
// which the second-moment map is read.
type spectralAcc struct {
	pg  polyGeom
	acc []complex128 // [w][p][q]
	n   int          // fields accumulated (the count divides at read-out)
}

func newSpectralAcc(g geom) *spectralAcc {
	pg := newPolyGeom(g)
	return &spectralAcc{pg: pg, acc: make([]complex128, pg.nm*pg.nph*pg.nph)}
}

// polyDFT returns the polyphase DFTs F[p][w] of a real field.
func (r *run) polyDFT(pg polyGeom, f []float64, out []complex128) error {
	g := pg.g
	return r.parallel(pg.nph, func(lo, hi int) {
		ft := newFFT2(pg.my, pg.mx)
		for p := lo; p < hi; p++ {
			py, px := p/g.px, p%g.px
			a := out[p*pg.nm : (p+1)*pg.nm]
			for uy := 0; uy < pg.my; uy++ {
				for ux := 0; ux < pg.mx; ux++ {
					a[uy*pg.mx+ux] = complex(f[(g.py*uy+py)*g.w+g.px*ux+px], 0)
				}
			}
			ft.transform(a, false)
		}
	})
}

// add accumulates sign * conj(F_p) F_q for the polyphase DFTs F ([p][w]).
func (r *run) accAdd(sa *spectralAcc, F []complex128, sign float64) error {
	pg := sa.pg
	nph, nm := pg.nph, pg.nm
	return r.parallel(nm, func(lo, hi int) {
		v := make([]complex128, nph)
		for w := lo; w < hi; w++ {
			for p := range v {
				v[p] = F[p*nm+w]
			}
			a := sa.acc[w*nph*nph:]
			for p, fp := range v {
				c := cmplx.Conj(fp) * complex(sign, 0)
				row := a[p*nph : (p+1)*nph]
				for q, fq := range v {
					row[q] += c * fq
				}
			}
		}
	})
}

// readMap writes (1/count) times the second-moment map of the accumulated
// spectra into k (geometry pg.g) and clears the accumulator:
// k[p][P delta + q - p] = M^(-2D) sum_w acc_pq(w) exp(2 pi i w.delta / M) / count.
func (r *run) readMap(sa *spectralAcc, count int, k []float64) error {
	pg := sa.pg
	g := pg.g
	nph, nm := pg.nph, pg.nm
	scale := 1 / (float64(nm) * float64(nm) * float64(count))
	return r.parallel(nph, func(lo, hi int) {
		ft := newFFT2(pg.my, pg.mx)
		a := make([]complex128, nm)
		for p := lo; p < hi; p++ {
			py, px := p/g.px, p%g.px
			for q := 0; q < nph; q++ {
				qy, qx := q/g.px, q%g.px
				for w := range a {
					a[w] = sa.acc[(w*nph+p)*nph+q]
					sa.acc[(w*nph+p)*nph+q] = 0
				}
				ft.transform(a, true)
				for dy := 0; dy < pg.my; dy++ {
					oy := ((g.py*dy+qy-py)%g.h + g.h) % g.h
					for dx := 0; dx < pg.mx; dx++ {
						ox := ((g.px*dx+qx-px)%g.w + g.w) % g.w
						k[p*g.points()+oy*g.w+ox] = real(a[dy*pg.mx+dx]) * scale
					}
				}
			}
		}
	})
}
