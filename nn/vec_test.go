package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecKernels checks the assembly kernels against their Go mirrors
// (bit-identical) and against float64 formulas, on lengths that are and are
// not multiples of the block size.
func TestVecKernels(t *testing.T) {
	if !useAVX {
		t.Log("no assembly kernels on this machine: checking the Go versions against float64 only")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	run := func(avx bool, f func()) {
		old := useAVX
		useAVX = avx && old
		defer func() { useAVX = old }()
		f()
	}
	for _, n := range []int{1, 7, 8, 9, 16, 31, 64, 1000, 4099} {
		x, y, dy, dx0 := rnd(n), rnd(n), rnd(n), rnd(n)
		const a, b, slope, m, c0, c1 = 1.3, -0.2, 0.2, 0.1, 0.05, -0.7
		// ssLeaky
		var out [2][]float32
		for k, avx := range []bool{true, false} {
			out[k] = make([]float32, n)
			run(avx, func() { ssLeaky(x, out[k], a, b, slope) })
		}
		for i := range x {
			v := float64(x[i])*a + b
			want := math.Max(v, 0) + slope*math.Min(v, 0)
			if math.Abs(float64(out[0][i])-want) > 1e-6 || out[0][i] != out[1][i] {
				t.Fatalf("ssLeaky n=%d i=%d: asm %g go %g want %g", n, i, out[0][i], out[1][i], want)
			}
		}
		// sumSq
		var s, ss [2]float64
		for k, avx := range []bool{true, false} {
			run(avx, func() { s[k], ss[k] = sumSq(x) })
		}
		var ws, wss float64
		for _, v := range x {
			ws += float64(v)
			wss += float64(v) * float64(v)
		}
		if s[0] != s[1] || ss[0] != ss[1] || math.Abs(s[0]-ws) > 1e-9 || math.Abs(ss[0]-wss) > 1e-9 {
			t.Fatalf("sumSq n=%d: asm %g %g go %g %g want %g %g", n, s[0], ss[0], s[1], ss[1], ws, wss)
		}
		// bnSums, with and without the mask
		for _, yy := range [][]float32{nil, y} {
			for k, avx := range []bool{true, false} {
				run(avx, func() { s[k], ss[k] = bnSums(dy, yy, x, m, slope) })
			}
			ws, wss = 0, 0
			for i := range x {
				g := float64(dy[i])
				if yy != nil && yy[i] <= 0 {
					g *= slope
				}
				ws += g
				wss += g * (float64(x[i]) - m)
			}
			if s[0] != s[1] || ss[0] != ss[1] || math.Abs(s[0]-ws) > 1e-5 || math.Abs(ss[0]-wss) > 1e-5 {
				t.Fatalf("bnSums n=%d mask=%v: asm %g %g go %g %g want %g %g", n, yy != nil, s[0], ss[0], s[1], ss[1], ws, wss)
			}
			// bnWrite and leakyGrad, set and accumulate
			for _, acc := range []bool{false, true} {
				for k, avx := range []bool{true, false} {
					out[k] = append([]float32(nil), dx0...)
					run(avx, func() { bnWrite(dy, yy, x, out[k], m, a, c0, c1, slope, acc) })
				}
				for i := range x {
					g := float64(dy[i])
					if yy != nil && yy[i] <= 0 {
						g *= slope
					}
					want := a*g - c0 - c1*(float64(x[i])-m)
					if acc {
						want += float64(dx0[i])
					}
					if math.Abs(float64(out[0][i])-want) > 1e-5 || out[0][i] != out[1][i] {
						t.Fatalf("bnWrite n=%d i=%d: asm %g go %g want %g", n, i, out[0][i], out[1][i], want)
					}
				}
				if yy == nil {
					continue
				}
				for k, avx := range []bool{true, false} {
					out[k] = append([]float32(nil), dx0...)
					run(avx, func() { leakyGrad(dy, yy, out[k], slope, acc) })
				}
				for i := range x {
					want := float64(dy[i])
					if yy[i] <= 0 {
						want *= slope
					}
					if acc {
						want += float64(dx0[i])
					}
					if math.Abs(float64(out[0][i])-want) > 1e-6 || out[0][i] != out[1][i] {
						t.Fatalf("leakyGrad n=%d i=%d: asm %g go %g want %g", n, i, out[0][i], out[1][i], want)
					}
				}
			}
		}
		// addTo
		for k, avx := range []bool{true, false} {
			out[k] = append([]float32(nil), dx0...)
			run(avx, func() { addTo(out[k], x) })
		}
		for i := range x {
			if out[0][i] != dx0[i]+x[i] || out[1][i] != out[0][i] {
				t.Fatalf("addTo n=%d i=%d", n, i)
			}
		}
	}
}

// TestVecUpsample checks the up-sampling and axpby kernels: assembly
// against the Go mirror (bit-identical) and against float64 formulas.
func TestVecUpsample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	run := func(avx bool, f func()) {
		old := useAVX
		useAVX = avx && old
		defer func() { useAVX = old }()
		f()
	}
	for _, n := range []int{2, 3, 9, 10, 17, 18, 19, 64, 131} {
		x, z := rnd(n), rnd(n)
		var out [2][]float32
		for k, avx := range []bool{true, false} {
			out[k] = make([]float32, n)
			run(avx, func() { axpby(x, z, out[k], 0.75, -1.5) })
		}
		for i := range x {
			want := 0.75*float64(x[i]) - 1.5*float64(z[i])
			if out[0][i] != out[1][i] || math.Abs(float64(out[0][i])-want) > 1e-5 {
				t.Fatalf("axpby n=%d i=%d", n, i)
			}
		}
		for k, avx := range []bool{true, false} {
			out[k] = make([]float32, 2*n)
			run(avx, func() { upRow(x, out[k]) })
		}
		for i := 1; i < n-1; i++ {
			e := 0.75*float64(x[i]) + 0.25*float64(x[i-1])
			o := 0.75*float64(x[i]) + 0.25*float64(x[i+1])
			if out[0][2*i] != out[1][2*i] || out[0][2*i+1] != out[1][2*i+1] || math.Abs(float64(out[0][2*i])-e) > 1e-6 || math.Abs(float64(out[0][2*i+1])-o) > 1e-6 {
				t.Fatalf("upRow n=%d i=%d", n, i)
			}
		}
		g, d0 := rnd(2*n), rnd(n)
		for k, avx := range []bool{true, false} {
			out[k] = append([]float32(nil), d0...)
			run(avx, func() { upRowT(g, out[k]) })
		}
		for i := range d0 {
			want := float64(d0[i])
			if i >= 1 && i < n-1 {
				want += 0.75*(float64(g[2*i])+float64(g[2*i+1])) + 0.25*(float64(g[2*i-1])+float64(g[2*i+2]))
			}
			if out[0][i] != out[1][i] || math.Abs(float64(out[0][i])-want) > 1e-5 {
				t.Fatalf("upRowT n=%d i=%d: asm %g go %g want %g", n, i, out[0][i], out[1][i], want)
			}
		}
	}
}

