package gp

import (
	"math"
	"sort"
	"testing"

	"github.com/dipgp/dipgp/kernel"
)

// TestSpectrumMatchesDense compares the FFT / Fourier-block eigenvalues
// with a dense symmetric eigendecomposition of the full covariance.
func TestSpectrumMatchesDense(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			want := denseEig(t, tc.cov)
			s, err := Spectrum(m, true)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Exact {
				t.Fatal("exact spectrum not exact")
			}
			tol := 1e-9 * math.Max(1, want[0])
			for i, v := range s.Sorted {
				if math.Abs(v-want[i]) > tol {
					t.Fatalf("eigenvalue %d: got %.15g, dense %.15g", i, v, want[i])
				}
			}
			// Eigen holds the same multiset.
			e := sortedDesc(s.Eigen)
			for i := range e {
				if math.Abs(e[i]-want[i]) > tol {
					t.Fatalf("per-frequency eigenvalue %d: got %.15g, dense %.15g", i, e[i], want[i])
				}
			}
			// Off-diagonal energy equals the map's non-stationarity, and the
			// diagonal is the spectrum of the phase average.
			if math.Abs(s.OffDiagonal-m.NonStationarity()) > 1e-12 {
				t.Fatalf("off-diagonal %g vs non-stationarity %g", s.OffDiagonal, m.NonStationarity())
			}
			if tc.period > 1 && s.OffDiagonal < 1e-6 {
				t.Fatalf("construction is nearly stationary (%g); the test would not test the blocks", s.OffDiagonal)
			}
			avg, err := Spectrum(m.Stationary(), false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range avg.Power {
				if math.Abs(avg.Power[i]-s.Power[i]) > tol {
					t.Fatalf("diagonal at %d: %g vs phase-average spectrum %g", i, s.Power[i], avg.Power[i])
				}
			}
			// The diagonal path reports the same off-diagonal energy.
			fast, err := Spectrum(m, false)
			if err != nil {
				t.Fatal(err)
			}
			if tc.period > 1 && fast.Exact {
				t.Fatal("fast path claims exactness")
			}
			if fast.OffDiagonal != s.OffDiagonal {
				t.Fatal("fast and exact off-diagonal energy differ")
			}
		})
	}
}

// TestSpectrumOffDiagonalFromBlocks checks the off-diagonal energy against
// the dense covariance in the Fourier basis computed by brute force.
func TestSpectrumOffDiagonalFromBlocks(t *testing.T) {
	size := []int{8, 8}
	cov := denseUpsampled(size, 1, 11)
	m := mapFromDense(t, cov, size, 2)
	n := 64
	// Khat = U K U^H with the unitary DFT, by brute force.
	var diag, total float64
	for a := 0; a < n; a++ {
		ya, xa := a/8, a%8
		for b := 0; b < n; b++ {
			yb, xb := b/8, b%8
			var re, im float64
			for i := 0; i < n; i++ {
				yi, xi := i/8, i%8
				for j := 0; j < n; j++ {
					yj, xj := j/8, j%8
					ph := 2 * math.Pi * (float64(ya*yi+xa*xi) - float64(yb*yj+xb*xj)) / 8
					re += cov[i*n+j] * math.Cos(ph)
					im -= cov[i*n+j] * math.Sin(ph)
				}
			}
			e := (re*re + im*im) / float64(n*n)
			total += e
			if a == b {
				diag += e
			}
		}
	}
	s, err := Spectrum(m, false)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 - diag/total
	if math.Abs(s.OffDiagonal-want) > 1e-10 {
		t.Fatalf("off-diagonal energy %g, brute force %g", s.OffDiagonal, want)
	}
}

// TestPriorModesMatchDense checks the Prior's diagonalization: its modes'
// eigenvalues (with multiplicities) and its K x, K^(1/2) K^(1/2) x against
// dense products.
func TestPriorModesMatchDense(t *testing.T) {
	for _, tc := range testCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := mapFromDense(t, tc.cov, tc.size, tc.period)
			p, err := NewPrior(m, PriorOptions{Approx: Exact})
			if err != nil {
				t.Fatal(err)
			}
			if p.Approximated() {
				t.Fatal("exact prior approximated")
			}
			want := denseEig(t, tc.cov)
			// Expand modes by multiplicity: weights are 1, 2 or 1/2.
			var got []float64
			var half []float64
			for j, l := range p.lam {
				switch p.wt[j] {
				case 1:
					got = append(got, l)
				case 2:
					got = append(got, l, l)
				case 0.5:
					half = append(half, l)
				default:
					t.Fatalf("unexpected weight %g", p.wt[j])
				}
			}
			sort.Float64s(half)
			for k := 0; k+1 < len(half); k += 2 {
				got = append(got, (half[k]+half[k+1])/2)
			}
			got = sortedDesc(got)
			if len(got) != len(want) {
				t.Fatalf("%d eigenvalues, want %d", len(got), len(want))
			}
			tol := 1e-9 * math.Max(1, want[0])
			for i := range got {
				if math.Abs(got[i]-want[i]) > tol {
					t.Fatalf("mode eigenvalue %d: %g vs %g", i, got[i], want[i])
				}
			}
			x := make([]float64, p.Points())
			for i := range x {
				x[i] = math.Sin(1.3*float64(i)) + 0.2*float64(i%5)
			}
			kx, err := p.Apply(func(l float64) float64 { return l }, x)
			if err != nil {
				t.Fatal(err)
			}
			dk := denseMatVec(tc.cov, x)
			for i := range kx {
				if math.Abs(kx[i]-dk[i]) > 1e-10*maxAbs(dk) {
					t.Fatalf("K x at %d: %g vs dense %g", i, kx[i], dk[i])
				}
			}
			r, _ := p.Apply(math.Sqrt, x)
			r, _ = p.Apply(math.Sqrt, r)
			for i := range r {
				if math.Abs(r[i]-dk[i]) > 1e-9*maxAbs(dk) {
					t.Fatalf("sqrt(K) sqrt(K) x at %d: %g vs dense %g", i, r[i], dk[i])
				}
			}
			// The mode map is an isometry.
			c := p.coords(x)
			var nx float64
			for _, v := range x {
				nx += v * v
			}
			if d := p.dot(c, c); math.Abs(d-nx) > 1e-10*nx {
				t.Fatalf("|coords(x)|^2 = %g, |x|^2 = %g", d, nx)
			}
		})
	}
}

