package kernel_test

// A brute-force reference: it propagates the full (HW) x (HW) second-moment
// matrix M and NTK matrix T layer by layer with plain dense loops, each
// layer written directly from docs/theory.md sections 1 to 3, and shares no code
// with package kernel (it reads the architecture from arch and compares
// with kernel.Compute's maps through its own indexing).

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

type bfPart struct {
	M, T []float64 // n x n, n = h*w
	ch   int
	// G is the gamma term an affine batch norm added to T (its output's
	// NNGP), until the next layer: an activation right after it maps it
	// to E[phi'(u) u phi'(u') u'] instead of Qdot G.
	G []float64
}

type bfState struct {
	parts []bfPart
	h, w  int // h = 1 in 1-D
	// flat marks a vector (a dense layer's output, h = w = 1); gh, gw
	// are then the grid at its scale, which a dense layer with image
	// returns to.
	flat   bool
	gh, gw int
}

type brute struct {
	a     arch.Arch
	ntk   bool
	saved map[string]bfState
}

func (s bfState) n() int { return s.h * s.w }

// bruteForce returns the dense NNGP and NTK of the network output and the
// output grid (h, w).
func bruteForce(a arch.Arch, size []int, ntk bool) (M, T []float64, h, w int, err error) {
	in, err := a.InputSize(size)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	b := &brute{a: a, ntk: ntk, saved: map[string]bfState{}}
	s := b.input(in)
	s, err = b.walk(a.Layers, s)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	// Channel-weighted mean of the parts (identity when there is one).
	n := s.n()
	M, T = make([]float64, n*n), make([]float64, n*n)
	ch := 0
	for _, p := range s.parts {
		ch += p.ch
	}
	for _, p := range s.parts {
		r := float64(p.ch) / float64(ch)
		for i := range M {
			M[i] += r * p.M[i]
			if ntk {
				T[i] += r * p.T[i]
			}
		}
	}
	return M, T, s.h, s.w, nil
}

// input: M0 = v G G^T + mu^2 with G the circular smoothing matrix.
func (b *brute) input(size []int) bfState {
	h, w := 1, size[0]
	if b.a.Dims == 2 {
		h, w = size[0], size[1]
	}
	n := h * w
	in := b.a.Input
	var m, v float64
	if in.Dist == arch.Uniform {
		m, v = (in.Low+in.High)/2, (in.High-in.Low)*(in.High-in.Low)/12
	} else {
		m, v = in.Mean, in.Std*in.Std
	}
	g := in.SmoothFilter()
	R := (len(g) - 1) / 2
	// h(x) = sum_t g(t) z(x - t), t per axis.
	G := make([]float64, n*n)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			tys := []int{0}
			if b.a.Dims == 2 {
				tys = nil
				for t := -R; t <= R; t++ {
					tys = append(tys, t)
				}
			}
			for _, ty := range tys {
				gy := 1.0
				if b.a.Dims == 2 {
					gy = g[ty+R]
				}
				for tx := -R; tx <= R; tx++ {
					src := wrap(y-ty, h)*w + wrap(x-tx, w)
					G[(y*w+x)*n+src] += gy * g[tx+R]
				}
			}
		}
	}
	mu := 0.0
	for j := 0; j < n; j++ {
		mu += G[j] // row 0 sums the whole filter
	}
	mu *= m
	rows := sparseRows(G, n, n)
	M := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for _, e := range rows[i] {
				s += e.v * G[j*n+e.k]
			}
			M[i*n+j] = v*s + mu*mu
		}
	}
	return bfState{parts: []bfPart{{M: M, T: make([]float64, n*n), ch: in.Channels}}, h: h, w: w}
}

func wrap(a, n int) int { return ((a % n) + n) % n }

