package dip

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/kernel"
)

// ntkWidthErrors returns, per width, the mean squared relative Frobenius
// error |Theta_hat - Theta|_F^2 / |Theta|_F^2 of the empirical NTKs of
// seeds networks against the analytic NTK, read entry by entry from
// kernel.Compute's map, and the relative error of their mean.
func ntkWidthErrors(t *testing.T, spec string, size []int, widths []int, seeds int) (mse, meanErr []float64) {
	t.Helper()
	for _, w := range widths {
		a := smallArch(t, strings.ReplaceAll(spec, "{W}", strconv.Itoa(w)))
		_, ntk, err := kernel.Compute(context.Background(), a, size, kernel.Options{NTK: true})
		if err != nil {
			t.Fatal(err)
		}
		n := prod(size)
		theta := ntk.Dense()
		sum := make([]float64, n*n)
		e2 := 0.0
		for s := 1; s <= seeds; s++ {
			th, err := EmpiricalNTK(a, size, uint64(s), uint64(s))
			if err != nil {
				t.Fatal(err)
			}
			e := relFrobenius(th, theta)
			e2 += e * e / float64(seeds)
			for i, v := range th {
				sum[i] += v / float64(seeds)
			}
		}
		mse = append(mse, e2)
		meanErr = append(meanErr, relFrobenius(sum, theta))
	}
	return mse, meanErr
}

func relFrobenius(a, b []float64) float64 {
	var num, den float64
	for i, v := range a {
		num += (v - b[i]) * (v - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}

// logSlope is the least-squares slope of log y against log x.
func logSlope(x []int, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += math.Log(float64(x[i])) / float64(len(x))
		my += math.Log(y[i]) / float64(len(x))
	}
	var num, den float64
	for i := range x {
		dx := math.Log(float64(x[i])) - mx
		num += dx * (math.Log(y[i]) - my)
		den += dx * dx
	}
	return num / den
}

// ntkWidthSkip is a small dip-skip (one level: a stride-2 conv, bilinear
// up-sampling, a skip concatenation) in the NTK parameterization whose every
// channel count, the input noise's included, is the width {W}.
const ntkWidthSkip = "dip-skip:scales=1,channels={W},skip={W},in_channels={W},out_channels=1,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity"

func TestNTKWidthConvergence1D(t *testing.T) {
	// The empirical NTK of finite 1-D dip-skip networks at initialization
	// tends to the analytic 1-D NTK as the width grows, at the rate of an
	// exact limit, and at the same rate as the same network in 2-D: the
	// mean squared relative error falls like 1/width (log-log slope -1,
	// i.e. the error like width^(-1/2)), and the mean over the seeds agrees
	// with the analytic NTK within its Monte Carlo noise (a defect in the
	// 1-D kernel or network would leave a floor that does not shrink).
	// Measured (widths 16, 64, 256): rms error 0.65, 0.25, 0.14 in 1-D
	// (N = 8, 16 seeds; mean of the seeds 0.024 from Theta at width 256),
	// 0.51, 0.30, 0.12 in 2-D (4x4, 6 seeds); slopes of the mean squared
	// error -1.11 and -1.05. A 10% error in the 1-D kernel would put the
	// mean 0.1 from Theta, against a noise of 0.035. More seeds and widths, and deeper
	// networks: docs/linearized.md, "Finite width in 1-D".
	widths := []int{16, 64, 256}
	seeds1, seeds2 := 16, 6 // the 2-D networks cost about 10 times more
	if testing.Short() {
		widths, seeds1, seeds2 = []int{16, 64}, 4, 4
	}
	mse1, mean1 := ntkWidthErrors(t, ntkWidthSkip+",dims=1", []int{8}, widths, seeds1)
	mse2, mean2 := ntkWidthErrors(t, ntkWidthSkip+",dims=2", []int{4, 4}, widths, seeds2)
	s1, s2 := logSlope(widths, mse1), logSlope(widths, mse2)
	for i, w := range widths {
		t.Logf("width %d: 1-D rms error %.4f (mean of %d: %.4f), 2-D rms error %.4f (mean of %d: %.4f)", w, math.Sqrt(mse1[i]), seeds1, mean1[i], math.Sqrt(mse2[i]), seeds2, mean2[i])
	}
	t.Logf("log-log slope of the mean squared error: 1-D %.3f, 2-D %.3f", s1, s2)
	if testing.Short() {
		return
	}
	for _, c := range []struct {
		dims      string
		seeds     int
		slope     float64
		mse, mean []float64
	}{{"1-D", seeds1, s1, mse1, mean1}, {"2-D", seeds2, s2, mse2, mean2}} {
		if c.slope > -0.6 || c.slope < -1.6 {
			t.Errorf("%s: the mean squared NTK error falls with slope %.3f in the width; an exact limit gives -1", c.dims, c.slope)
		}
		// The mean of seeds networks has squared error bias^2 + mse/seeds.
		last := len(widths) - 1
		if noise := math.Sqrt(c.mse[last] / float64(c.seeds)); c.mean[last] > 2*noise {
			t.Errorf("%s width %d: the mean empirical NTK is %.4f from the analytic one; its Monte Carlo noise is %.4f", c.dims, widths[last], c.mean[last], noise)
		}
	}
	if math.Abs(s1-s2) > 0.5 {
		t.Errorf("the NTK converges with slope %.3f in 1-D and %.3f in 2-D; the same network should converge at the same rate", s1, s2)
	}
}

// TestEmpiricalNTKRefusesLargeGrids: a grid above 4096 points is one error
// naming the limit, before any network is built.
func TestEmpiricalNTKRefusesLargeGrids(t *testing.T) {
	a := wideSignalArch(4, 8)
	_, err := EmpiricalNTK(a, []int{8192}, 1, 1)
	if err == nil || !strings.Contains(err.Error(), "at most 4096 points") {
		t.Errorf("8192 points: got %v, want the grid limit", err)
	}
}