func TestPriorPhaseAverage(t *testing.T) {
	tc := testCases()[2]
	m := mapFromDense(t, tc.cov, tc.size, tc.period)
	p, err := NewPrior(m, PriorOptions{Approx: PhaseAverage})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Approximated() || p.Map().Period != 1 {
		t.Fatal("phase average not used")
	}
	p2, err := NewPrior(m, PriorOptions{MaxWork: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !p2.Approximated() {
		t.Fatal("Auto ignored the work budget")
	}
	if p2.Note() == "" || math.Abs(p2.NonStationarity()-m.NonStationarity()) > 0 {
		t.Fatal("note or non-stationarity missing")
	}
}

func TestPriorRejectsIndefinite(t *testing.T) {
	m, _ := kernel.NewMap(1, []int{8})
	m.Data[0] = 1
	m.Data[1], m.Data[7] = 0.9, 0.9
	m.Data[2], m.Data[6] = -0.9, -0.9 // not PSD
	if _, err := NewPrior(m, PriorOptions{}); err == nil {
		t.Fatal("indefinite map accepted")
	}
	bad := kernel.Map{Period: 1, Size: []int{4}, Data: []float64{1, math.NaN(), 0, 0}}
	if _, err := NewPrior(bad, PriorOptions{}); err == nil {
		t.Fatal("NaN map accepted")
	}
	if _, err := Spectrum(bad, false); err == nil {
		t.Fatal("NaN map accepted by Spectrum")
	}
}

func TestRadialProfileAndFits(t *testing.T) {
	// A pure power law lambda = |f|^-3 (DC set to 1) on a 64 x 64 grid.
	size := []int{64, 64}
	s := Spec{Size: size, Period: 1, Exact: true, Power: make([]float64, 64*64)}
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			fy := float64(min(y, 64-y)) / 64
			fx := float64(min(x, 64-x)) / 64
			r := math.Hypot(fy, fx)
			v := 1.0
			if r > 0 {
				v = math.Pow(r, -3)
			}
			s.Power[y*64+x] = v
		}
	}
	s.Eigen = s.Power
	s.Sorted = sortedDesc(s.Power)
	r, err := s.Radial()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Freq) != 32 || r.Freq[0] != 1.0/64 || r.Count[0] != 8 { // (0,+-1), (+-1,0), (+-1,+-1): radii 1 and 1.41 round to 1
		t.Fatalf("rings: %d, first %g with %d", len(r.Freq), r.Freq[0], r.Count[0])
	}
	pl, err := FitPowerLaw(r, DefaultFitLo, DefaultFitHi)
	if err != nil {
		t.Fatal(err)
	}
	// Ring means of r^-3 over rounded radii are close to f^-3.
	if math.Abs(pl.Slope+3) > 0.05 {
		t.Fatalf("slope %g, want about -3", pl.Slope)
	}
	// 1-D: ring k is exactly frequency k/N; a Lorentzian-like spectrum
	// 1/(1 + (f/f0)^2) has its half power at f0 when f0 is a ring.
	n := 128
	v := make([]float64, n)
	for i := range v {
		f := float64(min(i, n-i)) / float64(n)
		v[i] = 1 / (1 + (f/0.125)*(f/0.125)) // level at f=1/128 is ~1
	}
	r1, err := RadialProfile(v, []int{n})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Count[0] != 2 || r1.Mean[0] != v[1] {
		t.Fatal("1-D ring 1 does not hold +-1/N")
	}
	hp, ok := HalfPower(r1)
	// Exact crossing of v = v[1]/2 solves 1+(f/f0)^2 = 2(1+(1/(128 f0))^2).
	f0 := 0.125
	want := f0 * math.Sqrt(1+2*(1/(128*f0))*(1/(128*f0)))
	if !ok || math.Abs(hp-want) > 1.0/128 {
		t.Fatalf("half power %g (ok %v), want about %g", hp, ok, want)
	}
	flat := Radial{Freq: []float64{0.1, 0.2}, Mean: []float64{1, 0.9}}
	if _, ok := HalfPower(flat); ok {
		t.Fatal("flat profile has a half-power frequency")
	}
	if _, err := FitPowerLaw(r, 0.4, 0.41); err == nil {
		t.Fatal("fit with one ring accepted")
	}
}