func (b *brute) walk(ls []arch.Layer, s bfState) (bfState, error) {
	for _, l := range ls {
		switch l := l.(type) {
		case arch.Conv:
			s = b.conv(l, s)
		case arch.Act:
			for i := range s.parts {
				s.parts[i] = b.act(l, s.parts[i])
			}
		case arch.Pool:
			s = b.linear(s, func(n int) ([]float64, int) { return poolMatrix(l.Op, n) })
		case arch.Upsample:
			s = b.linear(s, func(n int) ([]float64, int) { return upMatrixOf(l, n) })
		case arch.BatchNorm:
			for i := range s.parts {
				s.parts[i] = b.bn(l, s.parts[i], s.n())
			}
		case arch.Dense:
			s = b.dense(l, s)
		case arch.Save:
			c := s
			c.parts = nil
			for _, p := range s.parts {
				c.parts = append(c.parts, bfPart{M: append([]float64(nil), p.M...), T: append([]float64(nil), p.T...), ch: p.ch, G: p.G})
			}
			b.saved[l.Name] = c
		case arch.Concat:
			src := b.saved[l.From]
			c := src
			c.parts = nil
			for _, p := range src.parts {
				c.parts = append(c.parts, bfPart{M: append([]float64(nil), p.M...), T: append([]float64(nil), p.T...), ch: p.ch, G: p.G})
			}
			br, err := b.walk(l.Branch, c)
			if err != nil {
				return s, err
			}
			s.parts = append(br.parts, s.parts...)
		default:
			return s, fmt.Errorf("brute force: layer %T", l)
		}
	}
	return s, nil
}

// conv: Sigma'(y,y') = sb2 + sw2/k sum_t sum_i r_i M_i(s y + t, s y' + t),
// Theta' = Sigma' + sw2/k sum_t sum_i r_i T_i(s y + t, s y' + t).
func (b *brute) conv(l arch.Conv, s bfState) bfState {
	cin := 0
	for _, p := range s.parts {
		cin += p.ch
	}
	taps := l.K
	if b.a.Dims == 2 {
		taps = l.K * l.K
	}
	var sw2, sb2 float64
	if b.a.Init.Scheme == arch.PyTorch {
		sw2, sb2 = 1.0/3, 1/(3*float64(cin*taps))
	} else {
		sw2, sb2 = b.a.Init.SW*b.a.Init.SW, b.a.Init.SB*b.a.Init.SB
	}
	if !l.Bias {
		sb2 = 0
	}
	sw2 *= bfLipschitz(l, sw2, cin, taps)
	st := l.Stride
	oh, ow := s.h, s.w/st
	if b.a.Dims == 2 {
		oh = s.h / st
	}
	R := (l.K - 1) / 2
	var ts [][2]int
	for ty := -R; ty <= R; ty++ {
		if b.a.Dims == 1 && ty != 0 {
			continue
		}
		for tx := -R; tx <= R; tx++ {
			ts = append(ts, [2]int{ty, tx})
		}
	}
	n, on := s.n(), oh*ow
	M, T := make([]float64, on*on), make([]float64, on*on)
	for Y := 0; Y < on; Y++ {
		y1, x1 := Y/ow, Y%ow
		for Y2 := 0; Y2 < on; Y2++ {
			y2, x2 := Y2/ow, Y2%ow
			var sm, stt float64
			for _, t := range ts {
				i := wrap(st*y1+t[0], s.h)*s.w + wrap(st*x1+t[1], s.w)
				j := wrap(st*y2+t[0], s.h)*s.w + wrap(st*x2+t[1], s.w)
				for _, p := range s.parts {
					r := float64(p.ch) / float64(cin)
					sm += r * p.M[i*n+j]
					stt += r * p.T[i*n+j]
				}
			}
			M[Y*on+Y2] = sb2 + sw2/float64(taps)*sm
			T[Y*on+Y2] = M[Y*on+Y2] + sw2/float64(taps)*stt
		}
	}
	return bfState{parts: []bfPart{{M: M, T: T, ch: l.Out}}, h: oh, w: ow}
}

// act: M' = Q(M), T' = Qdot(M) T, elementwise.
func (b *brute) act(l arch.Act, p bfPart) bfPart {
	if l.Fn == arch.Identity {
		return p
	}
	n := int(math.Sqrt(float64(len(p.M))))
	M, T := make([]float64, n*n), make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			q, qd := bfMoments(l, p.M[i*n+i], p.M[j*n+j], p.M[i*n+j])
			M[i*n+j] = q
			T[i*n+j] = qd * p.T[i*n+j]
			if p.G != nil && (l.Fn == arch.ReLU || l.Fn == arch.LeakyReLU) {
				// phi'(u) u = phi(u): the gamma term becomes Q.
				T[i*n+j] = qd*(p.T[i*n+j]-p.G[i*n+j]) + q
			}
		}
	}
	return bfPart{M: M, T: T, ch: p.ch}
}

