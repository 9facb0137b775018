package netinit

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/kernel"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Alpha is the significance level of the agreement verdict: a check says
// DIFFER when the p-value of its joint test is below Alpha. On fields
// drawn from the exact GP the verdict is wrong in a share Alpha of runs
// (TestHotellingCalibratedOnExactGP measures it).
const Alpha = 0.01

// Hotelling is a Hotelling T^2 test of whether the mean of per-sample
// feature vectors equals a given vector. Unlike counting entries within 2
// standard errors, it uses the full covariance of the features between
// samples, so correlated entries (neighbouring offsets of one kernel, or
// the common-mode shift of a network's output) are not counted as
// independent evidence. With N samples and K features,
//
//	T^2 = N (mean - mu)' S^-1 (mean - mu),  F = (N-K) T^2 / (K (N-1)) ~ F(K, N-K)
//
// exactly for Gaussian features and, by the central limit theorem, nearly
// so for the sums of squares a kernel estimate is made of.
type Hotelling struct {
	// Features is the rank of the covariance: the number of independent
	// directions tested.
	Features int `json:"features"`
	// Samples is N.
	Samples int `json:"samples"`
	// T2 is Hotelling's statistic, F the scaled statistic.
	T2 float64 `json:"t2"`
	F  float64 `json:"f"`
	// P is the p-value: the chance of an F at least this large if the
	// mean were mu. NaN when N <= Features (too few samples to test).
	P float64 `json:"p_value"`
	// Worst names the feature with the largest |t| = |mean - mu| / SE,
	// and WorstT is that t: where the difference is, when there is one.
	Worst  string  `json:"worst_feature"`
	WorstT float64 `json:"worst_t"`
}

