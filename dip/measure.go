package dip

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/dipgp/dipgp/internal/fft2"
	"github.com/dipgp/dipgp/internal/imageio"
)

// FBCBands is the number of frequency bands of the FBC measure.
const FBCBands = 5

// fbcEps is the constant Shi et al. add to the target's magnitude.
const fbcEps = 1e-8

// Meter measures outputs of a network fitted to a fixed target: FBC bands
// against the degraded target and residual ratios against the residual of
// a reference output f_0. The target's spectrum is computed once. A Meter
// is not safe for concurrent use.
type Meter struct {
	w, h, c int
	plan    *fft2.Plan
	target  imageio.Image
	// FBC: magnitude of the grey target's spectrum and the band of every
	// mode (-1: a corner beyond W/2, left out).
	yMag  []float64
	band  []int
	bandN [FBCBands]int
	// Residual ratio: radial bin of every mode (-1: radius > 0.5), the
	// start residual's spectrum per channel, and which modes are usable.
	bins   int
	bin    []int
	r0     [][]complex128
	use    [][]bool
	binN   []int
	center []float64
}

// NewMeter returns a Meter for images fitted to target (the degraded
// image y), with residual ratios averaged over bins radial bins (bins >= 1;
// DefaultBins gives a good number).
func NewMeter(target imageio.Image, bins int) (*Meter, error) {
	if err := target.Validate(); err != nil {
		return nil, fmt.Errorf("dip: target: %w", err)
	}
	if bins < 1 {
		return nil, fmt.Errorf("dip: %d radial bins; use at least 1 (e.g. %d)", bins, DefaultBins(target.W, target.H))
	}
	m := &Meter{w: target.W, h: target.H, c: target.C, plan: fft2.NewPlan([]int{target.H, target.W}), target: target.Clone(), bins: bins}
	gray := target.ToGray()
	spec := m.plan.ForwardReal(gray.Pix)
	m.yMag = make([]float64, len(spec))
	for i, v := range spec {
		m.yMag[i] = cmplx.Abs(v)
	}
	// FBC bands: distance from DC in index units (fftshift only permutes
	// the modes, so signed frequency indices give the same distances),
	// edges r_b = (b/5) floor(W/2), DC in band 1, corners left out.
	half := float64(target.W / 2)
	m.band = make([]int, len(spec))
	for y := 0; y < m.h; y++ {
		fy := float64(fft2.Freq(y, m.h))
		for x := 0; x < m.w; x++ {
			fx := float64(fft2.Freq(x, m.w))
			d := math.Sqrt(fy*fy + fx*fx)
			b := -1
			if d == 0 {
				b = 0
			} else {
				for k := 1; k <= FBCBands; k++ {
					lo := float64(k-1) / FBCBands * half
					hi := float64(k) / FBCBands * half
					if d > lo && d <= hi {
						b = k - 1
						break
					}
				}
			}
			m.band[y*m.w+x] = b
			if b >= 0 {
				m.bandN[b]++
			}
		}
	}
	for b, n := range m.bandN {
		if n == 0 {
			return nil, fmt.Errorf("dip: FBC band %d of a %dx%d image is empty; use images at least 10 pixels wide", b+1, m.w, m.h)
		}
	}
	// Radial bins in cycles per pixel over [0, 0.5].
	r := fft2.Radius([]int{m.h, m.w})
	m.bin = make([]int, len(r))
	width := 0.5 / float64(bins)
	m.center = make([]float64, bins)
	for k := range m.center {
		m.center[k] = (float64(k) + 0.5) * width
	}
	for i, ri := range r {
		if ri > 0.5 {
			m.bin[i] = -1
			continue
		}
		k := int(2 * ri * float64(bins))
		if k >= bins {
			k = bins - 1
		}
		m.bin[i] = k
	}
	return m, nil
}

// DefaultBins is the number of radial bins used for a w x h image: a
// quarter of the smaller side (bins two frequency indices wide), at least 4;
// for a signal (h = 1) a quarter of its length.
func DefaultBins(w, h int) int {
	if h == 1 {
		return max(w/4, 4)
	}
	n := min(w, h) / 4
	return max(n, 4)
}

func (m *Meter) check(f imageio.Image) error {
	if f.W != m.w || f.H != m.h || f.C != m.c || len(f.Pix) != m.w*m.h*m.c {
		return fmt.Errorf("dip: image is %dx%dx%d but the target is %dx%dx%d", f.W, f.H, f.C, m.w, m.h, m.c)
	}
	return nil
}

// FBC returns the frequency-band correspondence H_b, b = 1..5, of the
// output f against the meter's (degraded) target y, as docs/theory.md section 6
// and Shi et al.'s code define it: both images in grey (0.2989 R +
// 0.5870 G + 0.1140 B), m(u) = clip(|F(f)(u)| / (|F(y)(u)| + 1e-8), 0, 1),
// H_b the mean of m over band b = {r_{b-1} < d(u) <= r_b}, r_b =
// (b/5) floor(W/2), d the distance from DC, DC in band 1, corners beyond
// W/2 left out.
func (m *Meter) FBC(f imageio.Image) ([]float64, error) {
	if err := m.check(f); err != nil {
		return nil, err
	}
	spec := m.plan.ForwardReal(f.ToGray().Pix)
	var sum [FBCBands]float64
	for i, v := range spec {
		b := m.band[i]
		if b < 0 {
			continue
		}
		r := cmplx.Abs(v) / (m.yMag[i] + fbcEps)
		sum[b] += math.Min(1, math.Max(0, r))
	}
	out := make([]float64, FBCBands)
	for b := range out {
		out[b] = sum[b] / float64(m.bandN[b])
	}
	return out, nil
}