// bfMoments returns Q and Qdot of an activation for the covariance
// [[a, c], [c, b]]: closed forms from docs/theory.md for relu, leakyrelu, erf
// and identity, the trapezoid rule of gaussMoments for tanh and sigmoid.
func bfMoments(l arch.Act, a, b, c float64) (q, qd float64) {
	switch l.Fn {
	case arch.Identity:
		return c, 1
	case arch.ReLU, arch.LeakyReLU:
		al := 0.0
		if l.Fn == arch.LeakyReLU {
			al = l.Slope
		}
		s := math.Sqrt(a * b)
		cs := math.Max(-1, math.Min(1, c/s))
		th := math.Acos(cs)
		J := math.Sin(th) + (math.Pi-th)*math.Cos(th)
		return al*c + (1-al)*(1-al)*s*J/(2*math.Pi), al + (1-al)*(1-al)*(math.Pi-th)/(2*math.Pi)
	case arch.Erf:
		d := (1 + 2*a) * (1 + 2*b)
		return 2 / math.Pi * math.Asin(2*c/math.Sqrt(d)), 4 / math.Pi / math.Sqrt(d-4*c*c)
	}
	return gaussMoments(l.Fn, a, b, c)
}

// bfFuncs are the activations gaussMoments integrates, with their
// derivatives (erf too, to test the rule against its closed form).
var bfFuncs = map[arch.ActFn][2]func(float64) float64{
	arch.Tanh: {math.Tanh, func(u float64) float64 { t := math.Tanh(u); return 1 - t*t }},
	arch.Sigmoid: {func(u float64) float64 { return 1 / (1 + math.Exp(-u)) },
		func(u float64) float64 { s := 1 / (1 + math.Exp(-u)); return s * (1 - s) }},
	arch.Erf: {math.Erf, func(u float64) float64 { return 2 / math.SqrtPi * math.Exp(-u*u) }},
}

var (
	gaussMu   sync.Mutex
	gaussMemo = map[gaussKey][2]float64{}
)

// gaussKey is what gaussMoments memoizes by.
type gaussKey struct {
	fn      arch.ActFn
	a, b, c float64
}

// gaussLimit is where the trapezoid rule cuts the standard normal:
// exp(-gaussLimit^2/2) is below 1e-17.
const gaussLimit = 9

// gaussStep returns the trapezoid rule's step in z for a pre-activation of
// standard deviation s. For an integrand g(z) exp(-z^2/2) with g analytic
// in the strip |Im z| < d, the rule's error is about exp(-2 pi d / h)
// times a power of 1/h from the order of g's poles (tanh'^2 has poles of
// order 4). tanh has poles at u = i pi/2, so g(z) = tanh(s z) has
// d = pi/(2 s) (sigmoid: pi/s); h = 0.2/s makes the exponential
// exp(-5 pi^2) = 4e-22. For small s the Gaussian limits the step: its
// error exp(-2 pi^2/h^2) is 1e-54 at the largest step, 0.4.
func gaussStep(s float64) float64 {
	return math.Min(0.4, 0.2/s)
}

