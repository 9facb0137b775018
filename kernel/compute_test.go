package kernel_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// Linear networks (identity activations). Without biases the NTK of a
// linear network in the NTK parameterization is (number of convs) times
// its NNGP, whatever the parameter-free linear layers in between: by
// induction, Theta_l = Sigma_l + s_w^2 A(Theta_{l-1}) with
// Sigma_l = s_w^2 A(Sigma_{l-1}) gives Theta_l = l Sigma_l, and batch norm
// without affine parameters scales both alike in mean field (the exact
// rule also differentiates through the statistics, which breaks this).
func TestNTKLinearNoBias(t *testing.T) {
	id := arch.Act{Fn: arch.Identity}
	c := func(k, s int) arch.Conv { return arch.Conv{Out: 3, K: k, Stride: s} }
	ls := []arch.Layer{c(3, 1), id, arch.Upsample{Mode: arch.Bilinear}, c(3, 1), arch.BatchNorm{Eps: 1e-5},
		c(5, 2), id, arch.Upsample{Mode: arch.Nearest}, c(3, 1), arch.Pool{Op: arch.Avg}, c(1, 1), arch.Upsample{Mode: arch.Bilinear}, c(3, 1)}
	for _, dims := range []int{1, 2} {
		a := arch.Arch{Dims: dims, Input: arch.Input{Channels: 2, Dist: arch.Uniform, Low: 0, High: 1}, Init: arch.Init{Scheme: arch.Normal, SW: 1.4}, Param: arch.NTK, Pad: arch.Circular, Layers: ls}
		size := []int{16, 16}[:dims]
		k, th := mustCompute(t, a, size, kernel.Options{NTK: true, BN: kernel.BNMeanField})
		if k.Period != 2 {
			t.Errorf("%dd: period %d, want 2", dims, k.Period)
		}
		for i, v := range k.Data {
			if d := math.Abs(th.Data[i] - 6*v); d > 1e-12*math.Abs(6*v)+1e-300 {
				t.Fatalf("%dd: NTK %v at %d, want 6 x NNGP = %v", dims, th.Data[i], i, 6*v)
			}
		}
	}
}

// With biases, on a stationary input: Sigma_l(d) = s_b^2 + s_w^2 Sigma_{l-1}(s_l d),
// so for L stride-s convs Sigma_L(d) = s_w^{2L} M0(s^L d) + s_b^2 (1 - s_w^{2L}) / (1 - s_w^2)
// and Theta_L = sum_l s_w^{2(L-l)} Sigma_l(s^{L-l} d)
//
//	= L s_w^{2L} M0(s^L d) + s_b^2 / (1 - s_w^2) [(1 - s_w^{2L}) / (1 - s_w^2) - L s_w^{2L}].
//
// M0 is the smoothed Gaussian input's autocorrelation, computed here from
// the filter taps directly.
func TestNTKLinearClosedForm(t *testing.T) {
	for _, stride := range []int{1, 2} {
		const L = 3
		sw, sb := 1.3, 0.4
		in := arch.Input{Channels: 3, Dist: arch.Gaussian, Mean: 0.5, Std: 1.5, Smooth: 1.2}
		a := arch.Arch{Dims: 1, Input: in, Init: arch.Init{Scheme: arch.Normal, SW: sw, SB: sb}, Param: arch.NTK, Pad: arch.Circular}
		for i := 0; i < L; i++ {
			a.Layers = append(a.Layers, arch.Conv{Out: 4, K: 3, Stride: stride, Bias: true}, arch.Act{Fn: arch.Identity})
		}
		n := 64
		k, th := mustCompute(t, a, []int{n}, kernel.Options{NTK: true})
		g := in.SmoothFilter()
		m0 := func(d int) float64 { // v sum_t g[t] g[t+d] (no wrap needed: filter << grid) + mean^2
			var s, sum float64
			for i := range g {
				sum += g[i]
				if j := i + d; j >= 0 && j < len(g) {
					s += g[i] * g[j]
				}
			}
			return in.Std*in.Std*s + (in.Mean*sum)*(in.Mean*sum)
		}
		sw2, sb2 := sw*sw, sb*sb
		p := math.Pow(sw2, L)
		for d := 0; d < n; d++ {
			dd := d
			if dd > n/2 {
				dd -= n
			}
			din := dd
			for i := 0; i < L; i++ {
				din *= stride
			}
			if din < 0 {
				din = -din
			}
			sig := p*m0(din) + sb2*(1-p)/(1-sw2)
			the := L*p*m0(din) + sb2/(1-sw2)*((1-p)/(1-sw2)-L*p)
			if math.Abs(k.Data[d]-sig) > 1e-12*sig || math.Abs(th.Data[d]-the) > 1e-12*the {
				t.Fatalf("stride %d offset %d: NNGP %.15g NTK %.15g, want %.15g %.15g", stride, d, k.Data[d], th.Data[d], sig, the)
			}
		}
	}
}

