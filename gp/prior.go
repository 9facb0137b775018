package gp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/kernel"
)

// Approx says whether NewPrior may replace a cyclostationary map by its
// phase-averaged (stationary) map.
type Approx int

const (
	// Auto factorizes the Fourier blocks exactly when the estimated work
	// (ExactWork) is within PriorOptions.MaxWork, and otherwise uses the
	// phase-averaged map.
	Auto Approx = iota
	// Exact always factorizes the blocks, however long it takes.
	Exact
	// PhaseAverage always uses the phase-averaged map.
	PhaseAverage
)

// DefaultMaxWork is the default work budget of Auto, in the units of
// ExactWork: about 20 s single-threaded (a period of 8 at 512 x 512 fits,
// a period of 16 at 256 x 256 does not).
const DefaultMaxWork = 5e9

// PriorOptions control NewPrior.
type PriorOptions struct {
	// Approx selects exact block factorization or the phase average.
	Approx Approx
	// MaxWork is the work budget of Auto (0: DefaultMaxWork).
	MaxWork float64
	// Workers is the number of goroutines (0: GOMAXPROCS). Results do not
	// depend on it.
	Workers int
}

// Prior is a covariance on the periodic grid in diagonalized form, built
// once from a kernel.Map and then used for spectra, samples, regression
// and predicted dynamics. Its modes are the Fourier modes (stationary
// maps) or the eigenvectors of the coupled Fourier blocks (cyclostationary
// maps); see the package documentation. A Prior is safe for concurrent use.
type Prior struct {
	m       kernel.Map // the map represented (the phase average if approximated)
	period  int        // period of the map given to NewPrior
	approx  bool       // a cyclostationary map was replaced by its phase average
	nonstat float64    // NonStationarity of the given map

	h, w, n, wh int // grid (h = 1 in 1-D), points, half-spectrum width
	py, px      int // period per axis (py = 1 in 1-D)
	plan        *fft2.Plan
	workers     int

	// Modes: eigenvalue, multiplicity (weight in traces and log
	// determinants) and energy factor (weight in inner products).
	lam, wt, ef []float64

	blocks []block // nil for a stationary representation
}

// block is one representative Fourier block (the other of a mirror pair
// is its complex conjugate).
type block struct {
	freq []int     // full-spectrum indices of the block's frequencies
	self bool      // the block is its own mirror
	off  int       // first mode of the block
	q    []float64 // 2n x 2n row-major eigenvectors (columns) of the real form
}

// NewPrior diagonalizes the covariance of the map m. A map whose period is
// larger than 1 but whose phases all agree is treated as stationary.
func NewPrior(m kernel.Map, o PriorOptions) (*Prior, error) {
	return NewPriorContext(context.Background(), m, o)
}