// gaussMoments returns E[phi(u) phi(u')] and E[phi'(u) phi'(u')] over
// (u, u') = (sqrt(a) z1, sqrt(b)(rho z1 + sqrt(1-rho^2) z2)), z1 and z2
// independent standard normals, by the tensor trapezoid rule of step
// gaussStep on [-gaussLimit, gaussLimit]^2, memoized. (A 48-point
// Gauss-Hermite rule, used before, is off by 6e-3 at a = b = c = 9 for
// tanh: its nodes are too sparse near 0, where tanh(3 z) turns.)
func gaussMoments(fn arch.ActFn, a, b, c float64) (q, qd float64) {
	gaussMu.Lock()
	defer gaussMu.Unlock()
	if a > b { // symmetric in (u, u')
		a, b = b, a
	}
	key := gaussKey{fn, a, b, c}
	if r, ok := gaussMemo[key]; ok {
		return r[0], r[1]
	}
	fs, ok := bfFuncs[fn]
	if !ok {
		panic("gaussMoments: no integrand for " + string(fn))
	}
	f, df := fs[0], fs[1]
	rho := 0.0
	if a > 0 && b > 0 {
		rho = math.Max(-1, math.Min(1, c/math.Sqrt(a*b)))
	}
	sa, sb, sr := math.Sqrt(a), math.Sqrt(b), math.Sqrt(math.Max(0, 1-rho*rho))
	h := gaussStep(math.Max(sa, sb))
	n := int(math.Ceil(gaussLimit / h))
	h = gaussLimit / float64(n)
	z := make([]float64, 2*n+1)
	w := make([]float64, 2*n+1)
	for i := range z {
		z[i] = float64(i-n) * h
		w[i] = h * math.Exp(-z[i]*z[i]/2) / math.Sqrt(2*math.Pi)
	}
	for i, z1 := range z {
		u := sa * z1
		fu, dfu := f(u), df(u)
		var s, sd float64
		for j, z2 := range z {
			u2 := sb * (rho*z1 + sr*z2)
			s += w[j] * f(u2)
			sd += w[j] * df(u2)
		}
		q += w[i] * fu * s
		qd += w[i] * dfu * sd
	}
	gaussMemo[key] = [2]float64{q, qd}
	return q, qd
}

// linear applies a parameter-free linear layer with per-axis matrix
// mk(n) (rows = output points, returns also the output axis size) as
// A M A^T to every part.
func (b *brute) linear(s bfState, mk func(n int) ([]float64, int)) bfState {
	ax, ow := mk(s.w)
	ay, oh := []float64{1}, 1
	if b.a.Dims == 2 {
		ay, oh = mk(s.h)
	}
	n, on := s.n(), oh*ow
	A := make([]float64, on*n)
	for Y := 0; Y < oh; Y++ {
		for X := 0; X < ow; X++ {
			for y := 0; y < s.h; y++ {
				for x := 0; x < s.w; x++ {
					A[(Y*ow+X)*n+y*s.w+x] = ay[Y*s.h+y] * ax[X*s.w+x]
				}
			}
		}
	}
	rows := sparseRows(A, on, n)
	aka := func(K []float64) []float64 {
		B := make([]float64, on*n) // A K
		for i := 0; i < on; i++ {
			for k := 0; k < n; k++ {
				if a := A[i*n+k]; a != 0 {
					for j := 0; j < n; j++ {
						B[i*n+j] += a * K[k*n+j]
					}
				}
			}
		}
		C := make([]float64, on*on) // B A^T
		for i := 0; i < on; i++ {
			for j := 0; j < on; j++ {
				var s float64
				for _, e := range rows[j] {
					s += B[i*n+e.k] * e.v
				}
				C[i*on+j] = s
			}
		}
		return C
	}
	out := bfState{h: oh, w: ow}
	for _, p := range s.parts {
		out.parts = append(out.parts, bfPart{M: aka(p.M), T: aka(p.T), ch: p.ch})
	}
	return out
}

type nz struct {
	k int
	v float64
}

// sparseRows lists the non-zero entries of each row of an r x c matrix.
func sparseRows(A []float64, r, c int) [][]nz {
	out := make([][]nz, r)
	for i := 0; i < r; i++ {
		for k := 0; k < c; k++ {
			if A[i*c+k] != 0 {
				out[i] = append(out[i], nz{k, A[i*c+k]})
			}
		}
	}
	return out
}

// poolMatrix: decimation y = x[2i]; average y = (x[2i] + x[2i+1]) / 2.
func poolMatrix(op arch.PoolOp, n int) ([]float64, int) {
	m := n / 2
	A := make([]float64, m*n)
	for i := 0; i < m; i++ {
		if op == arch.Decimate {
			A[i*n+2*i] = 1
		} else {
			A[i*n+2*i] = 0.5
			A[i*n+2*i+1] = 0.5
		}
	}
	return A, m
}

