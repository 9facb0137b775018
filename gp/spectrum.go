package gp

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/kernel"
)

// Spec is the spectrum of a kernel map (docs/theory.md section 4).
type Spec struct {
	// Size is the grid size and Period the map's period.
	Size   []int
	Period int
	// Power holds, for every DFT frequency (row-major, numpy.fft order, DC
	// at index 0), the diagonal of the covariance in the Fourier basis: the
	// power spectrum of the phase-averaged map, which for a stationary map
	// is its exact eigenvalue at that frequency.
	Power []float64
	// Exact reports whether Eigen and Sorted hold the exact eigenvalues
	// (always for stationary maps).
	Exact bool
	// Eigen holds the exact eigenvalues placed on frequencies, when Exact:
	// within each block of coupled frequencies the k-th largest eigenvalue
	// is put at the frequency with the k-th largest Power. For a stationary
	// map Eigen equals Power. Nil when not Exact.
	Eigen []float64
	// Sorted holds all eigenvalues in decreasing order when Exact, else
	// Power in decreasing order.
	Sorted []float64
	// OffDiagonal is the fraction of the covariance's Frobenius energy off
	// the diagonal of the Fourier basis, ||k - kbar||^2 / ||k||^2: 0 for a
	// stationary map.
	OffDiagonal float64
	// Deviation is ||Sorted - sorted Power|| / ||Sorted|| when Exact: how far
	// the diagonal (fast) answer is from the exact eigenvalues.
	Deviation float64
}

// Spectrum returns the spectrum of the map m. A stationary map (period 1,
// or all phases equal) is diagonalized by one FFT. For a cyclostationary
// map, exact = true computes the eigenvalues of every P^d x P^d Hermitian
// Fourier block (cost about ExactWork(m)/8 units, see ExactWork);
// exact = false returns the diagonal only (the power spectrum of the
// phase-averaged map) with the off-diagonal energy.
func Spectrum(m kernel.Map, exact bool) (Spec, error) {
	if err := m.Check(); err != nil {
		return Spec{}, err
	}
	s := Spec{Size: append([]int(nil), m.Size...), Period: m.Period}
	s.OffDiagonal = m.NonStationarity()
	plan := fft2.NewPlan(m.Size)
	kbar := m
	if m.Period > 1 {
		kbar = m.Stationary()
	}
	full := plan.ForwardReal(kbar.Data)
	s.Power = make([]float64, len(full))
	for i, v := range full {
		s.Power[i] = real(v)
	}
	if m.Period == 1 || s.OffDiagonal == 0 {
		s.Exact = true
		s.Eigen = s.Power
		s.Sorted = sortedDesc(s.Power)
		return s, nil
	}
	s.Sorted = sortedDesc(s.Power)
	if !exact {
		return s, nil
	}
	eig, err := exactEigen(m, plan, s.Power)
	if err != nil {
		return Spec{}, err
	}
	s.Exact = true
	s.Eigen = eig
	diag := s.Sorted
	s.Sorted = sortedDesc(eig)
	var num, den float64
	for i, v := range s.Sorted {
		d := v - diag[i]
		num += d * d
		den += v * v
	}
	if den > 0 {
		s.Deviation = math.Sqrt(num / den)
	}
	return s, nil
}

func sortedDesc(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	return s
}

