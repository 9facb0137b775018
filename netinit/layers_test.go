package netinit

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// Every layer kind, finite against infinite (in the manner of
// neural-tangents' per-layer tests, tests/stax/elementwise_test.py): each
// layer kind and variant is placed after a conv + activation, random
// finite networks are drawn, and their Monte Carlo NNGP and NTK are
// compared with kernel.Compute.
//
// Criterion. For each case the standardized errors z_i = (empirical_i -
// analytic_i) / stderr_i of all m entries are computed; under the null
// hypothesis (the analytic kernel is the mean of the finite networks' one)
// each z_i follows Student's t with N-1 degrees of freedom, whatever the
// correlation between entries, so by Bonferroni
//
//	P(any case has max_i |z_i| > c) <= alpha,  c = t_{N-1}^{-1}(1 - alpha/(2 m K)),
//
// with K the number of comparisons in the table and alpha = 1e-3. The
// finite-width bias (O(1/width), from the curvature of the activations
// between the first conv and the output) is kept below the noise by the
// width: input channels and widths are chosen so that 1/(fan-in) is a
// fraction of the relative standard error.
//
// The test can fail: each case also names a rival (a neighbouring variant
// whose kernel differs), and the same samples must reject the rival's
// kernel (max |z| above c).
//
// Batch norm: kernel's rule is the mean-field approximation, which
// neglects the randomness of the grid variance (O(1/effective number of
// independent grid points)). Its case uses a longer grid (1-D 64) and a
// short-range field, where the mean-field bias is below the noise; if a
// future exact rule replaces it, the same case still applies.

// layerCase is one row of the table.
type layerCase struct {
	name  string
	dims  int
	size  []int
	layer []arch.Layer // appended after conv + relu
	rival []arch.Layer // a neighbouring variant the samples must reject
}

const (
	layerAlpha   = 1e-3 // family-wise false alarm rate of the whole table
	layerWidth   = 128  // NNGP width
	layerNets    = 200  // NNGP networks per case
	ntkWidth     = 64   // NTK width
	ntkNets      = 300  // NTK networks per case
	layerInChans = 128  // input noise channels
)

func layerCases() []layerCase {
	conv := func(k, stride int) arch.Conv { return arch.Conv{Out: layerWidth, K: k, Stride: stride, Bias: true} }
	act := func(fn arch.ActFn) arch.Act {
		a := arch.Act{Fn: fn}
		if fn == arch.LeakyReLU {
			a.Slope = 0.2
		}
		return a
	}
	relu := act(arch.ReLU)
	s16, s64, s4x4, s8x8 := []int{16}, []int{64}, []int{4, 4}, []int{8, 8}
	ls := func(l ...arch.Layer) []arch.Layer { return l }
	up := arch.Upsample{Mode: arch.Nearest}
	// A conv of a stationary field has the same NNGP and NTK for every
	// kernel size (the taps' weights are independent), so the conv cases
	// follow a nearest up-sampling, whose period-2 field the taps mix.
	cs := []layerCase{
		{"conv k=1", 1, s16, ls(up, conv(1, 1)), ls(up, conv(3, 1))},
		{"conv k=3", 1, s16, ls(up, conv(3, 1)), ls(up, conv(5, 1))},
		{"conv k=5", 1, s16, ls(up, conv(5, 1)), ls(up, conv(3, 1))},
		{"conv k=3 stride 2", 1, s16, ls(conv(3, 2)), ls(conv(3, 1), arch.Pool{Op: arch.Avg})},
		{"conv k=3 stride 2 2-D", 2, s4x4, ls(conv(3, 2)), ls(conv(3, 1), arch.Pool{Op: arch.Avg})},
		{"pool avg", 1, s16, ls(arch.Pool{Op: arch.Avg}), ls(arch.Pool{Op: arch.Decimate})},
		{"pool decimate", 1, s16, ls(arch.Pool{Op: arch.Decimate}), ls(arch.Pool{Op: arch.Avg})},
		{"pool avg 2-D", 2, s4x4, ls(arch.Pool{Op: arch.Avg}), ls(arch.Pool{Op: arch.Decimate})},
		{"upsample nearest", 1, s16, ls(arch.Upsample{Mode: arch.Nearest}), ls(arch.Upsample{Mode: arch.Bilinear})},
		{"upsample bilinear", 1, s16, ls(arch.Upsample{Mode: arch.Bilinear}), ls(arch.Upsample{Mode: arch.Nearest})},
		{"upsample bilinear 2-D", 2, s8x8, ls(arch.Upsample{Mode: arch.Bilinear}), ls(arch.Upsample{Mode: arch.Nearest})},
		{"batchnorm", 1, s64, ls(arch.BatchNorm{Eps: 1e-5}), ls(conv(3, 1))},
		{"batchnorm affine then conv", 1, s64, ls(arch.BatchNorm{Affine: true, Eps: 1e-5}, conv(3, 1)), ls(conv(3, 1))},
		{"concat saved", 1, s16, ls(arch.Save{Name: "s"}, conv(3, 1), relu, arch.Concat{From: "s"}),
			ls(conv(3, 1), relu)},
		// Dense: the output is white (delta(d) times the variance).
		{"dense vector then image", 1, s16, ls(arch.Dense{Bias: true}, relu, arch.Dense{Out: 2, Bias: true, Image: true}),
			ls(arch.Dense{Bias: true}, act(arch.Identity), arch.Dense{Out: 2, Bias: true, Image: true})},
		{"dense image 2-D", 2, s4x4, ls(arch.Dense{Out: 2, Bias: true, Image: true}), ls(conv(1, 1))},
		{"concat branch then conv", 1, s16, ls(arch.Save{Name: "s"}, conv(3, 1), relu,
			arch.Concat{From: "s", Branch: ls(conv(1, 1))}, conv(3, 1)), ls(conv(3, 1), relu, conv(3, 1))},
	}
	for _, fn := range []struct{ fn, rival arch.ActFn }{
		{arch.ReLU, arch.Identity}, {arch.LeakyReLU, arch.Identity}, {arch.Tanh, arch.ReLU},
		{arch.Erf, arch.Identity}, {arch.Sigmoid, arch.Identity}, {arch.Identity, arch.ReLU},
	} {
		cs = append(cs, layerCase{"act " + string(fn.fn), 1, s16, ls(conv(3, 1), act(fn.fn)), ls(conv(3, 1), act(fn.rival))})
	}
	return cs
}