// FBC returns the frequency-band correspondence of f against the degraded
// target y (see Meter.FBC).
func FBC(f, y imageio.Image) ([]float64, error) {
	m, err := NewMeter(y, 1)
	if err != nil {
		return nil, err
	}
	return m.FBC(f)
}

// residualSpectra returns the DFT of each channel of f - y.
func (m *Meter) residualSpectra(f imageio.Image) [][]complex128 {
	n := m.w * m.h
	out := make([][]complex128, m.c)
	r := make([]float64, n)
	for c := 0; c < m.c; c++ {
		fc, yc := f.Pix[c*n:(c+1)*n], m.target.Pix[c*n:(c+1)*n]
		for i := range r {
			r[i] = fc[i] - yc[i]
		}
		out[c] = m.plan.ForwardReal(r)
	}
	return out
}

// SetStart records the reference output f_0 of the residual ratios. Modes
// whose start residual |F(f_0 - y)(w)| is below 1e-9 times the largest one
// (per channel) are left out of the ratios.
func (m *Meter) SetStart(f0 imageio.Image) error {
	if err := m.check(f0); err != nil {
		return err
	}
	m.r0 = m.residualSpectra(f0)
	m.use = make([][]bool, m.c)
	m.binN = make([]int, m.bins)
	for c, s := range m.r0 {
		mx := 0.0
		for _, v := range s {
			mx = math.Max(mx, cmplx.Abs(v))
		}
		m.use[c] = make([]bool, len(s))
		for i, v := range s {
			if m.bin[i] >= 0 && mx > 0 && cmplx.Abs(v) > 1e-9*mx {
				m.use[c][i] = true
				m.binN[m.bin[i]]++
			}
		}
	}
	return nil
}

// BinCenters returns the centres of the radial bins in cycles per pixel:
// bin k holds radii in [k, k+1) * 0.5/bins (the last one also 0.5).
func (m *Meter) BinCenters() []float64 { return append([]float64(nil), m.center...) }

// BinCounts returns the number of (channel, frequency) modes averaged in
// every radial bin (after SetStart).
func (m *Meter) BinCounts() []int { return append([]int(nil), m.binN...) }

// Bin returns the radial bin of every DFT coefficient of the grid
// (row-major, H x W), -1 beyond radius 0.5.
func (m *Meter) Bin() []int { return append([]int(nil), m.bin...) }

// Ratios returns, per radial bin, the mean over the bin's modes (every
// channel, every frequency with radius in the bin) of the residual ratio
// |F(f - y)(w)| / |F(f_0 - y)(w)| (docs/theory.md section 6). Empty bins give
// NaN. SetStart must have been called.
func (m *Meter) Ratios(f imageio.Image) ([]float64, error) {
	if m.r0 == nil {
		return nil, fmt.Errorf("dip: Meter.Ratios needs the start output; call SetStart first")
	}
	if err := m.check(f); err != nil {
		return nil, err
	}
	rt := m.residualSpectra(f)
	sum := make([]float64, m.bins)
	for c := range rt {
		for i, v := range rt[c] {
			if m.use[c][i] {
				sum[m.bin[i]] += cmplx.Abs(v) / cmplx.Abs(m.r0[c][i])
			}
		}
	}
	for k := range sum {
		if m.binN[k] == 0 {
			sum[k] = math.NaN()
		} else {
			sum[k] /= float64(m.binN[k])
		}
	}
	return sum, nil
}

// RatioPerMode returns, for every channel and DFT coefficient, the start
// residual magnitude |F(f_0 - y)(w)| and whether the mode is used in the
// ratios (after SetStart). Predictions use it to average exactly the same
// modes.
func (m *Meter) RatioPerMode() (r0 [][]float64, use [][]bool) {
	r0 = make([][]float64, len(m.r0))
	for c, s := range m.r0 {
		r0[c] = make([]float64, len(s))
		for i, v := range s {
			r0[c][i] = cmplx.Abs(v)
		}
	}
	use = make([][]bool, len(m.use))
	for c := range m.use {
		use[c] = append([]bool(nil), m.use[c]...)
	}
	return r0, use
}

// SSE returns the trajectory distance of Chakrabarty and Maji between two
// outputs: the sum over all values of (a - b)^2.
func SSE(a, b imageio.Image) (float64, error) {
	if a.W != b.W || a.H != b.H || a.C != b.C || len(a.Pix) != len(b.Pix) {
		return 0, fmt.Errorf("dip: trajectory distance between a %dx%dx%d and a %dx%dx%d image; the runs must fit the same target", a.W, a.H, a.C, b.W, b.H, b.C)
	}
	s := 0.0
	for i, v := range a.Pix {
		d := v - b.Pix[i]
		s += d * d
	}
	return s, nil
}

// clippedPSNR is imageio.PSNRValues of f clipped to [0, 1] against x (the
// PSNR of an image; the benchmarks time it).
func clippedPSNR(f, x []float64) float64 { return imageio.PSNRValues(f, x, true) }
