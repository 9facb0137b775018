package gp

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/kernel"
)

// Test maps are built as dense covariance matrices from independent
// constructions and read back with kernel.FromDense, so every check below
// compares against plain dense linear algebra.

// gridPoints returns the number of points of a size.
func gridPoints(size []int) int {
	n := 1
	for _, s := range size {
		n *= s
	}
	return n
}

// coordsOf returns (y, x) of flat point i (y = 0 in 1-D).
func coordsOf(size []int, i int) (int, int) {
	if len(size) == 1 {
		return 0, i
	}
	return i / size[1], i % size[1]
}

// denseStationary returns the dense covariance of a random stationary PSD
// kernel: k = autocorrelation of a random filter with a decaying envelope,
// plus a constant (which puts power at DC).
func denseStationary(size []int, seed uint64, width float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	n := gridPoints(size)
	h, w := 1, size[0]
	if len(size) == 2 {
		h, w = size[0], size[1]
	}
	// Random filter g on the grid (wrapped distances), then
	// K(x, x') = sum_z g(z - x) g(z - x'), which is PSD and stationary.
	g := make([]float64, n)
	for i := range g {
		y, x := coordsOf(size, i)
		dy := math.Min(float64(y), float64(h-y))
		dx := math.Min(float64(x), float64(w-x))
		g[i] = math.Exp(-(dx*dx+dy*dy)/(2*width*width)) * (1 + 0.3*rng.NormFloat64())
	}
	cov := make([]float64, n*n)
	for a := 0; a < n; a++ {
		ya, xa := coordsOf(size, a)
		for b := a; b < n; b++ {
			yb, xb := coordsOf(size, b)
			var s float64
			for z := 0; z < n; z++ {
				yz, xz := coordsOf(size, z)
				ia := ((yz-ya+h)%h)*w + (xz-xa+w)%w
				ib := ((yz-yb+h)%h)*w + (xz-xb+w)%w
				s += g[ia] * g[ib]
			}
			s += 0.05
			cov[a*n+b] = s
			cov[b*n+a] = s
		}
	}
	return cov
}

// denseModulated returns a(p(x)) a(p(x')) K0(x, x') + 0.1 K0(x, x') for a
// stationary K0 and random positive phase weights a: cyclostationary of
// period P and PSD.
func denseModulated(size []int, period int, seed uint64) []float64 {
	k0 := denseStationary(size, seed, 1.3)
	rng := rand.New(rand.NewPCG(seed, 7))
	n := gridPoints(size)
	a := make([]float64, period*period)
	for i := range a {
		a[i] = 0.3 + rng.Float64()
	}
	phase := func(i int) int {
		y, x := coordsOf(size, i)
		if len(size) == 1 {
			return x % period
		}
		return (y%period)*period + x%period
	}
	cov := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			cov[i*n+j] = (a[phase(i)]*a[phase(j)] + 0.1) * k0[i*n+j]
		}
	}
	return cov
}

// upBilinear returns the dense bilinear x2 up-sampling matrix (2n x n) of
// docs/theory.md section 3 on the periodic grid of n points.
func upBilinear(n int) []float64 {
	a := make([]float64, 2*n*n)
	for i := 0; i < n; i++ {
		a[(2*i)*n+i] += 0.75
		a[(2*i)*n+(i-1+n)%n] += 0.25
		a[(2*i+1)*n+i] += 0.75
		a[(2*i+1)*n+(i+1)%n] += 0.25
	}
	return a
}

// upNearest returns the dense nearest x2 up-sampling matrix (2n x n).
func upNearest(n int) []float64 {
	a := make([]float64, 2*n*n)
	for i := 0; i < 2*n; i++ {
		a[i*n+i/2] = 1
	}
	return a
}

// denseUpsampled returns A K A^T for the 2-D (or 1-D) bilinear up-sampling
// A applied `times` times to a stationary covariance on the grid
// size / 2^times: period 2^times.
func denseUpsampled(size []int, times int, seed uint64) []float64 {
	return denseUp(size, times, seed, upBilinear)
}