// layerArch is input -> conv k=3 -> relu -> layers, with the widths set
// for the NNGP (standard parameterization) or the NTK.
func layerArch(c layerCase, layers []arch.Layer, ntk bool) arch.Arch {
	a := arch.Arch{Dims: c.dims, Pad: arch.Circular,
		Input: arch.Input{Channels: layerInChans, Dist: arch.Gaussian, Std: 1},
		Init:  arch.Init{Scheme: arch.Normal, SW: math.Sqrt2, SB: 0.2}, Param: arch.Standard}
	width := layerWidth
	if ntk {
		a.Param, width = arch.NTK, ntkWidth
	}
	var resize func(ls []arch.Layer) []arch.Layer
	resize = func(ls []arch.Layer) []arch.Layer {
		out := make([]arch.Layer, len(ls))
		for i, l := range ls {
			switch l := l.(type) {
			case arch.Conv:
				l.Out = width
				out[i] = l
			case arch.Dense:
				if !l.Image {
					l.Out = width
				}
				out[i] = l
			case arch.Concat:
				l.Branch = resize(l.Branch)
				out[i] = l
			default:
				out[i] = l
			}
		}
		return out
	}
	a.Layers = resize(append([]arch.Layer{arch.Conv{K: 3, Stride: 1, Bias: true}, arch.Act{Fn: arch.ReLU}}, layers...))
	return a
}

// maxZ returns the largest (|empirical - analytic| - tol) / stderr over
// the entries with data, and their number. tol, if not nil, is a known
// bias allowed per entry.
func maxZ(analytic, empirical, stderr kernel.Map, kse float64) (float64, int, error) {
	a, err := analytic.WithPeriod(empirical.Period)
	if err != nil {
		return 0, 0, err
	}
	z, m := 0.0, 0
	for i, e := range empirical.Data {
		if math.IsNaN(e) {
			continue
		}
		m++
		d := math.Abs(e - a.Data[i])
		z = math.Max(z, d/math.Hypot(stderr.Data[i], kse))
	}
	return z, m, nil
}

// bonferroni returns the threshold c of the table's criterion.
func bonferroni(nets, entries, comparisons int) float64 {
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(nets - 1)}
	return t.Quantile(1 - layerAlpha/(2*float64(entries*comparisons)))
}

