package gp

import (
	"fmt"
	"math"
	"sort"

	"github.com/dipgp/dipgp/internal/fft2"
)

// PredictOptions control Predict.
type PredictOptions struct {
	// LR is the gradient-descent step eta. It must satisfy
	// eta * lambda_max < 2, or the top mode diverges.
	LR float64
	// Iters is the last iteration T.
	Iters int
	// Checkpoints are the iterations reported (sorted, in [0, Iters]);
	// nil selects every iteration up to 200 and then 400
	// logarithmically spaced ones (the best stopping iteration is still
	// searched over every iteration).
	Checkpoints []int
	// F0 is the initial output per channel; nil means zero.
	F0 [][]float64
	// Clean is the clean signal per channel, for the PSNR curves (values
	// in [0, 1]); nil computes none.
	Clean [][]float64
	// Noise is the noise standard deviation of the target y = Clean +
	// noise, for the expected PSNR curve.
	Noise float64
}

// Prediction holds the training dynamics that gradient descent with step
// eta on L = 1/2 ||f - y||^2, linearized around initialization, follows
// with the Prior's kernel as the NTK (docs/theory.md section 5):
// f_t = y - (I - eta Theta)^t (y - f_0).
type Prediction struct {
	// Iters are the reported iterations.
	Iters []int
	// LambdaMax is the largest NTK eigenvalue and MaxLR = 2 / LambdaMax the
	// step beyond which gradient descent diverges.
	LambdaMax, MaxLR float64
	// Freq are the radial rings (cycles per pixel, see RadialProfile) and
	// Lambda the ring means of the kernel's Fourier diagonal.
	Freq, Lambda []float64
	// Decay[i][k] is the ring mean of |1 - eta lambda(w)|^t at
	// t = Iters[i], lambda(w) the kernel's Fourier diagonal (its exact
	// eigenvalue at w for a stationary kernel).
	Decay [][]float64
	// HalfIter[k] is the iteration at which a mode with the ring's mean
	// lambda is half fitted: ln 2 / -ln|1 - eta lambda|.
	HalfIter []float64
	// Residual[i][k] is the ring mean of the predicted per-frequency
	// residual ratio |F(f_t - y)(w)| / |F(f_0 - y)(w)| (docs/theory.md section 6)
	// of the grayscale images, exact also for cyclostationary kernels;
	// frequencies where F(f_0 - y) vanishes are left out.
	Residual [][]float64
	// FBC[i][b] is the predicted frequency-band correspondence H_b(t) of
	// Shi et al. for the 5 bands (docs/theory.md section 6), on the grayscale
	// images, with y the (degraded) target.
	FBC [][]float64
	// PSNRExpected[i] is the PSNR (dB) against Clean of f_t averaged over
	// the noise: the error per mode is
	// (1 - eta lambda)^(2t) |x - f_0|^2 + (1 - (1 - eta lambda)^t)^2 Noise^2
	// (docs/theory.md section 5). PSNRRealized[i] is the PSNR of f_t for the
	// given target y. Both nil without Clean.
	PSNRExpected, PSNRRealized []float64
	// BestIter and BestPSNR are the iteration in [0, Iters] with the
	// highest expected PSNR, and that PSNR; BestIterRealized and
	// BestPSNRRealized the same for the realized curve.
	BestIter         int
	BestPSNR         float64
	BestIterRealized int
	BestPSNRRealized float64
}

