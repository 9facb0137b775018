package dip

import (
	"context"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/internal/imageio"
)

const tinySignalArch = "encdec:dims=1,scales=2,channels=8,in_channels=4,out_channels=1,out_act=identity,bn=false,pad=circular"

func testSignal(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		u := float64(i) / float64(n)
		x[i] = 0.3*math.Sin(2*math.Pi*2*u) + 0.1*math.Sin(2*math.Pi*7*u)
	}
	return x
}

func TestSignalTrainLossDecreases(t *testing.T) {
	// A 1-D network fitted with Adam to a 1-D inpainting problem: the loss
	// at the end is a small fraction of the first, and the measurements
	// carry 5 FBC bands and the signal's radial bins.
	p, err := NewSignalProblem(testSignal(32), TaskOptions{Task: Inpaint, Keep: 0.5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Arch: smallArch(t, tinySignalArch), Problem: p, Opt: Optimizer{Kind: Adam, LR: 0.01},
		Iters: 120, Every: 40, Seed: 7, BurnIn: -1}
	r, err := Train(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms := r.Measurements
	first, last := ms[0].Loss, ms[len(ms)-1].Loss
	if !(last < 0.1*first) {
		t.Errorf("loss went from %g to %g; want below a tenth", first, last)
	}
	if len(ms[0].FBC) != FBCBands || len(r.BinCenters) != 8 {
		t.Errorf("%d FBC bands, %d bins; want %d and 8", len(ms[0].FBC), len(r.BinCenters), FBCBands)
	}
	if r.Output.W != 32 || r.Output.H != 1 || r.Output.C != 1 {
		t.Errorf("output is %dx%dx%d; want 32x1x1", r.Output.W, r.Output.H, r.Output.C)
	}
}

func TestSignalSumLossGradient(t *testing.T) {
	// With SumLoss and plain gradient descent, one small step lowers the
	// loss by lr ||g||^2 to first order; the loss is n times the mean
	// loss at the start. Finite differences of the whole 1-D training step
	// (forward, loss, backward, update) against that prediction.
	p, err := NewSignalProblem(testSignal(32), TaskOptions{Task: Denoise, Sigma: 10, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	a := smallArch(t, tinySignalArch)
	run := func(sum bool, lr float64, iters int) Result {
		cfg := Config{Arch: a, Problem: p, Opt: Optimizer{Kind: GD, LR: lr}, Iters: iters, Every: 1, Seed: 4,
			BurnIn: -1, SumLoss: sum}
		r, err := Train(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mean := run(false, 1e-3, 0).Measurements[0].Loss
	sum := run(true, 1e-3, 0).Measurements[0].Loss
	if math.Abs(sum-32*mean) > 1e-9*sum {
		t.Errorf("sum loss %g, 32 x mean loss %g", sum, 32*mean)
	}
	// gradient norm squared from the parameters' gradients after a step.
	const lr = 1e-4
	r := run(true, lr, 1)
	var g2 float64
	for _, q := range r.Net.Params() {
		for _, v := range q.Grad {
			g2 += float64(v) * float64(v)
		}
	}
	drop := r.Measurements[0].Loss - r.Measurements[1].Loss
	if want := lr * g2; math.Abs(drop-want) > 0.05*want {
		t.Errorf("loss drop %g after one step; first order predicts lr |g|^2 = %g", drop, want)
	}
}

// directFBC is docs/theory.md section 6's FBC of a 1-D output f against y
// computed with a direct O(N^2) DFT.
func directFBC(f, y []float64) []float64 {
	n := len(f)
	dft := func(x []float64, k int) complex128 {
		var s complex128
		for j, v := range x {
			s += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/float64(n)))
		}
		return s
	}
	half := float64(n / 2)
	var sum [FBCBands]float64
	var cnt [FBCBands]int
	for k := 0; k < n; k++ {
		d := float64(k)
		if k >= (n+1)/2 {
			d = float64(n - k)
		}
		b := int(math.Ceil(d/half*FBCBands)) - 1
		if d == 0 {
			b = 0
		}
		m := cmplx.Abs(dft(f, k)) / (cmplx.Abs(dft(y, k)) + 1e-8)
		sum[b] += min(1, m)
		cnt[b]++
	}
	out := make([]float64, FBCBands)
	for b := range out {
		out[b] = sum[b] / float64(cnt[b])
	}
	return out
}

func TestSignalFBCDirectDFT(t *testing.T) {
	for _, n := range []int{40, 33} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		y, f := make([]float64, n), make([]float64, n)
		for i := range y {
			y[i] = rng.NormFloat64()
			f[i] = 0.7*y[i] + 0.5*rng.NormFloat64()
		}
		m, err := NewMeter(imageio.Image{W: n, H: 1, C: 1, Pix: y}, DefaultBins(n, 1))
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.FBC(imageio.Image{W: n, H: 1, C: 1, Pix: f})
		if err != nil {
			t.Fatal(err)
		}
		want := directFBC(f, y)
		for b := range want {
			if math.Abs(got[b]-want[b]) > 1e-12 {
				t.Errorf("N=%d band %d: Meter %v, direct DFT %v", n, b+1, got[b], want[b])
			}
		}
	}
}

func TestSignalBadInput(t *testing.T) {
	img := imageio.Synthetic(16, 16, 1)
	im, err := NewProblem(img, TaskOptions{Task: Fit})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := NewSignalProblem(testSignal(32), TaskOptions{Task: Fit})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Arch: smallArch(t, tinySignalArch), Problem: im, Opt: Optimizer{Kind: Adam, LR: 0.01}, Every: 1}, "dims=1"},
		{Config{Arch: smallArch(t, "encdec:scales=2,channels=8,out_channels=1"), Problem: sig, Opt: Optimizer{Kind: Adam, LR: 0.01}, Every: 1}, "1-D signal of 32 samples"},
	}
	for _, c := range cases {
		_, err := Train(context.Background(), c.cfg, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v; want one naming %q", err, c.want)
		}
	}
	if _, err := NewSignalProblem(testSignal(32), TaskOptions{Task: Inpaint, Mask: make([]bool, 31)}); err == nil || !strings.Contains(err.Error(), "31 entries") {
		t.Errorf("mask of the wrong length: %v", err)
	}
	if _, err := NewSignalProblem(testSignal(5), TaskOptions{Task: Fit}); err == nil {
		t.Error("a 5-sample signal was accepted")
	}
}
