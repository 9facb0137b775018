package kernel

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/arch"
)

// bnTestArch returns a 2-D (or 1-D) network whose last conv output is a
// smooth Gaussian field, with period 2 from an up-sampling when up, and
// then the given per-channel tail.
func bnTestArch(t *testing.T, dims int, up bool, tail ...arch.Layer) (src, full arch.Arch) {
	t.Helper()
	spec := "conv-stack:depth=1,act=identity,bias=false,sigma=0.7"
	if dims == 1 {
		spec = "conv-stack:dims=1,depth=1,act=identity,bias=false,sigma=3"
	}
	a, err := arch.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	ls := []arch.Layer{arch.Conv{Out: 64, K: 3, Stride: 1}}
	if up {
		ls = append(ls, arch.Upsample{Mode: arch.Bilinear}, arch.Conv{Out: 64, K: 3, Stride: 1})
	}
	src = a
	src.Layers = ls
	full = a
	full.Layers = append(append([]arch.Layer(nil), ls...), tail...)
	return src, full
}

// sqrtPSD returns a symmetric square root of a dense PSD matrix (eigen).
func sqrtPSD(t *testing.T, cov []float64, n int) *mat.Dense {
	var e mat.EigenSym
	if !e.Factorize(mat.NewSymDense(n, append([]float64(nil), cov...)), true) {
		t.Fatal("eigen failed")
	}
	var v mat.Dense
	e.VectorsTo(&v)
	l := e.Values(nil)
	var s mat.Dense
	d := mat.NewDiagDense(n, nil)
	for i, x := range l {
		d.SetDiag(i, math.Sqrt(math.Max(x, 0)))
	}
	s.Mul(&v, d)
	return &s
}

// orbitMean averages a dense n x n second moment over the cyclostationary
// orbits into a map of the given period.
func orbitMean(t *testing.T, dense []float64, size []int, period int) Map {
	m, err := NewMap(period, size)
	if err != nil {
		t.Fatal(err)
	}
	n := m.Points()
	cnt := make([]float64, len(m.Data))
	for x := 0; x < n; x++ {
		for x2 := 0; x2 < n; x2++ {
			i := m.Phase(x)*n + m.Offset(x, x2)
			m.Data[i] += dense[x*n+x2]
			cnt[i]++
		}
	}
	for i := range m.Data {
		m.Data[i] /= cnt[i]
	}
	return m
}

// bruteBN draws fields from the dense covariance of src's output (and of
// its NTK), applies batch norm (affine) and leakyrelu(0.2) directly, and
// returns the empirical second moment and NTK (J T J^T by central finite
// differences of the normalized map, plus the gamma and beta terms).
func bruteBN(t *testing.T, k, th Map, draws int, seed uint64) (m, nt Map) {
	n := k.Points()
	sq := sqrtPSD(t, k.Dense(), n)
	thd := mat.NewDense(n, n, th.Dense())
	rng := rand.New(rand.NewPCG(seed, 1))
	phi := func(u float64) float64 {
		if u < 0 {
			return 0.2 * u
		}
		return u
	}
	bn := func(z []float64) []float64 {
		mu := mean(z)
		var v float64
		for _, x := range z {
			v += (x - mu) * (x - mu)
		}
		s := math.Sqrt(v/float64(n) + 1e-5)
		out := make([]float64, n)
		for i, x := range z {
			out[i] = (x - mu) / s
		}
		return out
	}
	M := make([]float64, n*n)
	T := make([]float64, n*n)
	xi := make([]float64, n)
	J := mat.NewDense(n, n, nil)
	for s := 0; s < draws; s++ {
		for i := range xi {
			xi[i] = rng.NormFloat64()
		}
		z := make([]float64, n)
		mat.NewVecDense(n, z).MulVec(sq, mat.NewVecDense(n, xi))
		zh := bn(z)
		h := make([]float64, n)
		for i, u := range zh {
			h[i] = phi(u)
		}
		const eps = 1e-6
		for j := 0; j < n; j++ {
			zp := append([]float64(nil), z...)
			zm := append([]float64(nil), z...)
			zp[j] += eps
			zm[j] -= eps
			hp, hm := bn(zp), bn(zm)
			for i := 0; i < n; i++ {
				J.Set(i, j, (phi(hp[i])-phi(hm[i]))/(2*eps))
			}
		}
		var jt, jtj mat.Dense
		jt.Mul(J, thd)
		jtj.Mul(&jt, J.T())
		for i := 0; i < n; i++ {
			di := 1.0
			if zh[i] < 0 {
				di = 0.2
			}
			for j := 0; j < n; j++ {
				dj := 1.0
				if zh[j] < 0 {
					dj = 0.2
				}
				M[i*n+j] += h[i] * h[j]
				T[i*n+j] += jtj.At(i, j) + di*zh[i]*dj*zh[j] + di*dj
			}
		}
	}
	for i := range M {
		M[i] /= float64(draws)
		T[i] /= float64(draws)
	}
	return orbitMean(t, M, k.Size, k.Period), orbitMean(t, T, k.Size, k.Period)
}

