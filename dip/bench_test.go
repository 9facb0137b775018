package dip

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/nn"
	"gorgonia.org/tensor"
)

// benchArch is the training commands' default network.
const benchArch = "dip-skip:scales=3,channels=32"

// bareSteps times n bare nn steps of DIP denoising: input copy, Forward, the loss gradient, ZeroGrad, Backward and an
// nn.Adam step. It returns the seconds per step.
func bareSteps(tb testing.TB, size, n int) float64 {
	a := smallArch(tb, benchArch)
	net, err := nn.Build(a, []int{size, size}, 1)
	if err != nil {
		tb.Fatal(err)
	}
	z, _ := nn.NewInput(a, []int{size, size}, 1, 1)
	zd := z.Data().([]float32)
	zt := tensor.New(tensor.WithShape(z.Shape()...), tensor.WithBacking(make([]float32, len(zd))))
	ztd := zt.Data().([]float32)
	x := imageio.Synthetic(size, size, 3)
	y := imageio.AddNoise(x, 25.0/255, 1)
	dy := tensor.New(tensor.WithShape(net.OutputShape(1)...), tensor.WithBacking(make([]float32, len(y.Pix))))
	dyd := dy.Data().([]float32)
	opt := nn.NewAdam(net.Params(), 0.01)
	scale := float32(2 / float64(len(y.Pix)))
	t0 := time.Now()
	for s := 0; s < n; s++ {
		copy(ztd, zd)
		out, err := net.Forward(zt)
		if err != nil {
			tb.Fatal(err)
		}
		for i, v := range out.Data().([]float32) {
			dyd[i] = scale * (v - float32(y.Pix[i]))
		}
		net.ZeroGrad()
		if err := net.Backward(dy); err != nil {
			tb.Fatal(err)
		}
		if err := opt.Step(); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(t0).Seconds() / float64(n)
}

// loopSteps times n steps of Train (measurements only at the start and
// the end, excluded from StepSeconds) and returns the seconds per step and
// the part of it spent in nn and the update.
func loopSteps(tb testing.TB, size, n int) (step, net float64) {
	x := imageio.Synthetic(size, size, 3)
	p, _ := NewProblem(x, TaskOptions{Task: Denoise, Sigma: 25, Seed: 1})
	cfg := Config{Arch: smallArch(tb, benchArch), Problem: p, Opt: Optimizer{Kind: Adam, LR: 0.01}, Iters: n, Every: n,
		Seed: 1, RegNoise: DefaultRegNoise, ExpAvg: DefaultExpAvg, BurnIn: -1}
	res, err := Train(context.Background(), cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return res.StepSeconds, res.NetSeconds
}

// BenchmarkLoopOverhead compares Train's per-step time (input
// perturbation, forward, loss, backward, Adam, averages, PSNR tracking)
// with the bare nn step, alternating the two and keeping the fastest of
// each to reduce the noise of a shared machine. It reports both times and
// the overhead in percent.
func BenchmarkLoopOverhead(b *testing.B) {
	for _, size := range []int{64, 256} {
		b.Run(fmt.Sprintf("%dx%d", size, size), func(b *testing.B) {
			steps := 40
			if size > 64 {
				steps = 6
			}
			bare, loop, inner := 1e9, 1e9, 0.0
			for i := 0; i < b.N; i++ {
				bare = min(bare, bareSteps(b, size, steps))
				if l, n := loopSteps(b, size, steps); l < loop {
					loop, inner = l, n
				}
			}
			b.ReportMetric(bare*1e3, "bare-ms/step")
			b.ReportMetric(loop*1e3, "loop-ms/step")
			// The overhead within one run (loop time over its own nn
			// time) does not suffer from load changing between runs.
			b.ReportMetric(100*(loop/inner-1), "overhead-%")
			b.ReportMetric(3000*loop, "s/3000-steps")
		})
	}
}

// BenchmarkMeasure is the cost of one measurement (FBC bands and residual
// ratios) at 64x64 and 256x256.
func BenchmarkMeasure(b *testing.B) {
	for _, size := range []int{64, 256} {
		b.Run(fmt.Sprintf("%dx%d", size, size), func(b *testing.B) {
			x := imageio.Synthetic(size, size, 3)
			y := imageio.AddNoise(x, 0.1, 1)
			m, err := NewMeter(y, DefaultBins(size, size))
			if err != nil {
				b.Fatal(err)
			}
			m.SetStart(imageio.AddNoise(x, 0.3, 2))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.FBC(x)
				m.Ratios(x)
			}
		})
	}
}

// BenchmarkBareStep is one bare nn step (Forward, loss gradient, Backward,
// nn.Adam) of the default network; compare its ns/op with
// BenchmarkLoopWork's to get the loop's overhead.
func BenchmarkBareStep(b *testing.B) {
	for _, size := range []int{64, 256} {
		b.Run(fmt.Sprintf("%dx%d", size, size), func(b *testing.B) {
			bareSteps(b, size, 1) // build and warm up outside the timer
			b.ResetTimer()
			s := bareSteps(b, size, b.N)
			b.ReportMetric(s*1e3, "ms/step")
		})
	}
}

// BenchmarkLoopWork is the work Train does per step on top of the nn step
// (measurements excluded), on arrays of the default network's sizes: the
// input perturbation (32 channels), the output's conversion with the loss,
// the PSNR of the output, the exponential average and its PSNR, and the
// loss gradient.
func BenchmarkLoopWork(b *testing.B) {
	for _, size := range []int{64, 256} {
		b.Run(fmt.Sprintf("%dx%d", size, size), func(b *testing.B) {
			z := make([]float32, 32*size*size)
			zt := make([]float32, len(z))
			n := 3 * size * size
			od := make([]float32, n)
			f, y, x, avg, w := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			dy := make([]float32, n)
			for i := range w {
				w[i] = 1
			}
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				perturb(zt, z, 32, DefaultRegNoise, 1, it)
				loss := 0.0
				for i, v := range od {
					fv := float64(v)
					f[i] = fv
					r := w[i] * (fv - y[i])
					loss += r * r
				}
				_ = clippedPSNR(f, x)
				for i, v := range f {
					avg[i] = 0.99*avg[i] + 0.01*v
				}
				_ = clippedPSNR(avg, x)
				scale := 2 / float64(n)
				for i, v := range f {
					dy[i] = float32(scale * w[i] * w[i] * (v - y[i]))
				}
				_ = loss
			}
		})
	}
}