// exactEigen returns the exact eigenvalues of a cyclostationary map placed
// on frequencies (see Spec.Eigen).
func exactEigen(m kernel.Map, plan *fft2.Plan, power []float64) ([]float64, error) {
	p := &Prior{m: m, workers: runtime.GOMAXPROCS(0)}
	p.setGrid(m)
	ghat := couplings(m, plan, p.py, p.px, p.workers)
	bases, self := p.repBlocks()
	eig := make([]float64, p.n)
	failed := make([]bool, len(bases))
	parallel(len(bases), p.workers, func(lo, hi int) {
		var es mat.EigenSym
		for i := lo; i < hi; i++ {
			freq := p.blockFreqs(bases[i][0], bases[i][1])
			if !es.Factorize(p.realForm(ghat, freq), false) {
				failed[i] = true
				continue
			}
			vals := es.Values(nil) // ascending, each eigenvalue twice
			n := len(freq)
			ev := make([]float64, n)
			for k := 0; k < n; k++ {
				ev[k] = (vals[2*k] + vals[2*k+1]) / 2
			}
			// Largest eigenvalue at the frequency with the largest diagonal.
			order := make([]int, n)
			for k := range order {
				order[k] = k
			}
			sort.SliceStable(order, func(a, b int) bool { return power[freq[order[a]]] > power[freq[order[b]]] })
			for k, o := range order {
				f := freq[o]
				v := ev[n-1-k]
				eig[f] = v
				if !self[i] {
					eig[p.neg(f)] = v // the mirror block has the same eigenvalues
				}
			}
		}
	})
	for i, f := range failed {
		if f {
			return nil, fmt.Errorf("gp: the eigensolver failed on Fourier block %v; the map may hold extreme values", bases[i])
		}
	}
	return eig, nil
}

// Radial is a radial profile of a per-frequency quantity: rings of
// frequency radius in cycles per pixel, DC excluded.
type Radial struct {
	// Freq is the ring's frequency k / min(H, W) for k = 1 .. min(H, W)/2
	// (1-D: k / N).
	Freq []float64
	// Mean is the mean of the values in the ring and Count the number of
	// frequencies in it.
	Mean  []float64
	Count []int
}

// RadialProfile averages per-frequency values (numpy.fft order, as
// Spec.Power) over rings: frequency w with radius r(w) = |w| in cycles per
// pixel (fft2.Radius) belongs to ring k = round(r(w) min(H, W)), for
// k = 1 .. floor(min(H, W)/2). The DC term (k = 0) and the corners beyond
// ring floor(min(H, W)/2) are left out. In 1-D ring k holds frequencies
// +-k/N exactly.
func RadialProfile(values []float64, size []int) (Radial, error) {
	if len(size) != 1 && len(size) != 2 {
		return Radial{}, fmt.Errorf("gp: size %v has %d axes; want [N] or [H, W]", size, len(size))
	}
	n, short := 1, size[0]
	for _, s := range size {
		if s < 1 {
			return Radial{}, fmt.Errorf("gp: size %v has a non-positive axis", size)
		}
		n *= s
		short = min(short, s)
	}
	if len(values) != n {
		return Radial{}, fmt.Errorf("gp: %d values for a grid %v of %d points", len(values), size, n)
	}
	nb := short / 2
	if nb < 1 {
		return Radial{}, fmt.Errorf("gp: grid %v is too small for a radial profile (need at least 2 points per axis)", size)
	}
	r := fft2.Radius(size)
	out := Radial{Freq: make([]float64, nb), Mean: make([]float64, nb), Count: make([]int, nb)}
	for k := range out.Freq {
		out.Freq[k] = float64(k+1) / float64(short)
	}
	for i, ri := range r {
		k := int(math.Round(ri * float64(short)))
		if k < 1 || k > nb {
			continue
		}
		out.Mean[k-1] += values[i]
		out.Count[k-1]++
	}
	for k := range out.Mean {
		if out.Count[k] > 0 {
			out.Mean[k] /= float64(out.Count[k])
		} else {
			out.Mean[k] = math.NaN()
		}
	}
	return out, nil
}

// Radial returns the radial profile of the spectrum: of Eigen when Exact,
// else of Power.
func (s Spec) Radial() (Radial, error) {
	v := s.Power
	if s.Exact {
		v = s.Eigen
	}
	return RadialProfile(v, s.Size)
}

// Default frequency range of FitPowerLaw in Summary, in cycles per pixel.
const (
	DefaultFitLo = 1.0 / 16
	DefaultFitHi = 1.0 / 4
)

// PowerLaw is a fitted power law Mean ~ A f^Slope.
type PowerLaw struct {
	// Slope is the exponent and Intercept is log10 A.
	Slope, Intercept float64
	// Lo and Hi are the frequency range in cycles per pixel and Rings the
	// number of rings used.
	Lo, Hi float64
	Rings  int
}