func relRMS(a, b Map) float64 {
	var s float64
	for i := range a.Data {
		d := a.Data[i] - b.Data[i]
		s += d * d
	}
	return math.Sqrt(s/float64(len(a.Data))) / b.MeanVariance()
}

// The exact rule against a brute-force Monte Carlo of the normalization
// itself (dense square root of the covariance, batch norm and leakyrelu
// applied to each draw, NTK by finite differences of the normalized map),
// on small grids where mean field errs most: 4x4 with period 2 and a
// smooth 1-D signal of 16 points.
func TestBNExactBruteForce(t *testing.T) {
	cases := []struct {
		name string
		dims int
		up   bool
		size []int
	}{
		{"4x4 period 2", 2, true, []int{4, 4}},
		{"1-D 16 smooth", 1, false, []int{16}},
	}
	draws := 20000
	if testing.Short() {
		draws = 6000
	}
	tail := []arch.Layer{arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Act{Fn: arch.LeakyReLU, Slope: 0.2}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, full := bnTestArch(t, c.dims, c.up, tail...)
			ctx := context.Background()
			k, th, err := Compute(ctx, src, c.size, Options{NTK: true})
			if err != nil {
				t.Fatal(err)
			}
			ex, ext, rep, err := ComputeReport(ctx, full, c.size, Options{NTK: true, Samples: 4096, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			mf, mft, err := Compute(ctx, full, c.size, Options{NTK: true, BN: BNMeanField})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.BN) != 1 || rep.BN[0].Method != "montecarlo" {
				t.Fatalf("report %+v, want one Monte Carlo segment", rep.BN)
			}
			bm, bt := bruteBN(t, k, th, draws, 7)
			eM, eT := relRMS(ex, bm), relRMS(ext, bt)
			mM, mT := relRMS(mf, bm), relRMS(mft, bt)
			t.Logf("NNGP: exact %.2g, mean field %.2g; NTK: exact %.2g, mean field %.2g (relative RMS vs brute force); report %+v", eM, mM, eT, mT, rep.BN[0])
			tol := 4 / math.Sqrt(float64(draws))
			if eM > tol || eT > 2*tol {
				t.Errorf("exact rule differs from brute force: NNGP %.3g, NTK %.3g (tolerance %.3g, %.3g)", eM, eT, tol, 2*tol)
			}
			if math.Max(mM, mT) < 3*math.Max(eM, eT) {
				t.Errorf("mean field (%.3g, %.3g) is not clearly worse than the exact rule (%.3g, %.3g): the test cannot tell them apart", mM, mT, eM, eT)
			}
		})
	}
}