func TestEveryLayerFiniteAgainstInfinite(t *testing.T) {
	ctx := context.Background()
	cases := layerCases()
	comparisons := 2 * len(cases) // NNGP and NTK of every case
	start := time.Now()
	for _, c := range cases {
		for _, ntk := range []bool{false, true} {
			kind := "NNGP"
			if ntk {
				kind = "NTK"
			}
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				a := layerArch(c, c.layer, ntk)
				emp, se, nets, err := layerEstimate(ctx, a, c.size, ntk)
				if err != nil {
					t.Fatal(err)
				}
				want, kse, err := layerKernel(ctx, a, c.size, ntk)
				if err != nil {
					t.Fatal(err)
				}
				z, m, err := maxZ(want, emp, se, kse)
				if err != nil {
					t.Fatal(err)
				}
				lim := bonferroni(nets, m, comparisons)
				t.Logf("max |error| %.3g of the variance", maxErr(want, emp))
				t.Logf("max |z| %.2f over %d entries (bound %.2f); mean variance %.3g", z, m, lim, want.MeanVariance())
				if !(z <= lim) {
					t.Errorf("the finite networks depart from kernel.Compute: max |z| = %.2f over %d entries > %.2f (alpha %g over %d comparisons)", z, m, lim, layerAlpha, comparisons)
				}
				if c.rival == nil {
					return
				}
				rival, _, err := layerKernel(ctx, layerArch(c, c.rival, ntk), c.size, ntk)
				if err != nil {
					t.Fatal(err)
				}
				if rival.Period != want.Period && emp.Period%rival.Period != 0 {
					return // a rival of another period cannot be read at this one
				}
				rz, _, err := maxZ(rival, emp, se, kse)
				if err != nil {
					t.Fatal(err)
				}
				if rz <= lim {
					t.Errorf("the samples do not reject the rival variant's kernel (max |z| %.2f <= %.2f): the test has no power here", rz, lim)
				}
			})
		}
	}
	t.Logf("%d comparisons in %v", comparisons, time.Since(start).Round(time.Millisecond))
}

// layerEstimate returns the Monte Carlo NNGP (the whole map) or NTK (the
// row of the centre pixel) of a and the number of networks.
func layerEstimate(ctx context.Context, a arch.Arch, size []int, ntk bool) (mean, stderr kernel.Map, nets int, err error) {
	var s *Stats
	if ntk {
		// Output channel i mod C: with a multiple of C networks every channel
		// is read equally often (concatenated parts differ).
		nets = ntkNets - ntkNets%a.OutChannels()
		s, err = SampleNTK(ctx, a, size, nil, Options{Samples: nets, Seed: 5, Margin: -1})
	} else {
		nngp, _, kerr := kernel.Compute(ctx, a, size, kernel.Options{})
		if kerr != nil {
			return mean, stderr, 0, kerr
		}
		nets = layerNets
		s, err = Sample(ctx, a, size, Options{Samples: nets, Seed: 5, Margin: -1, Period: nngp.Period})
	}
	if err != nil {
		return mean, stderr, 0, fmt.Errorf("sampling: %w", err)
	}
	mean, stderr, err = s.Estimate()
	return mean, stderr, nets, err
}

// layerKernel returns the analytic NNGP, or the NTK row of the centre
// pixel, of a.
func layerKernel(ctx context.Context, a arch.Arch, size []int, ntk bool) (kernel.Map, float64, error) {
	// Batch norm uses the exact rule (the default), a Monte Carlo over
	// Gaussian fields: its largest standard error per entry (absolute) is
	// returned so that the comparison counts it beside the networks'.
	o := kernel.Options{NTK: ntk, Seed: 3, Samples: 1 << 14}
	nngp, ntkMap, rep, err := kernel.ComputeReport(ctx, a, size, o)
	if err != nil {
		return kernel.Map{}, 0, err
	}
	kse := 0.0
	for _, seg := range rep.BN {
		if ntk {
			// Only the root mean square is reported for the NTK; four
			// times it bounds the largest of a few hundred entries.
			kse = math.Max(kse, 4*seg.SENTK)
		} else {
			kse = math.Max(kse, seg.MaxSE)
		}
	}
	if !ntk {
		return nngp, kse * nngp.MeanVariance(), nil
	}
	row := NTKRow(ntkMap, RefPixel(size))
	return row, kse * ntkMap.MeanVariance(), nil
}

func maxErr(a, e kernel.Map) float64 {
	a, _ = a.WithPeriod(e.Period)
	v := a.MeanVariance()
	m := 0.0
	for i, x := range e.Data {
		if !math.IsNaN(x) {
			m = math.Max(m, math.Abs(x-a.Data[i])/v)
		}
	}
	return m
}