// TestVecAdam checks the Adam kernel: assembly against the Go mirror
// (bit-identical) and against the update computed in float64.
func TestVecAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 8, 13, 100} {
		p0, g := make([]float32, n), make([]float32, n)
		m0, v0 := make([]float32, n), make([]float32, n)
		for i := range p0 {
			p0[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			m0[i], v0[i] = float32(0.1*rng.NormFloat64()), float32(rng.Float64())
		}
		c := [8]float32{0.01, 0.9, 0.1, 0.999, 0.001, 0.3, 1e-8, 0.02}
		var p, m, v [2][]float32
		for k, avx := range []bool{true, false} {
			p[k], m[k], v[k] = append([]float32(nil), p0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
			old := useAVX
			useAVX = avx && old
			adamUpdate(p[k], g, m[k], v[k], &c)
			useAVX = old
		}
		for i := range p0 {
			gi := float64(g[i]) + 0.01*float64(p0[i])
			mi := 0.9*float64(m0[i]) + 0.1*gi
			vi := 0.999*float64(v0[i]) + 0.001*gi*gi
			want := float64(p0[i]) - 0.02*mi/(math.Sqrt(vi)/0.3+1e-8)
			if p[0][i] != p[1][i] || m[0][i] != m[1][i] || v[0][i] != v[1][i] {
				t.Fatalf("n=%d i=%d: asm and Go differ", n, i)
			}
			if math.Abs(float64(p[0][i])-want) > 1e-6 || math.Abs(float64(m[0][i])-mi) > 1e-6 || math.Abs(float64(v[0][i])-vi) > 1e-6 {
				t.Fatalf("n=%d i=%d: p %g want %g", n, i, p[0][i], want)
			}
		}
	}
	if !finite([]float32{1, 2, 3, 4, 5}) || finite([]float32{1, 2, float32(math.Inf(-1)), 4, 5}) || finite([]float32{1, 2, 3, 4, float32(math.NaN())}) {
		t.Error("finite is wrong")
	}
}
