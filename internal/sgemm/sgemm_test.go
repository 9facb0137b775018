package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// naive computes alpha*op(A)*op(B) + beta*C in float64 by the textbook triple
// loop, and the magnitude bound alpha*|op(A)|*|op(B)| + |beta*C| used to size
// the float32 rounding tolerance.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var x, y float64
				if transA {
					x = float64(a[p*lda+i])
				} else {
					x = float64(a[i*lda+p])
				}
				if transB {
					y = float64(b[j*ldb+p])
				} else {
					y = float64(b[p*ldb+j])
				}
				s += x * y
				sa += math.Abs(x * y)
			}
			w := float64(alpha) * s
			mg := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				mg += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j] = w
			mag[i*n+j] = mg
		}
	}
	return want, mag
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

// problem is one random Gemm call with strides larger than the rows.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

func newProblem(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	p.lda = ca + rng.IntN(3)
	p.ldb = cb + rng.IntN(3)
	p.ldc = n + rng.IntN(3)
	p.a = randSlice(rng, ra*p.lda)
	p.b = randSlice(rng, rb*p.ldb)
	p.c = randSlice(rng, m*p.ldc)
	if beta == 0 {
		for i := range p.c {
			p.c[i] = float32(math.NaN()) // must not be read
		}
	}
	return p
}

func (p *problem) String() string {
	return fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta, p.lda, p.ldb, p.ldc)
}

// solve runs the problem with kern on nthreads goroutines and returns C.
func (p *problem) solve(kern *kernel, nthreads int) []float32 {
	c := append([]float32(nil), p.c...)
	run(kern, nthreads, p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	return c
}

// check compares got against the float64 triple loop, and checks that the
// padding between rows of C is untouched.
func (p *problem) check(t *testing.T, name string, got []float32) {
	t.Helper()
	want, mag := naive(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	// float32 summation of k products, alpha scaling and beta update.
	tol := float64(p.k+4) * 0x1p-23
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc; j++ {
			g := got[i*p.ldc+j]
			if j >= p.n {
				if math.Float32bits(g) != math.Float32bits(p.c[i*p.ldc+j]) {
					t.Fatalf("%s %v: padding C[%d,%d] changed to %g", name, p, i, j, g)
				}
				continue
			}
			w := want[i*p.n+j]
			if d := math.Abs(float64(g) - w); !(d <= tol*mag[i*p.n+j]+1e-30) {
				t.Fatalf("%s %v: C[%d,%d] = %g, want %g (|diff| %g > bound %g)", name, p, i, j, g, w, d, tol*mag[i*p.n+j])
			}
		}
	}
}

var alphaBetas = [][2]float32{{1, 0}, {1, 1}, {-0.75, 0.5}, {2, 0}, {0.5, -1}}

// TestKernelBlocking checks the invariants the drivers rely on.
func TestKernelBlocking(t *testing.T) {
	for _, kern := range kernels() {
		if kern.mr < 1 || kern.nr < 1 || kern.kc < 1 || kern.mc%kern.mr != 0 || kern.nc%kern.nr != 0 || kern.mc < kern.mr || kern.nc < kern.nr {
			t.Errorf("%s: bad blocking mr=%d nr=%d mc=%d kc=%d nc=%d", kern.name, kern.mr, kern.nr, kern.mc, kern.kc, kern.nc)
		}
	}
}

func TestGemmRandomShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kern := range kernels() {
		for it := 0; it < 300; it++ {
			ab := alphaBetas[it%len(alphaBetas)]
			p := newProblem(rng, it&1 != 0, it&2 != 0, 1+rng.IntN(70), 1+rng.IntN(70), 1+rng.IntN(70), ab[0], ab[1])
			p.check(t, kern.name, p.solve(kern, 1+it%3))
		}
	}
}

// TestGemmLarge uses shapes that cross every cache-blocking boundary
// (mc, kc and nc) with ragged remainders.
func TestGemmLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kern := range kernels() {
		shapes := [][3]int{
			{kern.mc + 2*kern.mr + 3, 2*kern.nr + 5, kern.kc + 17},
			{kern.mr + 1, kern.nc + kern.nr + 3, kern.kc/2 + 1},
			{3, 2*kern.nc + 7, 2},
			{2*kern.mc + 5, 3, 2*kern.kc + 3},
		}
		for s, sh := range shapes {
			for tr := 0; tr < 4; tr++ {
				ab := alphaBetas[(s+tr)%len(alphaBetas)]
				p := newProblem(rng, tr&1 != 0, tr&2 != 0, sh[0], sh[1], sh[2], ab[0], ab[1])
				p.check(t, kern.name, p.solve(kern, 2))
			}
		}
	}
}

func TestGemmPublic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 8; it++ {
		p := newProblem(rng, it&1 != 0, it&2 != 0, 37+it, 45, 61, 1.5, 0.25)
		c := append([]float32(nil), p.c...)
		Gemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
		p.check(t, "Gemm", c)
		c = append(c[:0], p.c...)
		GemmGeneric(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
		p.check(t, "GemmGeneric", c)
	}
	switch Impl() {
	case "avx512", "avx2fma", "generic":
	default:
		t.Errorf("Impl() = %q", Impl())
	}
}