// upMatrix: nearest y[j] = x[j/2]; bilinear (align_corners=False, wrapping)
// y[2i] = 0.75 x[i] + 0.25 x[i-1], y[2i+1] = 0.75 x[i] + 0.25 x[i+1].
func upMatrix(mode arch.UpMode, n int) ([]float64, int) {
	m := 2 * n
	A := make([]float64, m*n)
	for i := 0; i < n; i++ {
		if mode == arch.Nearest {
			A[(2*i)*n+i] = 1
			A[(2*i+1)*n+i] = 1
			continue
		}
		A[(2*i)*n+i] += 0.75
		A[(2*i)*n+wrap(i-1, n)] += 0.25
		A[(2*i+1)*n+i] += 0.75
		A[(2*i+1)*n+wrap(i+1, n)] += 0.25
	}
	return A, m
}

// bn: K_c = K - m(x) - m(x') + Mbar with explicit means; K_bn = K_c / (v +
// eps), v = mean_x K_c(x,x); T the same with the same v, plus K_bn + 1 with
// affine parameters (and G = K_bn, the gamma term, for the activation).
func (b *brute) bn(l arch.BatchNorm, p bfPart, n int) bfPart {
	if l.MeanOnly {
		return bfMeanOnly(l, p, n)
	}
	center := func(K []float64) []float64 {
		m := make([]float64, n)
		var all float64
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				m[i] += K[i*n+j]
			}
			m[i] /= float64(n)
			all += m[i]
		}
		all /= float64(n)
		C := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				C[i*n+j] = K[i*n+j] - m[i] - m[j] + all
			}
		}
		return C
	}
	M, T := center(p.M), center(p.T)
	var v float64
	for i := 0; i < n; i++ {
		v += M[i*n+i]
	}
	v /= float64(n)
	var G []float64
	for i := range M {
		M[i] /= v + l.Eps
		T[i] /= v + l.Eps
		if l.Affine {
			T[i] += M[i] + 1
		}
	}
	if l.Affine {
		G = M
	}
	return bfPart{M: M, T: T, ch: p.ch, G: G}
}

// mapValue reads K(x, x') from a map by its documented layout.
func mapValue(m kernel.Map, h, w, x1, x2 int) float64 {
	P := m.Period
	y1, xx1, y2, xx2 := x1/w, x1%w, x2/w, x2%w
	p := xx1 % P
	if len(m.Size) == 2 {
		p += (y1 % P) * P
	}
	d := wrap(y2-y1, h)*w + wrap(xx2-xx1, w)
	return m.Data[p*h*w+d]
}

// compareDense checks a map against a dense matrix to a relative tolerance
// (max abs difference over max abs value).
func compareDense(t *testing.T, what string, m kernel.Map, D []float64, h, w int, tol float64) {
	t.Helper()
	n := h * w
	if len(D) != n*n {
		t.Fatalf("%s: dense has %d values, want %d", what, len(D), n*n)
	}
	var diff, scale float64
	worst := 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a, b := mapValue(m, h, w, i, j), D[i*n+j]
			if d := math.Abs(a - b); d > diff || math.IsNaN(d) {
				diff, worst = d, i*n+j
			}
			scale = math.Max(scale, math.Abs(b))
		}
	}
	if !(diff <= tol*scale) {
		i, j := worst/n, worst%n
		t.Errorf("%s: max |map - brute force| = %.3g (relative %.3g) at (%d,%d): map %.15g, brute %.15g",
			what, diff, diff/scale, i, j, mapValue(m, h, w, i, j), D[worst])
	}
}

func checkBrute(t *testing.T, name string, a arch.Arch, size []int) {
	t.Helper()
	k, th, err := kernel.Compute(context.Background(), a, size, kernel.Options{NTK: true, BN: kernel.BNMeanField})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	M, T, h, w, err := bruteForce(a, size, true)
	if err != nil {
		t.Fatalf("%s: brute force: %v", name, err)
	}
	if k.Period < 1 || h*w != k.Points() {
		t.Fatalf("%s: map grid %v, brute force %dx%d", name, k.Size, h, w)
	}
	compareDense(t, name+" NNGP", k, M, h, w, 1e-9)
	compareDense(t, name+" NTK", th, T, h, w, 1e-9)
}