// Predict returns the predicted dynamics of fitting the target y
// (channels) by gradient descent with the Prior's kernel as the NTK.
func (p *Prior) Predict(y [][]float64, o PredictOptions) (*Prediction, error) {
	if err := checkData(y, p.n); err != nil {
		return nil, err
	}
	if !(o.LR > 0) || math.IsInf(o.LR, 0) {
		return nil, fmt.Errorf("gp: learning rate %g must be positive", o.LR)
	}
	if o.Iters < 0 {
		return nil, fmt.Errorf("gp: iterations %d must be >= 0", o.Iters)
	}
	if o.Noise < 0 {
		return nil, fmt.Errorf("gp: noise %g must be >= 0", o.Noise)
	}
	for _, a := range [][][]float64{o.F0, o.Clean} {
		if a == nil {
			continue
		}
		if len(a) != len(y) {
			return nil, fmt.Errorf("gp: F0 or Clean has %d channels, the target %d", len(a), len(y))
		}
		if err := checkData(a, p.n); err != nil {
			return nil, err
		}
	}
	lmax := p.MaxEigenvalue()
	out := &Prediction{LambdaMax: lmax, MaxLR: 2 / lmax}
	if o.LR*lmax >= 2 {
		return nil, fmt.Errorf("gp: step %g is unstable: eta * lambda_max = %.4g >= 2, so gradient descent diverges along the top mode; use a step below %.4g", o.LR, o.LR*lmax, out.MaxLR)
	}
	iters, err := checkpoints(o.Checkpoints, o.Iters)
	if err != nil {
		return nil, err
	}
	out.Iters = iters
	eta := o.LR
	// Per-mode log|1 - eta lambda| and sign.
	nm := len(p.lam)
	logf := make([]float64, nm)
	neg := make([]bool, nm)
	for j, l := range p.lam {
		f := 1 - eta*l
		logf[j] = math.Log(math.Abs(f))
		neg[j] = f < 0
	}
	pow := func(j, t int) float64 {
		if t == 0 {
			return 1 // also when eta lambda = 1 exactly (0^0)
		}
		v := math.Exp(float64(t) * logf[j]) // 0 when eta lambda = 1
		if neg[j] && t%2 == 1 {
			return -v
		}
		return v
	}

	if err := p.predictRadial(out, eta); err != nil {
		return nil, err
	}
	p.predictBands(out, y, o.F0, pow)
	if o.Clean != nil {
		p.predictPSNR(out, y, o, pow)
	}
	return out, nil
}

// checkpoints returns the iterations to report.
func checkpoints(cp []int, T int) ([]int, error) {
	if cp != nil {
		out := append([]int(nil), cp...)
		sort.Ints(out)
		for _, t := range out {
			if t < 0 || t > T {
				return nil, fmt.Errorf("gp: checkpoint %d is outside [0, %d]", t, T)
			}
		}
		return out, nil
	}
	const dense, logs = 200, 400
	if T <= dense+logs {
		out := make([]int, T+1)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	out := make([]int, 0, dense+logs+1)
	for t := 0; t <= dense; t++ {
		out = append(out, t)
	}
	r := math.Pow(float64(T)/dense, 1.0/logs)
	for k := 1; k <= logs; k++ {
		t := int(math.Round(dense * math.Pow(r, float64(k))))
		if t > out[len(out)-1] && t <= T {
			out = append(out, t)
		}
	}
	if out[len(out)-1] != T {
		out = append(out, T)
	}
	return out, nil
}

// rings returns the ring (RadialProfile) of every full-spectrum frequency,
// -1 for DC and the corners, and the number of rings.
func (p *Prior) rings() ([]int, int) {
	short := p.w
	if p.h > 1 {
		short = min(p.h, p.w)
	}
	nb := short / 2
	r := fft2.Radius(p.m.Size)
	ring := make([]int, len(r))
	for i, ri := range r {
		k := int(math.Round(ri * float64(short)))
		if k < 1 || k > nb {
			ring[i] = -1
		} else {
			ring[i] = k - 1
		}
	}
	return ring, nb
}

// diagonal returns the kernel's Fourier diagonal on the full spectrum.
func (p *Prior) diagonal() []float64 {
	full := p.plan.ForwardReal(p.m.Stationary().Data)
	d := make([]float64, len(full))
	for i, v := range full {
		d[i] = math.Max(real(v), 0)
	}
	return d
}

func (p *Prior) predictRadial(out *Prediction, eta float64) error {
	diag := p.diagonal()
	rl, err := RadialProfile(diag, p.m.Size)
	if err != nil {
		return err
	}
	out.Freq, out.Lambda = rl.Freq, rl.Mean
	out.HalfIter = make([]float64, len(rl.Freq))
	for k, l := range rl.Mean {
		out.HalfIter[k] = math.Ln2 / -math.Log(math.Abs(1-eta*l))
	}
	ring, nb := p.rings()
	cnt := make([]float64, nb)
	logd := make([]float64, len(diag))
	for w, l := range diag {
		logd[w] = math.Log(math.Abs(1 - eta*l))
		if ring[w] >= 0 {
			cnt[ring[w]]++
		}
	}
	out.Decay = make([][]float64, len(out.Iters))
	parallel(len(out.Iters), p.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			t := float64(out.Iters[i])
			m := make([]float64, nb)
			for w, k := range ring {
				if k < 0 {
					continue
				}
				if t == 0 {
					m[k]++
				} else {
					m[k] += math.Exp(t * logd[w])
				}
			}
			for k := range m {
				m[k] /= cnt[k]
			}
			out.Decay[i] = m
		}
	})
	return nil
}