// As the grid grows the exact rule tends to mean field (the spatial
// variance concentrates): the relative difference of the NTK (whose
// mean-field error, the missing gradient through the statistics, is the
// largest) falls about as 1/N. Without affine parameters, whose gamma
// term mean field also gets wrong after an activation at every grid size
// (docs/batchnorm.md).
func TestBNExactMeanFieldLimit(t *testing.T) {
	tail := []arch.Layer{arch.BatchNorm{Eps: 1e-5}, arch.Act{Fn: arch.ReLU}}
	_, full := bnTestArch(t, 1, false, tail...)
	var d []float64
	for _, n := range []int{16, 256} {
		_, _, rep, err := ComputeReport(context.Background(), full, []int{n}, Options{NTK: true, Samples: 1024, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		s := rep.BN[0]
		t.Logf("N=%d: NTK exact - mean field %.3g (standard error %.2g, n_eff %.1f); NNGP %.3g (%.2g)", n, s.MeanFieldDiffNTK, s.SENTK, s.NEff, s.MeanFieldDiff, s.SE)
		d = append(d, s.MeanFieldDiffNTK)
	}
	if !(d[1] < d[0]/5) {
		t.Errorf("difference from mean field %.3g at N=256 is not well below %.3g at N=16", d[1], d[0])
	}
}

// The sampler's fields have the map as covariance (cyclostationary, 8x8,
// period 4), and the Monte Carlo is the same at any number of workers.
func TestBNSamplerCovariance(t *testing.T) {
	a, err := arch.Parse("conv-stack:depth=1,act=identity,bias=true,sigma=1")
	if err != nil {
		t.Fatal(err)
	}
	a.Layers = []arch.Layer{arch.Conv{Out: 8, K: 3, Stride: 1, Bias: true}, arch.Upsample{Mode: arch.Bilinear},
		arch.Conv{Out: 8, K: 3, Stride: 1}, arch.Upsample{Mode: arch.Nearest}, arch.Conv{Out: 8, K: 3, Stride: 1}}
	k, _, err := Compute(context.Background(), a, []int{8, 8}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k.Period != 4 {
		t.Fatalf("period %d, want 4", k.Period)
	}
	r := newRun(context.Background(), a, Options{}, false)
	g := newGeom(2, k.Size, k.Period)
	fs, err := r.newFieldSampler(g, k.Data)
	if err != nil {
		t.Fatal(err)
	}
	n := k.Points()
	draws := 20000
	rng := rand.New(rand.NewPCG(1, 2))
	pg := newPolyGeom(g)
	xi := make([]complex128, pg.nph*pg.nm)
	work := make([]complex128, pg.nph*pg.nm)
	f1, f2 := make([]float64, n), make([]float64, n)
	c := make([]float64, n*n)
	for s := 0; s < draws/2; s++ {
		if err := fs.draw(r, rng, xi, work, f1, f2); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				c[i*n+j] += f1[i]*f1[j] + f2[i]*f2[j]
			}
		}
	}
	for i := range c {
		c[i] /= float64(draws)
	}
	e := relRMS(orbitMean(t, c, k.Size, 4), k)
	if e > 3/math.Sqrt(float64(draws)) {
		t.Errorf("sampled covariance differs from the map by %.3g (relative RMS)", e)
	}
	_, full := bnTestArch(t, 2, true, arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Act{Fn: arch.ReLU})
	var maps [2]Map
	for i, w := range []int{1, 3} {
		m, _, err := Compute(context.Background(), full, []int{8, 8}, Options{NTK: true, Samples: 64, Seed: 5, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		maps[i] = m
	}
	for i := range maps[0].Data {
		if maps[0].Data[i] != maps[1].Data[i] {
			t.Fatalf("value %d differs between 1 and 3 workers: %v, %v", i, maps[0].Data[i], maps[1].Data[i])
		}
	}
}

// With affine parameters, mean field's NTK must also reach the exact
// rule's on a large grid: the gamma term after a positively homogeneous
// activation is E[phi(u) phi(u')] (the activation's NNGP), not
// Qdot * K_bn. A rule that treats gamma's direction as independent of
// phi'(u) stays off by a fixed fraction at every grid size.
func TestBNMeanFieldGammaTerm(t *testing.T) {
	for _, act := range []arch.Act{{Fn: arch.ReLU}, {Fn: arch.LeakyReLU, Slope: 0.2}} {
		_, full := bnTestArch(t, 1, false, arch.BatchNorm{Affine: true, Eps: 1e-5}, act)
		_, _, rep, err := ComputeReport(context.Background(), full, []int{256}, Options{NTK: true, Samples: 1024, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		s := rep.BN[0]
		t.Logf("%v, N=256: NTK exact - mean field %.3g (standard error %.2g, n_eff %.1f)", act.Fn, s.MeanFieldDiffNTK, s.SENTK, s.NEff)
		if s.MeanFieldDiffNTK > 0.03 {
			t.Errorf("%v: mean-field NTK differs from the exact rule's by %.3g of its variance at n_eff %.0f (standard error %.2g); want about 2/n_eff", act.Fn, s.MeanFieldDiffNTK, s.NEff, s.SENTK)
		}
	}
}

// A segment whose input has n_eff above Options.BNMeanFieldNEff uses mean
// field (and says so) when its activations are positively homogeneous,
// and keeps the Monte Carlo otherwise.
func TestBNMeanFieldNEff(t *testing.T) {
	for _, c := range []struct {
		act  arch.Act
		neff float64
		want string
	}{
		{arch.Act{Fn: arch.ReLU}, 30, "meanfield"},
		{arch.Act{Fn: arch.ReLU}, -1, "montecarlo"},
		{arch.Act{Fn: arch.Tanh}, 30, "montecarlo"},
	} {
		_, full := bnTestArch(t, 1, false, arch.BatchNorm{Affine: true, Eps: 1e-5}, c.act)
		_, _, rep, err := ComputeReport(context.Background(), full, []int{256}, Options{NTK: true, Samples: 16, Seed: 1, BNMeanFieldNEff: c.neff})
		if err != nil {
			t.Fatal(err)
		}
		if s := rep.BN[0]; s.Method != c.want || !(s.NEff > 30) {
			t.Errorf("%v with BNMeanFieldNEff %v: method %q (n_eff %.1f), want %q", c.act.Fn, c.neff, s.Method, s.NEff, c.want)
		}
	}
}

// Shi et al.'s layers inside a batch-norm segment: the Monte Carlo's field
// path must apply Gaussian up-sampling (not bilinear) and treat a
// mean-only batch norm as the exact centring it is. On a white 1-D field
// of 64 points (n_eff about 63) the exact rule is within about 2/n_eff of
// mean field; with the field path's filter or normalization wrong it
// differs by far more. A segment whose only batch norm is mean-only is
// exact without Monte Carlo: identical to mean field.
func TestBNExactShiLayersInSegment(t *testing.T) {
	ctx := context.Background()
	src, err := arch.Parse("conv-stack:dims=1,depth=1,act=identity,bias=false,sigma=0")
	if err != nil {
		t.Fatal(err)
	}
	src.Layers = []arch.Layer{arch.Conv{Out: 64, K: 1, Stride: 1}}
	size := []int{128}
	for _, c := range []struct {
		name string
		tail []arch.Layer
		mc   bool
	}{
		{"batchnorm + gaussian up", []arch.Layer{arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Act{Fn: arch.LeakyReLU, Slope: 0.2},
			arch.Upsample{Mode: arch.GaussianUp, Sigma: 0.5}}, true},
		{"mean-only + gaussian up", []arch.Layer{arch.BatchNorm{MeanOnly: true, Affine: true}, arch.Act{Fn: arch.LeakyReLU, Slope: 0.2},
			arch.Upsample{Mode: arch.GaussianUp, Sigma: 0.5}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := src
			a.Layers = append(append([]arch.Layer(nil), src.Layers...), c.tail...)
			a.Layers = append(a.Layers, arch.Conv{Out: 64, K: 1, Stride: 1})
			ex, ext, rep, err := ComputeReport(ctx, a, size, Options{NTK: true, Samples: 2048, Seed: 3, BNMeanFieldNEff: 1e9})
			if err != nil {
				t.Fatal(err)
			}
			mf, mft, err := Compute(ctx, a, size, Options{NTK: true, BN: BNMeanField})
			if err != nil {
				t.Fatal(err)
			}
			dM, dT := relRMS(ex, mf), relRMS(ext, mft)
			t.Logf("exact against mean field: NNGP %.3g, NTK %.3g; report %+v", dM, dT, rep.BN)
			if !c.mc {
				if len(rep.BN) != 0 || dM != 0 || dT != 0 {
					t.Errorf("a mean-only segment went through the Monte Carlo (%+v) or differs from its exact linear rule (%.3g, %.3g)", rep.BN, dM, dT)
				}
				return
			}
			if len(rep.BN) != 1 || rep.BN[0].Method != "montecarlo" {
				t.Fatalf("report %+v, want one Monte Carlo segment", rep.BN)
			}
			if dM > 0.03 || dT > 0.06 {
				t.Errorf("exact and mean field differ by %.3g (NNGP), %.3g (NTK) on a white field of 64 points, where they should agree to a few percent", dM, dT)
			}
		})
	}
}