func baseArch(dims int, init arch.Init, input arch.Input, ls ...arch.Layer) arch.Arch {
	return arch.Arch{Dims: dims, Input: input, Init: init, Param: arch.NTK, Pad: arch.Circular, Layers: ls}
}

// Each layer kind alone after a conv + activation, 2-D 16x16 and 1-D 64.
func TestBruteForceLayers(t *testing.T) {
	uni := arch.Input{Channels: 3, Dist: arch.Uniform, Low: 0, High: 0.1}
	gau := arch.Input{Channels: 2, Dist: arch.Gaussian, Mean: 0.3, Std: 1.2, Smooth: 1}
	normal := arch.Init{Scheme: arch.Normal, SW: 1.3, SB: 0.2}
	torch := arch.Init{Scheme: arch.PyTorch}
	c3 := arch.Conv{Out: 4, K: 3, Stride: 1, Bias: true}
	relu := arch.Act{Fn: arch.ReLU}
	cases := []struct {
		name  string
		init  arch.Init
		input arch.Input
		ls    []arch.Layer
		small bool // 8x8 and 32 instead of 16x16 and 64
	}{
		{"conv5", normal, gau, []arch.Layer{c3, relu, arch.Conv{Out: 3, K: 5, Stride: 1, Bias: true}}, false},
		{"conv-stride2", normal, uni, []arch.Layer{c3, relu, arch.Conv{Out: 3, K: 3, Stride: 2, Bias: true}}, false},
		{"conv1x1-nobias", torch, uni, []arch.Layer{c3, relu, arch.Conv{Out: 3, K: 1, Stride: 1}}, false},
		{"avgpool", normal, uni, []arch.Layer{c3, relu, arch.Pool{Op: arch.Avg}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}}, false},
		{"decimate", normal, gau, []arch.Layer{c3, relu, arch.Pool{Op: arch.Decimate}}, false},
		{"nearest", torch, uni, []arch.Layer{c3, relu, arch.Upsample{Mode: arch.Nearest}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}}, false},
		{"bilinear", normal, uni, []arch.Layer{c3, relu, arch.Upsample{Mode: arch.Bilinear}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, relu}, false},
		{"bilinear-twice-stride", normal, uni, []arch.Layer{c3, relu, arch.Upsample{Mode: arch.Bilinear}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, relu, arch.Upsample{Mode: arch.Bilinear}, arch.Conv{Out: 2, K: 3, Stride: 2, Bias: true}, relu, arch.Pool{Op: arch.Avg}}, true},
		{"batchnorm", torch, uni, []arch.Layer{c3, arch.BatchNorm{Affine: true, Eps: 1e-5}, relu, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.BatchNorm{Eps: 0}}, false},
		{"leakyrelu", normal, uni, []arch.Layer{c3, arch.Act{Fn: arch.LeakyReLU, Slope: 0.2}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.LeakyReLU, Slope: -0.5}}, false},
		{"erf", normal, gau, []arch.Layer{c3, arch.Act{Fn: arch.Erf}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.Erf}}, false},
		{"tanh", normal, uni, []arch.Layer{c3, arch.Act{Fn: arch.Tanh}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.Tanh}}, true},
		{"sigmoid", torch, gau, []arch.Layer{c3, arch.Act{Fn: arch.Sigmoid}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.Sigmoid}}, true},
		{"identity", normal, uni, []arch.Layer{c3, arch.Act{Fn: arch.Identity}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.Identity}}, false},
		{"concat-bn", normal, uni, []arch.Layer{
			arch.Save{Name: "in"}, c3, relu,
			arch.Concat{From: "in", Branch: []arch.Layer{arch.Conv{Out: 5, K: 1, Stride: 1, Bias: true}, relu}},
			arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true}}, false},
		{"concat-periods", torch, uni, []arch.Layer{
			c3, relu, arch.Save{Name: "a"}, arch.Conv{Out: 3, K: 3, Stride: 2, Bias: true}, relu, arch.Upsample{Mode: arch.Bilinear},
			arch.Concat{From: "a"}, arch.BatchNorm{Affine: true, Eps: 1e-5}, arch.Upsample{Mode: arch.Nearest}}, false},
	}
	for _, c := range cases {
		for _, dims := range []int{2, 1} {
			a := baseArch(dims, c.init, c.input, c.ls...)
			size := []int{16, 16}
			if dims == 1 {
				size = []int{64}
			}
			if c.small {
				size = size[:dims]
				for i := range size {
					size[i] /= 2
				}
			}
			name := fmt.Sprintf("%s/%dd", c.name, dims)
			checkBrute(t, name, a, size)
		}
	}
}