// gray returns the FBC grayscale of channels: BT.601 luma for 3 channels,
// else the channel mean.
func gray(c [][]float64) []float64 {
	g := make([]float64, len(c[0]))
	if len(c) == 3 {
		for i := range g {
			g[i] = 0.2989*c[0][i] + 0.5870*c[1][i] + 0.1140*c[2][i]
		}
		return g
	}
	for _, ch := range c {
		for i, v := range ch {
			g[i] += v / float64(len(c))
		}
	}
	return g
}

// bandOf returns the FBC band (0..4) of every full-spectrum frequency, or
// -1 beyond W/2: distance d from DC in frequency-index units, edges
// r_b = (b/5) floor(W/2), band b holds r_(b-1) < d <= r_b, DC in band 1.
func (p *Prior) bandOf() []int {
	band := make([]int, p.n)
	half := float64(p.w / 2)
	for ky := 0; ky < p.h; ky++ {
		fy := float64(min(ky, p.h-ky))
		for kx := 0; kx < p.w; kx++ {
			fx := float64(min(kx, p.w-kx))
			d := math.Hypot(fy, fx)
			b := -1
			if d == 0 {
				b = 0
			} else {
				for k := 0; k < 5; k++ {
					if d <= float64(k+1)/5*half {
						b = k
						break
					}
				}
			}
			band[ky*p.w+kx] = b
		}
	}
	return band
}

func (p *Prior) predictBands(out *Prediction, y, f0 [][]float64, pow func(j, t int) float64) {
	gy := gray(y)
	r0 := make([]float64, p.n)
	if f0 != nil {
		g0 := gray(f0)
		for i := range r0 {
			r0[i] = g0[i] - gy[i]
		}
	} else {
		for i := range r0 {
			r0[i] = -gy[i]
		}
	}
	fy := p.plan.ForwardReal(gy)
	c0 := p.coords(r0)
	fr0 := p.spectrumFull(c0)
	band := p.bandOf()
	var cnt [5]int
	for _, b := range band {
		if b >= 0 {
			cnt[b]++
		}
	}
	var amax float64
	for _, v := range fr0 {
		amax = math.Max(amax, cmplxAbs(v))
	}
	ring, nb := p.rings()
	a0 := make([]float64, len(fr0))
	ay := make([]float64, len(fy))
	valid := make([]bool, len(fr0))
	var rcnt = make([]float64, nb)
	for w, v := range fr0 {
		a0[w] = cmplxAbs(v)
		ay[w] = cmplxAbs(fy[w]) + 1e-8
	}
	for w := range fr0 {
		valid[w] = a0[w] > 1e-12*amax
		if valid[w] && ring[w] >= 0 {
			rcnt[ring[w]]++
		}
	}
	out.FBC = make([][]float64, len(out.Iters))
	out.Residual = make([][]float64, len(out.Iters))
	parallel(len(out.Iters), p.workers, func(lo, hi int) {
		c := make([]complex128, len(c0))
		for i := lo; i < hi; i++ {
			t := out.Iters[i]
			for j := range c {
				s := pow(j, t)
				c[j] = complex(real(c0[j])*s, imag(c0[j])*s)
			}
			frt := p.spectrumFull(c)
			var sum [5]float64
			res := make([]float64, nb)
			for w, v := range frt {
				if k := ring[w]; k >= 0 && valid[w] {
					res[k] += cmplxAbs(v) / a0[w]
				}
				if b := band[w]; b >= 0 {
					// f_t = y + r_t.
					m := cmplxAbs(fy[w]+v) / ay[w]
					sum[b] += math.Min(1, m)
				}
			}
			h := make([]float64, 5)
			for b := range h {
				if cnt[b] > 0 {
					h[b] = sum[b] / float64(cnt[b])
				} else {
					h[b] = math.NaN()
				}
			}
			out.FBC[i] = h
			for k := range res {
				if rcnt[k] > 0 {
					res[k] /= rcnt[k]
				} else {
					res[k] = math.NaN()
				}
			}
			out.Residual[i] = res
		}
	})
}