// denseUp is denseUpsampled with a given 1-D up-sampling matrix.
func denseUp(size []int, times int, seed uint64, up func(int) []float64) []float64 {
	small := make([]int, len(size))
	for i, s := range size {
		small[i] = s >> times
	}
	cov := denseStationary(small, seed, 1.0)
	cur := append([]int(nil), small...)
	for t := 0; t < times; t++ {
		var a *mat.Dense
		if len(cur) == 1 {
			a = mat.NewDense(2*cur[0], cur[0], up(cur[0]))
		} else {
			ay := mat.NewDense(2*cur[0], cur[0], up(cur[0]))
			ax := mat.NewDense(2*cur[1], cur[1], up(cur[1]))
			a = &mat.Dense{}
			a.Kronecker(ay, ax)
		}
		n := gridPoints(cur)
		k := mat.NewDense(n, n, cov)
		var t1, t2 mat.Dense
		t1.Mul(a, k)
		t2.Mul(&t1, a.T())
		for i := range cur {
			cur[i] *= 2
		}
		r, _ := t2.Dims()
		cov = make([]float64, r*r)
		for i := 0; i < r; i++ {
			for j := 0; j < r; j++ {
				cov[i*r+j] = t2.At(i, j)
			}
		}
	}
	return cov
}

// mapFromDense reads a map and checks that it reproduces the dense matrix
// (so the construction really is cyclostationary with that period).
func mapFromDense(t testing.TB, cov []float64, size []int, period int) kernel.Map {
	t.Helper()
	m, err := kernel.FromDense(cov, size, period)
	if err != nil {
		t.Fatal(err)
	}
	back := m.Dense()
	for i := range cov {
		if math.Abs(back[i]-cov[i]) > 1e-12*(1+math.Abs(cov[i])) {
			t.Fatalf("construction is not cyclostationary with period %d at entry %d: %g vs %g", period, i, back[i], cov[i])
		}
	}
	return m
}

// denseEig returns the eigenvalues of a dense symmetric matrix, decreasing.
func denseEig(t testing.TB, cov []float64) []float64 {
	t.Helper()
	n := int(math.Round(math.Sqrt(float64(len(cov)))))
	s := mat.NewSymDense(n, append([]float64(nil), cov...))
	var es mat.EigenSym
	if !es.Factorize(s, false) {
		t.Fatal("dense eigendecomposition failed")
	}
	v := es.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(v)))
	return v
}

// denseMatVec returns cov x.
func denseMatVec(cov, x []float64) []float64 {
	n := len(x)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < n; j++ {
			s += cov[i*n+j] * x[j]
		}
		y[i] = s
	}
	return y
}

type testCase struct {
	name   string
	size   []int
	period int
	cov    []float64
}