// NewPriorContext is NewPrior that stops when ctx is cancelled: the exact
// factorization of a cyclostationary map checks ctx before each Fourier
// block and returns ctx's error.
func NewPriorContext(ctx context.Context, m kernel.Map, o PriorOptions) (*Prior, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	p := &Prior{period: m.Period, workers: o.Workers}
	if p.workers <= 0 {
		p.workers = runtime.GOMAXPROCS(0)
	}
	p.nonstat = m.NonStationarity()
	switch {
	case m.Period == 1:
	case p.nonstat == 0:
		m = m.Stationary()
	case o.Approx == PhaseAverage:
		m = m.Stationary()
		p.approx = true
	case o.Approx == Auto:
		budget := o.MaxWork
		if budget <= 0 {
			budget = DefaultMaxWork
		}
		if ExactWork(m) > budget {
			m = m.Stationary()
			p.approx = true
		}
	}
	p.m = m
	p.setGrid(m)
	var err error
	if m.Period == 1 {
		err = p.initStationary()
	} else {
		err = p.initBlocks(ctx)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Prior) setGrid(m kernel.Map) {
	if m.Dims() == 1 {
		p.h, p.w = 1, m.Size[0]
		p.py, p.px = 1, m.Period
	} else {
		p.h, p.w = m.Size[0], m.Size[1]
		p.py, p.px = m.Period, m.Period
	}
	p.n = p.h * p.w
	p.wh = p.w/2 + 1
	p.plan = fft2.NewPlan(m.Size)
}

// ExactWork estimates the work of an exact factorization of m's Fourier
// blocks: the number of mirror pairs of blocks times (2 P^d)^3. One unit
// takes about 4 ns with gonum's symmetric eigensolver.
func ExactWork(m kernel.Map) float64 {
	if m.Period == 1 {
		return 0
	}
	nb := float64(m.Points() / m.Phases())
	n2 := 2 * float64(m.Phases())
	return (nb/2 + 1) * n2 * n2 * n2
}

// Map returns the map the Prior represents: the given map, or its phase
// average when Approximated.
func (p *Prior) Map() kernel.Map { return p.m }

// Size returns the grid size.
func (p *Prior) Size() []int { return append([]int(nil), p.m.Size...) }

// Points returns the number of grid points.
func (p *Prior) Points() int { return p.n }

// Approximated reports whether a cyclostationary map was replaced by its
// phase-averaged map.
func (p *Prior) Approximated() bool { return p.approx }

// NonStationarity returns ||k - kbar||^2 / ||k||^2 of the map given to
// NewPrior, which is also the fraction of the covariance's Frobenius energy
// off the diagonal of the Fourier basis.
func (p *Prior) NonStationarity() float64 { return p.nonstat }

// Note describes the representation in one sentence, for reports.
func (p *Prior) Note() string {
	switch {
	case p.approx:
		return fmt.Sprintf("approximation: the period-%d map was replaced by its phase average (stationary); off-diagonal Fourier energy %.3g", p.period, p.nonstat)
	case p.blocks != nil:
		return fmt.Sprintf("exact: %d coupled Fourier blocks of %d frequencies (period %d)", p.n/(p.py*p.px), p.py*p.px, p.period)
	case p.period > 1:
		return fmt.Sprintf("exact: the period-%d map is stationary; diagonal in the Fourier basis", p.period)
	default:
		return "exact: stationary map, diagonal in the Fourier basis"
	}
}

// MaxEigenvalue returns the largest eigenvalue of the covariance.
func (p *Prior) MaxEigenvalue() float64 {
	mx := 0.0
	for _, l := range p.lam {
		mx = math.Max(mx, l)
	}
	return mx
}

// MeanEigenvalue returns the mean eigenvalue (the mean variance).
func (p *Prior) MeanEigenvalue() float64 {
	var s float64
	for j, l := range p.lam {
		s += p.wt[j] * l
	}
	return s / float64(p.n)
}

func (p *Prior) initStationary() error {
	nm := p.h * p.wh
	half := make([]complex128, nm)
	p.plan.RealForward(half, p.m.Data)
	p.lam = make([]float64, nm)
	p.wt = make([]float64, nm)
	p.ef = make([]float64, nm)
	for j, v := range half {
		kx := j % p.wh
		mult := 2.0
		if kx == 0 || 2*kx == p.w {
			mult = 1
		}
		p.lam[j] = real(v)
		p.wt[j] = mult
		p.ef[j] = mult / float64(p.n)
	}
	return p.checkPSD()
}

// checkPSD clips rounding-level negative eigenvalues to zero and rejects
// clearly negative ones.
func (p *Prior) checkPSD() error {
	mx, mn := 0.0, 0.0
	for _, l := range p.lam {
		mx = math.Max(mx, l)
		mn = math.Min(mn, l)
	}
	if mx <= 0 {
		return errors.New("gp: the kernel map has no positive eigenvalue (an all-zero covariance); check the map")
	}
	if mn < -1e-8*mx {
		return fmt.Errorf("gp: the kernel map is not positive semidefinite: eigenvalue %.3g with largest %.3g; a Monte Carlo map may need more samples, or symmetrize it", mn, mx)
	}
	for j, l := range p.lam {
		if l < 0 {
			p.lam[j] = 0
		}
	}
	return nil
}

// neg returns the full-spectrum index of -f.
func (p *Prior) neg(f int) int {
	fy, fx := f/p.w, f%p.w
	return ((p.h-fy)%p.h)*p.w + (p.w-fx)%p.w
}

// blockFreqs returns the frequencies of the block with base (a, b), in the
// order m = my*px + mx of the block's rows.
func (p *Prior) blockFreqs(a, b int) []int {
	my, mx := p.h/p.py, p.w/p.px
	f := make([]int, 0, p.py*p.px)
	for iy := 0; iy < p.py; iy++ {
		for ix := 0; ix < p.px; ix++ {
			f = append(f, (a+my*iy)*p.w+b+mx*ix)
		}
	}
	return f
}

// repBlocks lists the representative blocks: (a, b) with a block index not
// larger than its mirror's, and whether each is its own mirror.
func (p *Prior) repBlocks() (bases [][2]int, self []bool) {
	my, mx := p.h/p.py, p.w/p.px
	for a := 0; a < my; a++ {
		for b := 0; b < mx; b++ {
			ma, mb := (my-a)%my, (mx-b)%mx
			bi, mi := a*mx+b, ma*mx+mb
			if bi <= mi {
				bases = append(bases, [2]int{a, b})
				self = append(self, bi == mi)
			}
		}
	}
	return bases, self
}

// couplings returns ghat[q][w] = P^-d sum_p g_p(w) exp(-2 pi i q.p/P),
// g_p(w) = sum_d k[p][d] exp(2 pi i w.d/N) (docs/theory.md section 4), for every
// phase-frequency q and full-spectrum frequency w.
func couplings(m kernel.Map, plan *fft2.Plan, py, px, workers int) [][]complex128 {
	np := py * px
	n := m.Points()
	g := make([][]complex128, np)
	parallel(np, workers, func(lo, hi int) {
		for ph := lo; ph < hi; ph++ {
			f := plan.ForwardReal(m.Data[ph*n : (ph+1)*n])
			for i, v := range f {
				f[i] = complex(real(v), -imag(v))
			}
			g[ph] = f
		}
	})
	twy := twiddles(py)
	twx := twiddles(px)
	inv := 1 / float64(np)
	parallel(n, workers, func(lo, hi int) {
		t := make([]complex128, np)
		u := make([]complex128, np)
		for w := lo; w < hi; w++ {
			for ph := 0; ph < np; ph++ {
				t[ph] = g[ph][w]
			}
			// DFT over py, then over px, both with exp(-2 pi i q p / P).
			for qy := 0; qy < py; qy++ {
				for ix := 0; ix < px; ix++ {
					var s complex128
					for iy := 0; iy < py; iy++ {
						s += t[iy*px+ix] * twy[(qy*iy)%py]
					}
					u[qy*px+ix] = s
				}
			}
			for qy := 0; qy < py; qy++ {
				for qx := 0; qx < px; qx++ {
					var s complex128
					for ix := 0; ix < px; ix++ {
						s += u[qy*px+ix] * twx[(qx*ix)%px]
					}
					g[qy*px+qx][w] = s * complex(inv, 0)
				}
			}
		}
	})
	return g
}

// twiddles returns exp(-2 pi i k / n) for k < n.
func twiddles(n int) []complex128 {
	t := make([]complex128, n)
	for k := range t {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		t[k] = complex(c, s)
	}
	return t
}

// realForm returns the real symmetric 2n x 2n form [[Re B, -Im B],
// [Im B, Re B]] of the Hermitian block B(w0)[m][m'] = ghat_{m-m'}(w0+M m'),
// symmetrized against rounding.
func (p *Prior) realForm(ghat [][]complex128, freq []int) *mat.SymDense {
	n := len(freq)
	r := mat.NewSymDense(2*n, nil)
	for i := 0; i < n; i++ {
		iy, ix := i/p.px, i%p.px
		for j := i; j < n; j++ {
			jy, jx := j/p.px, j%p.px
			qij := ((iy-jy+p.py)%p.py)*p.px + (ix-jx+p.px)%p.px
			qji := ((jy-iy+p.py)%p.py)*p.px + (jx-ix+p.px)%p.px
			bij := ghat[qij][freq[j]]
			bji := ghat[qji][freq[i]]
			// Hermitian: B[i][j] = conj(B[j][i]); average the two.
			re := (real(bij) + real(bji)) / 2
			im := (imag(bij) - imag(bji)) / 2
			r.SetSym(i, j, re)
			r.SetSym(n+i, n+j, re)
			r.SetSym(i, n+j, -im) // top right: -Im B[i][j]
			r.SetSym(j, n+i, im)  // top right at (j, i): -Im B[j][i] = Im B[i][j]
		}
	}
	return r
}

func (p *Prior) initBlocks(ctx context.Context) error {
	ghat := couplings(p.m, p.plan, p.py, p.px, p.workers)
	bases, self := p.repBlocks()
	n := p.py * p.px
	p.blocks = make([]block, len(bases))
	nm := 0
	for i := range bases {
		p.blocks[i].off = nm
		nm += 2 * n
	}
	p.lam = make([]float64, nm)
	p.wt = make([]float64, nm)
	p.ef = make([]float64, nm)
	var mu sync.Mutex
	var firstErr error
	parallel(len(bases), p.workers, func(lo, hi int) {
		var es mat.EigenSym
		var vec mat.Dense
		for i := lo; i < hi; i++ {
			if ctx.Err() != nil {
				return
			}
			b := &p.blocks[i]
			b.freq = p.blockFreqs(bases[i][0], bases[i][1])
			b.self = self[i]
			r := p.realForm(ghat, b.freq)
			if !es.Factorize(r, true) {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("gp: the eigensolver failed on Fourier block %v; the map may hold extreme values", bases[i])
				}
				mu.Unlock()
				continue
			}
			vals := es.Values(nil)
			es.VectorsTo(&vec)
			b.q = make([]float64, 4*n*n)
			for row := 0; row < 2*n; row++ {
				for col := 0; col < 2*n; col++ {
					b.q[row*2*n+col] = vec.At(row, col)
				}
			}
			mult := 2.0
			if b.self {
				mult = 1
			}
			for k, v := range vals {
				j := b.off + k
				p.lam[j] = v
				p.wt[j] = mult / 2
				p.ef[j] = mult / float64(p.n)
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}
	return p.checkPSD()
}

// parallel runs f over [0, n) split into contiguous chunks on up to
// workers goroutines.
func parallel(n, workers int, f func(lo, hi int)) {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// modes returns the number of modes.
func (p *Prior) modes() int { return len(p.lam) }

// coords returns the mode coordinates of the real grid x: the half
// spectrum (stationary) or the real-form eigenvector coordinates of every
// block (stored as complex numbers with zero imaginary part). The map is
// an isometry from the grid to the modes with the inner product
// sum_j ef_j Re(a_j conj(b_j)).
func (p *Prior) coords(x []float64) []complex128 {
	c := make([]complex128, p.modes())
	if p.blocks == nil {
		p.plan.RealForward(c, x)
		return c
	}
	full := p.plan.ForwardReal(x)
	parallel(len(p.blocks), p.workers, func(lo, hi int) {
		n := p.py * p.px
		xi := make([]float64, 2*n)
		out := make([]float64, 2*n)
		for bi := lo; bi < hi; bi++ {
			b := &p.blocks[bi]
			for i, f := range b.freq {
				xi[i] = real(full[f])
				xi[n+i] = imag(full[f])
			}
			// out = Q^T xi.
			clear(out)
			for r := 0; r < 2*n; r++ {
				v := xi[r]
				if v == 0 {
					continue
				}
				row := b.q[r*2*n : (r+1)*2*n]
				for k, q := range row {
					out[k] += q * v
				}
			}
			for k, v := range out {
				c[b.off+k] = complex(v, 0)
			}
		}
	})
	return c
}

// spectrumHalf writes the half spectrum of the grid with mode coordinates
// c into half (length h*wh).
func (p *Prior) spectrumHalf(half, c []complex128) {
	if p.blocks == nil {
		copy(half, c)
		return
	}
	p.blockSpectrum(c, func(f int, v complex128) {
		if fx := f % p.w; fx < p.wh {
			half[(f/p.w)*p.wh+fx] = v
		}
	})
}

// spectrumFull returns the full spectrum of the grid with mode
// coordinates c.
func (p *Prior) spectrumFull(c []complex128) []complex128 {
	full := make([]complex128, p.n)
	if p.blocks == nil {
		for ky := 0; ky < p.h; ky++ {
			for kx := 0; kx < p.w; kx++ {
				if kx < p.wh {
					full[ky*p.w+kx] = c[ky*p.wh+kx]
				} else {
					v := c[((p.h-ky)%p.h)*p.wh+p.w-kx]
					full[ky*p.w+kx] = complex(real(v), -imag(v))
				}
			}
		}
		return full
	}
	p.blockSpectrum(c, func(f int, v complex128) { full[f] = v })
	return full
}

// blockSpectrum reconstructs the Fourier coefficients of every frequency
// from block mode coordinates and hands them to put (called concurrently
// for distinct frequencies).
func (p *Prior) blockSpectrum(c []complex128, put func(f int, v complex128)) {
	parallel(len(p.blocks), p.workers, func(lo, hi int) {
		n := p.py * p.px
		xi := make([]float64, 2*n)
		for bi := lo; bi < hi; bi++ {
			b := &p.blocks[bi]
			cb := c[b.off : b.off+2*n]
			for r := 0; r < 2*n; r++ {
				row := b.q[r*2*n : (r+1)*2*n]
				var s float64
				for k, q := range row {
					s += q * real(cb[k])
				}
				xi[r] = s
			}
			for i, f := range b.freq {
				v := complex(xi[i], xi[n+i])
				put(f, v)
				if !b.self {
					put(p.neg(f), complex(xi[i], -xi[n+i]))
				}
			}
		}
	})
}

// synth returns the real grid with mode coordinates c.
func (p *Prior) synth(c []complex128) []float64 {
	x := make([]float64, p.n)
	if p.blocks == nil {
		p.plan.RealInverse(x, c)
		return x
	}
	half := make([]complex128, p.h*p.wh)
	p.spectrumHalf(half, c)
	p.plan.RealInverse(x, half)
	return x
}

// scale multiplies mode coordinates by g(lambda_j) in place.
func (p *Prior) scale(c []complex128, g func(lambda float64) float64) {
	for j, l := range p.lam {
		f := g(l)
		c[j] = complex(real(c[j])*f, imag(c[j])*f)
	}
}

// Apply returns g(K) x for a function g of the eigenvalues and a real grid
// x of Points() values: for example g(l) = l gives K x, g(l) = sqrt(l) the
// symmetric square root.
func (p *Prior) Apply(g func(lambda float64) float64, x []float64) ([]float64, error) {
	if len(x) != p.n {
		return nil, fmt.Errorf("gp: Apply got %d values for a grid of %d points", len(x), p.n)
	}
	c := p.coords(x)
	p.scale(c, g)
	return p.synth(c), nil
}

// dot is the inner product of mode coordinates (equal to the grid inner
// product of the grids they represent).
func (p *Prior) dot(a, b []complex128) float64 {
	var s float64
	for j, e := range p.ef {
		s += e * (real(a[j])*real(b[j]) + imag(a[j])*imag(b[j]))
	}
	return s
}