func cmplxAbs(v complex128) float64 { return math.Sqrt(real(v)*real(v) + imag(v)*imag(v)) }

// predictPSNR computes the expected and realized PSNR curves and their
// best iterations.
func (p *Prior) predictPSNR(out *Prediction, y [][]float64, o PredictOptions, pow func(j, t int) float64) {
	nm := len(p.lam)
	exx := make([]float64, nm) // |x - f0|^2 per mode, summed over channels
	eaa := make([]float64, nm) // |y - x|^2
	eab := make([]float64, nm) // (y - x).(y - f0)
	ebb := make([]float64, nm) // |y - f0|^2
	for c := range y {
		a := make([]float64, p.n)
		b := make([]float64, p.n)
		d := make([]float64, p.n)
		for i := range a {
			f0 := 0.0
			if o.F0 != nil {
				f0 = o.F0[c][i]
			}
			a[i] = y[c][i] - o.Clean[c][i]
			b[i] = y[c][i] - f0
			d[i] = o.Clean[c][i] - f0
		}
		ca, cb, cd := p.coords(a), p.coords(b), p.coords(d)
		for j, e := range p.ef {
			exx[j] += e * (real(cd[j])*real(cd[j]) + imag(cd[j])*imag(cd[j]))
			eaa[j] += e * (real(ca[j])*real(ca[j]) + imag(ca[j])*imag(ca[j]))
			eab[j] += e * (real(ca[j])*real(cb[j]) + imag(ca[j])*imag(cb[j]))
			ebb[j] += e * (real(cb[j])*real(cb[j]) + imag(cb[j])*imag(cb[j]))
		}
	}
	total := float64(p.n * len(y))
	s2 := o.Noise * o.Noise * float64(len(y)) // noise energy per mode, all channels
	mse := func(t int) (expected, realized float64) {
		for j := 0; j < nm; j++ {
			s := pow(j, t)
			u := 1 - s
			expected += s*s*exx[j] + s2*p.wt[j]*u*u
			realized += eaa[j] - 2*s*eab[j] + s*s*ebb[j]
		}
		return expected / total, math.Max(realized, 0) / total
	}
	psnr := func(m float64) float64 { return 10 * math.Log10(1/m) }
	ne := len(out.Iters)
	out.PSNRExpected = make([]float64, ne)
	out.PSNRRealized = make([]float64, ne)
	parallel(ne, p.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			e, r := mse(out.Iters[i])
			out.PSNRExpected[i], out.PSNRRealized[i] = psnr(e), psnr(r)
		}
	})
	best := func(curve []float64, pick func(e, r float64) float64) (int, float64) {
		bi := 0
		for i, v := range curve {
			if v > curve[bi] {
				bi = i
			}
		}
		// Refine between the neighbouring checkpoints.
		lo, hi := out.Iters[bi], out.Iters[bi]
		if bi > 0 {
			lo = out.Iters[bi-1]
		}
		if bi < ne-1 {
			hi = out.Iters[bi+1]
		}
		bt, bv := out.Iters[bi], curve[bi]
		for t := lo; t <= hi; t++ {
			if v := psnr(pick(mse(t))); v > bv {
				bt, bv = t, v
			}
		}
		return bt, bv
	}
	out.BestIter, out.BestPSNR = best(out.PSNRExpected, func(e, _ float64) float64 { return e })
	out.BestIterRealized, out.BestPSNRRealized = best(out.PSNRRealized, func(_, r float64) float64 { return r })
}
