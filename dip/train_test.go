package dip

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/nn"
)

func smallArch(t testing.TB, spec string) arch.Arch {
	t.Helper()
	a, err := arch.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const tinySkip = "dip-skip:scales=2,channels=8,skip=4,in_channels=8"

func tinyConfig(t testing.TB, opt Optimizer) Config {
	x := imageio.Synthetic(16, 16, 3)
	p, err := NewProblem(x, TaskOptions{Task: Denoise, Sigma: 25, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Arch: smallArch(t, tinySkip), Problem: p, Opt: opt, Iters: 14, Every: 3, Seed: 11,
		RegNoise: DefaultRegNoise, ExpAvg: DefaultExpAvg, BurnIn: 4, SampleEvery: 2}
}

func TestAdamMatchesNN(t *testing.T) {
	// dip's Adam (with exposed state) against nn.Adam, bit for bit, with
	// weight decay, over steps with random gradients.
	a := smallArch(t, tinySkip)
	n1, err := nn.Build(a, []int{16, 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := nn.Build(a, []int{16, 16}, 1)
	o := Optimizer{Kind: Adam, LR: 0.01, WeightDecay: 1e-3}.withDefaults()
	mine := newAdamState(n1.Params(), o)
	ref := nn.NewAdam(n2.Params(), 0.01)
	ref.WeightDecay = 1e-3
	rng := rand.New(rand.NewPCG(1, 2))
	for s := 0; s < 5; s++ {
		for i, p := range n1.Params() {
			for j := range p.Grad {
				g := float32(rng.NormFloat64())
				p.Grad[j] = g
				n2.Params()[i].Grad[j] = g
			}
		}
		if err := mine.step(s); err != nil {
			t.Fatal(err)
		}
		if err := ref.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range n1.Params() {
		q := n2.Params()[i]
		for j := range p.Data {
			if math.Float32bits(p.Data[j]) != math.Float32bits(q.Data[j]) {
				t.Fatalf("%s[%d]: dip's Adam %v, nn.Adam %v", p.Name, j, p.Data[j], q.Data[j])
			}
		}
	}
}

func paramsEqual(t *testing.T, a, b *nn.Net) {
	t.Helper()
	for i, p := range a.Params() {
		q := b.Params()[i]
		for j := range p.Data {
			if math.Float32bits(p.Data[j]) != math.Float32bits(q.Data[j]) {
				t.Fatalf("%s[%d]: %v vs %v", p.Name, j, p.Data[j], q.Data[j])
			}
		}
	}
}

func measurementsEqual(t *testing.T, a, b []Measurement) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d measurements", len(a), len(b))
	}
	same := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	for i := range a {
		x, y := a[i], b[i]
		ok := x.Iter == y.Iter && same(x.Loss, y.Loss) && same(x.PSNR, y.PSNR) && same(x.PSNRAvg, y.PSNRAvg) && same(x.PSNRMean, y.PSNRMean) && same(x.PSNRTarget, y.PSNRTarget)
		for k := range x.FBC {
			ok = ok && same(x.FBC[k], y.FBC[k])
		}
		for k := range x.Ratio {
			ok = ok && same(x.Ratio[k], y.Ratio[k])
		}
		if !ok {
			t.Fatalf("measurement %d differs:\n%+v\n%+v", i, x, y)
		}
	}
}

func pixEqual(t *testing.T, what string, a, b imageio.Image) {
	t.Helper()
	if len(a.Pix) != len(b.Pix) {
		t.Fatalf("%s: %d vs %d values", what, len(a.Pix), len(b.Pix))
	}
	for i := range a.Pix {
		if math.Float64bits(a.Pix[i]) != math.Float64bits(b.Pix[i]) {
			t.Fatalf("%s[%d]: %v vs %v", what, i, a.Pix[i], b.Pix[i])
		}
	}
}

func TestResumeIsExact(t *testing.T) {
	for _, opt := range []Optimizer{
		{Kind: Adam, LR: 0.01},
		{Kind: SGLDCheng, LR: 0.01, WeightDecay: 5e-8, ParamNoise: 2},
		{Kind: SGLD, LR: 1e-7, NoiseStd: 0.1},
		{Kind: GD, LR: 0.5},
	} {
		t.Run(string(opt.Kind), func(t *testing.T) {
			ctx := context.Background()
			cfg := tinyConfig(t, opt)
			want, err := Train(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Interrupt at iteration 7 (an observer cancels after the
			// measurement at 6), then resume.
			dir := filepath.Join(t.TempDir(), "ckpt")
			cfg.Checkpoint = dir
			cctx, cancel := context.WithCancel(ctx)
			part, err := Train(cctx, cfg, func(e Event) error {
				if e.Measurement.Iter == 6 {
					cancel()
				}
				return nil
			})
			if err == nil || part.Complete || part.Iter != 6 {
				t.Fatalf("interrupted run: err %v, complete %v at %d", err, part.Complete, part.Iter)
			}
			if _, err := os.Stat(filepath.Join(dir, "state.json")); err != nil {
				t.Fatalf("no checkpoint after interruption: %v", err)
			}
			cfg.Resume = true
			restored := 0
			got, err := Train(ctx, cfg, func(e Event) error {
				if e.Restored {
					restored++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if restored != 3 {
				t.Errorf("%d measurements restored, want 3 (iterations 0, 3, 6)", restored)
			}
			paramsEqual(t, want.Net, got.Net)
			measurementsEqual(t, want.Measurements, got.Measurements)
			pixEqual(t, "output", want.Output, got.Output)
			pixEqual(t, "average", want.Average, got.Average)
			pixEqual(t, "mean", want.Mean, got.Mean)
			pixEqual(t, "best", want.BestOutput, got.BestOutput)
			if want.Best != got.Best || want.Samples != got.Samples {
				t.Errorf("best %+v / %d samples vs %+v / %d", want.Best, want.Samples, got.Best, got.Samples)
			}
			// Extending the finished run continues exactly as a longer
			// uninterrupted one.
			cfg.Iters = 20
			longer, err := Train(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ref := cfg
			ref.Checkpoint, ref.Resume = "", false
			straight, err := Train(ctx, ref, nil)
			if err != nil {
				t.Fatal(err)
			}
			paramsEqual(t, straight.Net, longer.Net)
			pixEqual(t, "extended output", straight.Output, longer.Output)
		})
	}
}

func TestResumeRejectsOtherRun(t *testing.T) {
	ctx := context.Background()
	cfg := tinyConfig(t, Optimizer{Kind: Adam, LR: 0.01})
	cfg.Iters = 3
	cfg.Checkpoint = filepath.Join(t.TempDir(), "ckpt")
	if _, err := Train(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Resume = true
	cfg.Opt.LR = 0.02
	if _, err := Train(ctx, cfg, nil); err == nil {
		t.Fatal("resuming with another learning rate did not fail")
	}
}

func TestSeedsReproduce(t *testing.T) {
	ctx := context.Background()
	cfg := tinyConfig(t, Optimizer{Kind: SGLDCheng, LR: 0.01, ParamNoise: 2})
	cfg.Iters = 6
	a, err := Train(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(ctx, cfg, nil)
	paramsEqual(t, a.Net, b.Net)
	measurementsEqual(t, a.Measurements, b.Measurements)
	// At another thread count.
	old := nn.SetThreads(1)
	c, _ := Train(ctx, cfg, nil)
	nn.SetThreads(old)
	paramsEqual(t, a.Net, c.Net)
	cfg.Seed++
	d, _ := Train(ctx, cfg, nil)
	if d.Output.Pix[0] == a.Output.Pix[0] && d.Output.Pix[100] == a.Output.Pix[100] {
		t.Error("another seed gave the same output")
	}
}

func TestLangevinNoiseStatistics(t *testing.T) {
	// One Langevin step from theta = mu with zero gradient: theta' - mu
	// = sqrt(eps) xi exactly, so its sample mean and variance over 10^5
	// values must be 0 and eps within sampling error.
	p := &nn.Param{Name: "w", Kind: nn.ConvWeight, Data: make([]float32, 100000), Grad: make([]float32, 100000), FanIn: 9}
	const eps = 1e-3
	a := arch.Arch{Param: arch.NTK}
	l := newLangevin(Optimizer{Kind: SGLD, LR: eps, NoiseStd: 1}, []*nn.Param{p}, 7, a)
	if err := l.step(0); err != nil {
		t.Fatal(err)
	}
	mean, v := moments(p.Data)
	n := float64(len(p.Data))
	if math.Abs(mean) > 4*math.Sqrt(eps/n) {
		t.Errorf("noise mean %v; want 0 within %v", mean, 4*math.Sqrt(eps/n))
	}
	if math.Abs(v-eps) > 4*eps*math.Sqrt(2/n) {
		t.Errorf("noise variance %v; want %v within %v", v, eps, 4*eps*math.Sqrt(2/n))
	}
	// Stationary law on the prior alone (zero data gradient): the chain
	// theta' = (1 - eps/(2 p^2)) theta + sqrt(eps) xi has variance
	// p^2 / (1 - eps/(4 p^2)) (p = 1 in the NTK parameterization).
	clear(p.Data)
	const eps2 = 0.2
	l = newLangevin(Optimizer{Kind: SGLD, LR: eps2, NoiseStd: 1}, []*nn.Param{p}, 8, a)
	for s := 0; s < 60; s++ {
		l.step(s)
	}
	_, v = moments(p.Data)
	want := 1 / (1 - eps2/4)
	// After 60 steps the start's weight (1 - 0.1)^120 is below 1e-5.
	if math.Abs(v-want) > 4*want*math.Sqrt(2/n) {
		t.Errorf("stationary variance %v, want %v", v, want)
	}
}

func TestChengNoiseOnConvWeightsOnly(t *testing.T) {
	// With zero gradients Adam does not move (m = 0), so after one
	// sgld-cheng step conv weights moved by N(0, (sigma_p lr)^2) and
	// every other parameter is unchanged.
	net, err := nn.Build(smallArch(t, "dip-skip:scales=2,channels=64,skip=4"), []int{16, 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]float32{}
	for _, p := range net.Params() {
		before[p.Name] = append([]float32(nil), p.Data...)
	}
	o := Optimizer{Kind: SGLDCheng, LR: 0.01, ParamNoise: 2}.withDefaults()
	s := newStepper(o, net.Params(), 3, arch.Arch{})
	if err := s.step(0); err != nil {
		t.Fatal(err)
	}
	var d []float32
	for _, p := range net.Params() {
		for j, v := range p.Data {
			diff := v - before[p.Name][j]
			if p.Kind != nn.ConvWeight {
				if diff != 0 {
					t.Fatalf("%s (%s) changed", p.Name, p.Kind)
				}
				continue
			}
			d = append(d, diff)
		}
	}
	_, v := moments(d)
	want := 0.02 * 0.02
	n := float64(len(d))
	if math.Abs(v-want) > 5*want*math.Sqrt(2/n) {
		t.Errorf("conv weight noise variance %v over %d weights, want %v", v, len(d), want)
	}
}

func moments(x []float32) (mean, v float64) {
	for _, f := range x {
		mean += float64(f)
	}
	mean /= float64(len(x))
	for _, f := range x {
		d := float64(f) - mean
		v += d * d
	}
	return mean, v / float64(len(x))
}

func TestTrainErrors(t *testing.T) {
	ctx := context.Background()
	cfg := tinyConfig(t, Optimizer{Kind: Adam, LR: 0.01})
	bad := cfg
	bad.Arch = smallArch(t, tinySkip+",out_channels=1")
	if _, err := Train(ctx, bad, nil); err == nil {
		t.Error("channel mismatch did not fail")
	}
	bad = cfg
	bad.Opt.LR = 0
	if _, err := Train(ctx, bad, nil); err == nil {
		t.Error("zero learning rate did not fail")
	}
	bad = cfg
	bad.Every = 0
	if _, err := Train(ctx, bad, nil); err == nil {
		t.Error("Every 0 did not fail")
	}
	bad = cfg
	bad.Arch = smallArch(t, tinySkip+",out_act=identity,bn=false")
	bad.Opt = Optimizer{Kind: GD, LR: 1e9}
	if _, err := Train(ctx, bad, nil); err == nil {
		t.Error("a diverging run did not fail")
	}
}

func TestGaussIsStandardNormal(t *testing.T) {
	// Kolmogorov-Smirnov against the normal CDF, and the first four
	// moments, on 200000 draws of the ziggurat used for the input
	// perturbation.
	const n = 200000
	g := newGauss(1, 2)
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(g.norm())
	}
	var m1, m2, m4 float64
	for _, v := range x {
		m1 += v
		m2 += v * v
		m4 += v * v * v * v
	}
	m1, m2, m4 = m1/n, m2/n, m4/n
	if math.Abs(m1) > 4/math.Sqrt(n) || math.Abs(m2-1) > 4*math.Sqrt(2.0/n) || math.Abs(m4-3) > 4*math.Sqrt(96.0/n) {
		t.Errorf("moments: mean %v, E x^2 %v, E x^4 %v; want 0, 1, 3", m1, m2, m4)
	}
	sort.Float64s(x)
	d := 0.0
	for i, v := range x {
		cdf := 0.5 * math.Erfc(-v/math.Sqrt2)
		d = math.Max(d, math.Max(math.Abs(cdf-float64(i)/n), math.Abs(cdf-float64(i+1)/n)))
	}
	if crit := 1.95 / math.Sqrt(n); d > crit {
		t.Errorf("Kolmogorov-Smirnov distance %v > %v (alpha 0.001)", d, crit)
	}
	// The tail beyond the ziggurat's base layer is sampled.
	if x[0] > -3.6 || x[n-1] < 3.6 {
		t.Errorf("extremes %v, %v of %d draws: the tail is missing", x[0], x[n-1], n)
	}
}

func TestGaussAddNoiseMatchesNorm(t *testing.T) {
	// The inlined fill draws exactly the sequence of norm calls,
	// including the slow paths (about 1% of draws) and odd lengths.
	for _, n := range []int{1, 2, 7, 100001} {
		a, b := newGauss(9, uint64(n)), newGauss(9, uint64(n))
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, n)
		for rep := 0; rep < 2; rep++ {
			a.addNoise(dst, src, 0.5)
			for i := range dst {
				if want := src[i] + 0.5*b.norm(); dst[i] != want {
					t.Fatalf("n %d, pass %d, value %d: addNoise %v, norm %v", n, rep, i, dst[i], want)
				}
			}
		}
	}
}