// FitPowerLaw fits log10(Mean) = Intercept + Slope log10(Freq) by least
// squares over the rings with lo <= Freq <= hi and a positive Mean, each
// ring weighted equally. It needs at least two such rings.
func FitPowerLaw(r Radial, lo, hi float64) (PowerLaw, error) {
	if !(lo > 0 && hi > lo) {
		return PowerLaw{}, fmt.Errorf("gp: power-law range [%g, %g] must have 0 < lo < hi", lo, hi)
	}
	var sx, sy, sxx, sxy float64
	k := 0
	for i, f := range r.Freq {
		v := r.Mean[i]
		if f < lo || f > hi || !(v > 0) || math.IsInf(v, 0) {
			continue
		}
		x, y := math.Log10(f), math.Log10(v)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
		k++
	}
	if k < 2 {
		return PowerLaw{}, fmt.Errorf("gp: only %d rings with positive values in [%g, %g] cycles/pixel; widen the range or use a larger grid", k, lo, hi)
	}
	fk := float64(k)
	den := fk*sxx - sx*sx
	slope := (fk*sxy - sx*sy) / den
	return PowerLaw{Slope: slope, Intercept: (sy - slope*sx) / fk, Lo: lo, Hi: hi, Rings: k}, nil
}

// HalfPower returns the half-power frequency of a radial profile: the
// low-frequency level L is the Mean of the first ring (frequency
// 1 / min(H, W)); the result is the first frequency at which the profile
// falls to L/2, interpolating log(Mean) linearly in frequency between the
// last ring above L/2 and the first ring at or below it. ok is false when
// the profile never falls to L/2 (or L is not positive).
func HalfPower(r Radial) (f float64, ok bool) {
	if len(r.Mean) == 0 || !(r.Mean[0] > 0) {
		return 0, false
	}
	half := r.Mean[0] / 2
	for i := 1; i < len(r.Mean); i++ {
		v := r.Mean[i]
		if math.IsNaN(v) || v > half {
			continue
		}
		a, b := r.Mean[i-1], v
		f0, f1 := r.Freq[i-1], r.Freq[i]
		var t float64
		if b > 0 && a > 0 {
			t = (math.Log(half) - math.Log(a)) / (math.Log(b) - math.Log(a))
		} else {
			t = (half - a) / (b - a)
		}
		if math.IsNaN(t) {
			t = 1
		}
		return f0 + t*(f1-f0), true
	}
	return 0, false
}

// Summary is the headline numbers of a spectrum, as written by
// "dipgp spectrum".
type Summary struct {
	Period      int     `json:"period"`
	Exact       bool    `json:"exact"`
	Slope       float64 `json:"slope"`
	FitLo       float64 `json:"fit_lo_cycles_per_pixel"`
	FitHi       float64 `json:"fit_hi_cycles_per_pixel"`
	HalfPower   float64 `json:"half_power_cycles_per_pixel"`
	HalfPowerOK bool    `json:"half_power_found"`
	OffDiagonal float64 `json:"off_diagonal_energy"`
	Deviation   float64 `json:"exact_vs_diagonal_deviation"`
	MaxEigen    float64 `json:"max_eigenvalue"`
	DC          float64 `json:"dc_power"`
	Trace       float64 `json:"mean_eigenvalue"`
}

// Summarize returns the spectrum's summary with the power law fitted over
// [lo, hi] cycles per pixel.
func (s Spec) Summarize(lo, hi float64) (Summary, error) {
	if len(s.Power) == 0 {
		return Summary{}, errors.New("gp: empty spectrum")
	}
	r, err := s.Radial()
	if err != nil {
		return Summary{}, err
	}
	pl, err := FitPowerLaw(r, lo, hi)
	if err != nil {
		return Summary{}, err
	}
	hp, ok := HalfPower(r)
	var tr float64
	for _, v := range s.Power {
		tr += v
	}
	return Summary{
		Period: s.Period, Exact: s.Exact, Slope: pl.Slope, FitLo: lo, FitHi: hi,
		HalfPower: hp, HalfPowerOK: ok, OffDiagonal: s.OffDiagonal, Deviation: s.Deviation,
		MaxEigen: s.Sorted[0], DC: s.Power[0], Trace: tr / float64(len(s.Power)),
	}, nil
}