// TestThreadsBitIdentical checks that the result does not depend on the
// number of goroutines, for shapes split along m and along n.
func TestThreadsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kern := range kernels() {
		shapes := [][3]int{{150, 97, 300}, {61, 400, 129}, {500, 23, 77}, {kern.mc + 9, kern.nr*5 + 1, kern.kc + 5}, {300, 5, 700}}
		for s, sh := range shapes {
			p := newProblem(rng, s&1 != 0, s&2 != 0, sh[0], sh[1], sh[2], 1, 0.5)
			ref := p.solve(kern, 1)
			for _, nt := range []int{2, 3, 7} {
				got := p.solve(kern, nt)
				for i := range ref {
					if math.Float32bits(ref[i]) != math.Float32bits(got[i]) {
						t.Fatalf("%s %v: threads=%d differs from threads=1 at %d: %g vs %g", kern.name, p, nt, i, got[i], ref[i])
					}
				}
			}
		}
	}
}

// TestTransposedTiles checks that computing C^T (chosen by run for small n)
// gives bit for bit the result of the direct computation.
func TestTransposedTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, kern := range kernels() {
		for tr := 0; tr < 4; tr++ {
			m, n, k := 5*kern.mr+3, 2, 300
			p := newProblem(rng, tr&1 != 0, tr&2 != 0, m, n, k, 0.75, 0.5)
			if padded(n, m, kern.mr, kern.nr)*4 >= padded(m, n, kern.mr, kern.nr)*3 {
				continue // run would not transpose
			}
			got := p.solve(kern, 2)
			want := append([]float32(nil), p.c...)
			dispatch(kern, 1, p.transA, p.transB, false, m, n, k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, want, p.ldc)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %v: transposed tiles give %g at %d, direct %g", kern.name, p, got[i], i, want[i])
				}
			}
			p.check(t, kern.name, got)
		}
	}
}

func TestGemmSpecialCases(t *testing.T) {
	nan := float32(math.NaN())
	for _, kern := range kernels() {
		// alpha == 0: A and B are not used, C = beta*C.
		a := []float32{nan, nan, nan, nan}
		c := []float32{1, 2, 3, 4}
		run(kern, 2, false, false, 2, 2, 2, 0, a, 2, a, 2, 3, c, 2)
		if c[0] != 3 || c[1] != 6 || c[2] != 9 || c[3] != 12 {
			t.Errorf("%s alpha=0: got %v, want [3 6 9 12]", kern.name, c)
		}
		// k == 0, beta == 0: C = 0 even if C held NaN.
		c = []float32{nan, nan, nan, nan}
		run(kern, 2, false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
		for i, v := range c {
			if v != 0 {
				t.Errorf("%s k=0 beta=0: c[%d] = %g, want 0", kern.name, i, v)
			}
		}
		// m == 0 or n == 0: nothing touched, nil slices accepted.
		run(kern, 2, false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 1, nil, 5)
		run(kern, 2, true, true, 4, 0, 3, 1, make([]float32, 12), 4, nil, 3, 1, nil, 1)
	}
}

func TestGemmPanics(t *testing.T) {
	s := make([]float32, 100)
	cases := []struct {
		want string
		f    func()
	}{
		{"negative size", func() { Gemm(false, false, -1, 2, 2, 1, s, 2, s, 2, 0, s, 2) }},
		{"lda = 1", func() { Gemm(false, false, 2, 2, 3, 1, s, 1, s, 2, 0, s, 2) }},
		{"lda = 2", func() { Gemm(true, false, 3, 2, 2, 1, s, 2, s, 2, 0, s, 2) }},
		{"ldb = 2", func() { Gemm(false, true, 2, 2, 3, 1, s, 3, s, 2, 0, s, 2) }},
		{"ldc = 1", func() { Gemm(false, false, 2, 2, 2, 1, s, 2, s, 2, 0, s, 1) }},
		{"len(a) = 5", func() { Gemm(false, false, 2, 2, 3, 1, s[:5], 3, s, 2, 0, s, 2) }},
		{"len(b) = 3", func() { Gemm(false, false, 2, 2, 2, 1, s, 2, s[:3], 2, 0, s, 2) }},
		{"len(c) = 11", func() { Gemm(false, false, 3, 4, 2, 1, s, 2, s, 4, 0, s[:11], 4) }},
		{"at least 1", func() { SetThreads(0) }},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want it to mention %q", r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestSetThreads(t *testing.T) {
	old := SetThreads(3)
	if got := SetThreads(old); got != 3 {
		t.Errorf("SetThreads returned %d, want 3", got)
	}
}

func TestGemmAllocs(t *testing.T) {
	m, n, k := 64, 64, 64
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	old := SetThreads(1)
	defer SetThreads(old)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	if allocs := testing.AllocsPerRun(20, func() { Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) }); allocs > 1 {
		t.Errorf("single-thread Gemm allocates %v times per call, want <= 1", allocs)
	}
}