// Results are bit-identical for any number of workers.
func TestDeterminism(t *testing.T) {
	for _, spec := range []string{"dip-skip:scales=3,channels=16", "dip-skip:scales=2,act=tanh,up=nearest,dims=1", "deep-decoder:scales=3,channels=8"} {
		a := mustArch(t, spec)
		size := []int{32, 32}[:a.Dims]
		if a.Dims == 1 {
			size = []int{128}
		}
		k1, t1 := mustCompute(t, a, size, kernel.Options{NTK: true, Workers: 1})
		for _, w := range []int{2, 3} {
			k2, t2 := mustCompute(t, a, size, kernel.Options{NTK: true, Workers: w})
			for i := range k1.Data {
				if math.Float64bits(k1.Data[i]) != math.Float64bits(k2.Data[i]) || math.Float64bits(t1.Data[i]) != math.Float64bits(t2.Data[i]) {
					t.Fatalf("%s: Workers=1 and %d differ at %d: %v/%v, %v/%v", spec, w, i, k1.Data[i], k2.Data[i], t1.Data[i], t2.Data[i])
				}
			}
		}
		if err := k1.Check(); err != nil {
			t.Errorf("%s: %v", spec, err)
		}
	}
}

// The NNGP and NTK maps are valid covariances: symmetric in the documented
// sense k[p][d] = k[(p+d) mod P][-d], and positive semi-definite on small
// grids (checked through the Cauchy-Schwarz inequality on pairs).
func TestMapSymmetry(t *testing.T) {
	a := mustArch(t, "dip-skip:scales=2,channels=8")
	k, th := mustCompute(t, a, []int{16, 16}, kernel.Options{NTK: true})
	for _, m := range []kernel.Map{k, th} {
		d := m.Dense()
		n := m.Points()
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if math.Abs(d[i*n+j]-d[j*n+i]) > 1e-13*math.Abs(d[i*n+j]) {
					t.Fatalf("asymmetric at (%d,%d): %v %v", i, j, d[i*n+j], d[j*n+i])
				}
				if d[i*n+j]*d[i*n+j] > d[i*n+i]*d[j*n+j]*(1+1e-12) {
					t.Fatalf("Cauchy-Schwarz fails at (%d,%d)", i, j)
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	// An activation right after another one.
	a := arch.Arch{Dims: 1, Input: arch.Input{Channels: 1, Dist: arch.Gaussian, Std: 1}, Init: arch.Init{Scheme: arch.Normal, SW: 1}, Param: arch.NTK, Pad: arch.Circular,
		Layers: []arch.Layer{arch.Conv{Out: 2, K: 3, Stride: 1}, arch.Act{Fn: arch.ReLU}, arch.Act{Fn: arch.Tanh}}}
	if _, _, err := kernel.Compute(ctx, a, []int{16}, kernel.Options{}); err == nil || !strings.Contains(err.Error(), "not a Gaussian field") || !strings.Contains(err.Error(), "layers[2]") {
		t.Errorf("act after act: %v", err)
	}
	// An activation on uniform noise.
	b := a
	b.Input = arch.Input{Channels: 1, Dist: arch.Uniform, Low: 0, High: 1}
	b.Layers = []arch.Layer{arch.Act{Fn: arch.ReLU}}
	if _, _, err := kernel.Compute(ctx, b, []int{16}, kernel.Options{}); err == nil || !strings.Contains(err.Error(), "input") {
		t.Errorf("act on uniform input: %v", err)
	}
	// Zero-mean Gaussian input is a Gaussian field: allowed.
	b.Input = arch.Input{Channels: 1, Dist: arch.Gaussian, Std: 1}
	if _, _, err := kernel.Compute(ctx, b, []int{16}, kernel.Options{}); err != nil {
		t.Errorf("act on zero-mean Gaussian input: %v", err)
	}
	// Bad size.
	d := mustArch(t, "dip-skip:scales=3")
	if _, _, err := kernel.Compute(ctx, d, []int{20, 20}, kernel.Options{}); err == nil || !strings.Contains(err.Error(), "divisible by 8") {
		t.Errorf("size 20 for 3 scales: %v", err)
	}
	// Memory limit: refuse with the largest size that fits.
	need, err := kernel.Memory(d, []int{64, 64}, kernel.Options{NTK: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = kernel.Compute(ctx, d, []int{64, 64}, kernel.Options{NTK: true, MaxBytes: need - 1})
	if err == nil || !strings.Contains(err.Error(), "largest size") {
		t.Fatalf("memory limit: %v", err)
	}
	fit := kernel.LargestFit(d, []int{64, 64}, kernel.Options{NTK: true}, need-1)
	if len(fit) != 2 || fit[0] >= 64 || fit[0]%8 != 0 || !strings.Contains(err.Error(), fmt.Sprintf("%dx%d", fit[0], fit[1])) {
		t.Errorf("largest fit %v, error %v", fit, err)
	}
	if m, _ := kernel.Memory(d, fit, kernel.Options{NTK: true}); m > need-1 {
		t.Errorf("largest fit %v needs %d > limit", fit, m)
	}
	// Cancellation.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := kernel.Compute(cctx, d, []int{64, 64}, kernel.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// Progress is called once per layer plus the input.
func TestProgress(t *testing.T) {
	a := mustArch(t, "dip-skip:scales=2,channels=4")
	var calls, last, total int
	_, _, err := kernel.Compute(context.Background(), a, []int{16, 16}, kernel.Options{Progress: func(done, tot int, msg string) {
		calls++
		last, total = done, tot
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != total || last != total || total < 20 {
		t.Errorf("progress: %d calls, last %d of %d", calls, last, total)
	}
}