// HotellingTest tests mean = mu from the mean and sample covariance (K x K,
// row-major) of n samples. Directions of (numerically) zero variance are
// left out; if the mean differs from mu along one, P is 0.
func HotellingTest(mean, cov, mu []float64, n int, names []string) Hotelling {
	k := len(mean)
	h := Hotelling{Samples: n, P: math.NaN()}
	sd := make([]float64, k)
	var keep []int
	maxSD := 0.0
	for i := 0; i < k; i++ {
		sd[i] = math.Sqrt(math.Max(cov[i*k+i], 0))
		maxSD = math.Max(maxSD, sd[i])
	}
	for i := 0; i < k; i++ {
		d := mean[i] - mu[i]
		if !(sd[i] > 1e-12*maxSD) {
			if math.Abs(d) > 1e-9*(math.Abs(mu[i])+maxSD) {
				h.P, h.T2, h.F, h.WorstT = 0, math.Inf(1), math.Inf(1), math.Inf(1)
				h.Worst = nameOf(names, i)
				return h
			}
			continue
		}
		keep = append(keep, i)
		if t := math.Abs(d) / (sd[i] / math.Sqrt(float64(n))); t > h.WorstT {
			h.WorstT, h.Worst = t, nameOf(names, i)
		}
	}
	if len(keep) == 0 {
		h.P = 1
		return h
	}
	m := len(keep)
	corr := mat.NewSymDense(m, nil)
	z := make([]float64, m)
	for a, i := range keep {
		z[a] = (mean[i] - mu[i]) / sd[i]
		for b, j := range keep[:a+1] {
			corr.SetSym(a, b, cov[i*k+j]/(sd[i]*sd[j]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(corr, true) {
		return h
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	top := 0.0
	for _, v := range vals {
		top = math.Max(top, v)
	}
	for c, v := range vals {
		if v <= 1e-10*top {
			continue
		}
		var proj float64
		for a := 0; a < m; a++ {
			proj += vecs.At(a, c) * z[a]
		}
		h.T2 += proj * proj / v
		h.Features++
	}
	h.T2 *= float64(n)
	if n <= h.Features {
		return h
	}
	d1, d2 := float64(h.Features), float64(n-h.Features)
	h.F = d2 * h.T2 / (d1 * float64(n-1))
	h.P = distuv.F{D1: d1, D2: d2}.Survival(h.F)
	return h
}

func nameOf(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("feature %d", i)
}

// Agreement is the calibrated agreement test of a check: Hotelling tests
// on the reduced basis of the kernel (Basis).
type Agreement struct {
	// Joint tests every feature: level, shape and phase dependence.
	Joint Hotelling `json:"joint"`
	// Shape tests the differences between rings (and the phase
	// contrasts): what is left when a common shift of the whole kernel is
	// taken out.
	Shape Hotelling `json:"shape"`
	// Alpha is the level the verdict uses.
	Alpha float64 `json:"alpha"`
	// Agree is Joint.P >= Alpha.
	Agree bool `json:"agree"`
}

// Agree runs the agreement test of the features f against the analytic
// kernel (brought to f's period).
func Agree(analytic kernel.Map, period int, f *Features) (Agreement, error) {
	a := Agreement{Alpha: Alpha}
	if period != analytic.Period {
		m, err := analytic.WithPeriod(period)
		if err != nil {
			return a, fmt.Errorf("netinit: the estimate's period %d is not a multiple of the kernel's period %d", period, analytic.Period)
		}
		analytic = m
	}
	if f.N < 2 {
		return a, fmt.Errorf("netinit: %d network(s) sampled; the agreement test needs at least 2", f.N)
	}
	b := f.Basis
	mu := make([]float64, b.Len())
	b.Project(mu, analytic.Data)
	mean, cov := f.MeanCov()
	a.Joint = HotellingTest(mean, cov, mu, f.N, b.Names)
	// Shape: rings minus the last ring, phase contrasts as they are.
	sm, sc, smu, names := shapeContrasts(b, mean, cov, mu)
	a.Shape = HotellingTest(sm, sc, smu, f.N, names)
	a.Agree = !(a.Joint.P < a.Alpha) && !math.IsNaN(a.Joint.P)
	return a, nil
}

// shapeContrasts maps features x to A x with A taking ring k to
// ring k - last ring, dropping the last ring and keeping the rest.
func shapeContrasts(b *Basis, mean, cov, mu []float64) (m, c, u []float64, names []string) {
	k := len(mean)
	last := b.Rings - 1
	var rows [][]float64
	for i := 0; i < k; i++ {
		if i == last {
			continue
		}
		r := make([]float64, k)
		r[i] = 1
		if i < last {
			r[last] = -1
			names = append(names, b.Names[i]+" - "+b.Names[last])
		} else {
			names = append(names, b.Names[i])
		}
		rows = append(rows, r)
	}
	n := len(rows)
	m, u, c = make([]float64, n), make([]float64, n), make([]float64, n*n)
	for a, ra := range rows {
		for i := 0; i < k; i++ {
			m[a] += ra[i] * mean[i]
			u[a] += ra[i] * mu[i]
		}
		for bb, rb := range rows {
			var s float64
			for i := 0; i < k; i++ {
				if ra[i] == 0 {
					continue
				}
				for j := 0; j < k; j++ {
					s += ra[i] * cov[i*k+j] * rb[j]
				}
			}
			c[a*n+bb] = s
		}
	}
	return m, c, u, names
}

// Summary is a one-line statement of the test.
func (a Agreement) Summary() string {
	if math.IsNaN(a.Joint.P) {
		return fmt.Sprintf("UNTESTED: %d networks are too few for a joint test of %d features; sample more networks", a.Joint.Samples, a.Joint.Features)
	}
	if a.Agree {
		return fmt.Sprintf("AGREE: the kernels match within sampling error (joint test of %d features on %d networks: p = %.3g, shape p = %.3g; alpha %g)",
			a.Joint.Features, a.Joint.Samples, a.Joint.P, a.Shape.P, a.Alpha)
	}
	what, worst := "DIFFER", a.Shape
	if !(a.Shape.P < a.Alpha) {
		what, worst = "DIFFER IN LEVEL", a.Joint
	}
	return fmt.Sprintf("%s: the empirical kernel departs from the analytic one beyond sampling error (joint test of %d features on %d networks: p = %.3g, shape p = %.3g; largest single feature: %s at %.1f SE)",
		what, a.Joint.Features, a.Joint.Samples, a.Joint.P, a.Shape.P, worst.Worst, worst.WorstT)
}