// testCases returns stationary and cyclostationary maps on small grids,
// 1-D and 2-D, square and not, with odd and even numbers of blocks.
func testCases() []testCase {
	return []testCase{
		{"stationary-2d", []int{8, 10}, 1, denseStationary([]int{8, 10}, 1, 1.5)},
		{"stationary-1d", []int{24}, 1, denseStationary([]int{24}, 2, 2)},
		{"modulated-2d-P2", []int{8, 8}, 2, denseModulated([]int{8, 8}, 2, 3)},
		{"modulated-2d-P2-rect", []int{6, 10}, 2, denseModulated([]int{6, 10}, 2, 4)},
		{"modulated-2d-P4", []int{12, 12}, 4, denseModulated([]int{12, 12}, 4, 5)},
		{"modulated-1d-P4", []int{20}, 4, denseModulated([]int{20}, 4, 6)},
		{"upsampled-2d-P2", []int{8, 8}, 2, denseUpsampled([]int{8, 8}, 1, 7)},
		{"upsampled-2d-P4", []int{16, 16}, 4, denseUpsampled([]int{16, 16}, 2, 8)},
		{"upsampled-1d-P4", []int{32}, 4, denseUpsampled([]int{32}, 2, 9)},
		{"nearest-2d-P4", []int{8, 8}, 4, denseUp([]int{8, 8}, 2, 10, upNearest)},
	}
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// denseGP is the reference GP regression by dense Cholesky: data y on the
// observed points obs (all points if nil), prior covariance s2 K, noise
// variance sig2, constant mean by generalized least squares. It returns
// the posterior mean on every point, the restricted log marginal
// likelihood and the posterior variance (including the mean's
// uncertainty) on every point.
func denseGP(t testing.TB, cov []float64, y []float64, obs []int, s2, sig2 float64, wantVar bool) (mean []float64, ll float64, variance []float64) {
	t.Helper()
	n := len(y)
	if obs == nil {
		for i := 0; i < n; i++ {
			obs = append(obs, i)
		}
	}
	no := len(obs)
	c := mat.NewSymDense(no, nil)
	for a, i := range obs {
		for b, j := range obs {
			v := s2 * cov[i*n+j]
			if a == b {
				v += sig2
			}
			c.SetSym(a, b, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(c) {
		t.Fatal("dense Cholesky failed")
	}
	yo := mat.NewVecDense(no, nil)
	one := mat.NewVecDense(no, nil)
	for a, i := range obs {
		yo.SetVec(a, y[i])
		one.SetVec(a, 1)
	}
	var ciy, ci1 mat.VecDense
	if err := ch.SolveVecTo(&ciy, yo); err != nil {
		t.Fatal(err)
	}
	if err := ch.SolveVecTo(&ci1, one); err != nil {
		t.Fatal(err)
	}
	s11 := mat.Dot(one, &ci1)
	s1y := mat.Dot(one, &ciy)
	mu := s1y / s11
	q := mat.Dot(yo, &ciy) - s1y*s1y/s11
	ll = -0.5 * (q + ch.LogDet() + math.Log(s11) + float64(no-1)*math.Log(2*math.Pi))
	alpha := make([]float64, no)
	for a := range alpha {
		alpha[a] = ciy.AtVec(a) - mu*ci1.AtVec(a)
	}
	mean = make([]float64, n)
	variance = make([]float64, n)
	for x := 0; x < n; x++ {
		s := mu
		k := mat.NewVecDense(no, nil)
		for a, i := range obs {
			s += s2 * cov[x*n+i] * alpha[a]
			k.SetVec(a, s2*cov[x*n+i])
		}
		mean[x] = s
		if !wantVar {
			continue
		}
		var cik mat.VecDense
		if err := ch.SolveVecTo(&cik, k); err != nil {
			t.Fatal(err)
		}
		u := 1 - mat.Dot(one, &cik)
		variance[x] = s2*cov[x*n+x] - mat.Dot(k, &cik) + u*u/s11
	}
	return mean, ll, variance
}

// gpData returns a prior draw of p, scaled, plus white noise and an offset.
func gpData(p *Prior, seed uint64, scale, noise, offset float64) []float64 {
	f := p.draw(seed, 0, math.Sqrt(scale))
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range f {
		f[i] += noise*rng.NormFloat64() + offset
	}
	return f
}

// denseKrige returns K_{.O} (K_OO + tau I)^-1 y_O by dense Cholesky (zero
// mean).
func denseKrige(t testing.TB, cov, y []float64, obs []int, tau float64) []float64 {
	t.Helper()
	n := len(y)
	no := len(obs)
	c := mat.NewSymDense(no, nil)
	for a, i := range obs {
		for b := a; b < no; b++ {
			v := cov[i*n+obs[b]]
			if a == b {
				v += tau
			}
			c.SetSym(a, b, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(c) {
		t.Fatal("dense Cholesky failed")
	}
	yo := mat.NewVecDense(no, nil)
	for a, i := range obs {
		yo.SetVec(a, y[i])
	}
	var al mat.VecDense
	if err := ch.SolveVecTo(&al, yo); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for x := 0; x < n; x++ {
		var s float64
		for a, i := range obs {
			s += cov[x*n+i] * al.AtVec(a)
		}
		out[x] = s
	}
	return out
}