// dip-skip with two scales, nearest and bilinear up-sampling, small
// channel counts (the concat weights depend on them).
func TestBruteForceDIPSkip(t *testing.T) {
	for _, up := range []string{"nearest", "bilinear"} {
		for _, dims := range []int{2, 1} {
			spec := fmt.Sprintf("dip-skip:scales=2,channels=6,skip=3,in_channels=5,up=%s,dims=%d", up, dims)
			a := mustArch(t, spec)
			size := []int{16, 16}
			if dims == 1 {
				size = []int{64}
			}
			checkBrute(t, spec, a, size)
			checkBrute(t, spec+" pre-activation", a.PreActivation(), size)
		}
	}
}

// TestGaussMomentsAccuracy checks the brute force's quadrature: against
// erf's closed forms (docs/theory.md) over variances up to 9 and
// correlations up to 1, and, for tanh at pre-activation std 3 (where a
// 48-point Gauss-Hermite rule gave Q = 0.7510 and Qdot = 0.1508), against
// a 1-D Gauss-Legendre rule of 4000 points on [-12, 12] (gonum's quad),
// an independent rule.
func TestGaussMomentsAccuracy(t *testing.T) {
	erf := arch.Act{Fn: arch.Erf}
	for _, v := range [][3]float64{{1, 1, 0.3}, {9, 9, 9}, {9, 9, -4}, {0.01, 9, 0.2}, {4, 2.25, 2.9}, {9, 0.5, 0}} {
		a, b, c := v[0], v[1], v[2]
		wq, wqd := bfMoments(erf, a, b, c)
		q, qd := gaussMoments(arch.Erf, a, b, c)
		t.Logf("erf at (a, b, c) = %v: Q error %.1g, Qdot error %.1g vs the closed forms", v, q-wq, qd-wqd)
		if math.Abs(q-wq) > 1e-12 || math.Abs(qd-wqd) > 1e-12 {
			t.Errorf("erf at (a, b, c) = %v: Q %.15g, closed form %.15g (error %.2g); Qdot %.15g, closed form %.15g (error %.2g)",
				v, q, wq, q-wq, qd, wqd, qd-wqd)
		}
	}
	legendre := func(g func(z float64) float64) float64 {
		phi := func(z float64) float64 { return g(z) * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
		return quad.Fixed(phi, -12, 12, 4000, quad.Legendre{}, 0)
	}
	for _, s := range []float64{0.5, 1, 3, 6} {
		fs := bfFuncs[arch.Tanh]
		wq := legendre(func(z float64) float64 { f := fs[0](s * z); return f * f })
		wqd := legendre(func(z float64) float64 { d := fs[1](s * z); return d * d })
		q, qd := gaussMoments(arch.Tanh, s*s, s*s, s*s)
		t.Logf("tanh at std %g: Q %.12f (error vs Legendre %.1g), Qdot %.12f (error %.1g)", s, q, q-wq, qd, qd-wqd)
		if math.Abs(q-wq) > 1e-11 || math.Abs(qd-wqd) > 1e-11 {
			t.Errorf("tanh at std %g: Q %.15g, Legendre %.15g (error %.2g); Qdot %.15g, Legendre %.15g (error %.2g)",
				s, q, wq, q-wq, qd, wqd, qd-wqd)
		}
	}
}
