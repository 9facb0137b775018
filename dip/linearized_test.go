package dip

import (
	"context"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/imageio"
)

// affineArch is a network affine in its parameters (one convolution, then
// parameter-free linear layers), whose linearization is itself.
func affineArch() arch.Arch {
	return arch.Arch{
		Dims:  2,
		Input: arch.Input{Channels: 4, Dist: arch.Gaussian, Std: 1},
		Init:  arch.Init{Scheme: arch.Normal, SW: 1.4, SB: 0.3},
		Param: arch.NTK,
		Pad:   arch.Circular,
		Layers: []arch.Layer{arch.Conv{Out: 3, K: 3, Stride: 1, Bias: true}, arch.Upsample{Mode: arch.Bilinear},
			arch.Pool{Op: arch.Avg}},
	}
}

// TestLinearizedAffineEqualsTrain trains a network affine in its
// parameters both ways: f_lin = f, so the runs must agree up to float32
// rounding, with gd and with Adam.
func TestLinearizedAffineEqualsTrain(t *testing.T) {
	x := imageio.Synthetic(8, 8, 3)
	p, err := NewProblem(x, TaskOptions{Task: Denoise, Sigma: 25, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Optimizer{{Kind: GD, LR: 0.5}, {Kind: Adam, LR: 0.01}} {
		cfg := Config{Arch: affineArch(), Problem: p, Opt: o, Iters: 30, Every: 5, Seed: 3}
		var outs [][]float64
		res, err := Train(context.Background(), cfg, func(e Event) error {
			outs = append(outs, append([]float64(nil), e.Output.Pix...))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		lin, err := TrainLinearized(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(lin.Outputs) != len(outs) {
			t.Fatalf("%s: %d linearized measurements, %d observed", o.Kind, len(lin.Outputs), len(outs))
		}
		for i := range outs {
			for j, v := range outs[i] {
				if d := math.Abs(v - lin.Outputs[i][j]); d > 2e-5*(1+math.Abs(v)) {
					t.Fatalf("%s, measurement %d, value %d: trained %v, linearized %v", o.Kind, i, j, v, lin.Outputs[i][j])
				}
			}
		}
		// Training moved the output, and the runs' measurements agree.
		if d := res.Measurements[len(outs)-1].Loss / res.Measurements[0].Loss; !(d < 0.9) {
			t.Errorf("%s: the loss went from %g to %g", o.Kind, res.Measurements[0].Loss, res.Measurements[len(outs)-1].Loss)
		}
		ag, err := CompareLinearized(res, lin, outs, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ag.DepartureIter != -1 || !(float64(ag.RatioRMS) < 1e-4) {
			t.Errorf("%s: departure at %d, ratio RMS gap %g; want none and 0", o.Kind, ag.DepartureIter, ag.RatioRMS)
		}
	}
}

// TestLinearizedDeparts checks that a nonlinear network (tanh, batch norm)
// leaves its linearization as a second-order effect: after the same number
// of gd steps, |f - f_lin| / |f_lin - f_0| grows in proportion to the
// learning rate (ten times the rate, ten times the departure).
func TestLinearizedDeparts(t *testing.T) {
	x := imageio.Synthetic(16, 16, 3)
	p, err := NewProblem(x, TaskOptions{Task: Fit})
	if err != nil {
		t.Fatal(err)
	}
	a := smallArch(t, "dip-skip:scales=2,channels=8,skip=4,in_channels=8,act=tanh")
	dep := func(lr float64) float64 {
		cfg := Config{Arch: a, Problem: p, Opt: Optimizer{Kind: GD, LR: lr}, Iters: 20, Every: 20, Seed: 1}
		var outs [][]float64
		res, err := Train(context.Background(), cfg, func(e Event) error {
			outs = append(outs, append([]float64(nil), e.Output.Pix...))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		lin, err := TrainLinearized(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		ag, err := CompareLinearized(res, lin, outs, 0)
		if err != nil {
			t.Fatal(err)
		}
		return float64(ag.Departure[len(ag.Departure)-1])
	}
	small, large := dep(1e-4), dep(1e-3)
	if r := large / small; !(small < 0.02 && r > 7 && r < 13) {
		t.Errorf("departure after 20 gd steps: %g with lr 1e-4, %g with lr 1e-3 (ratio %.3g); want < 0.02 and a ratio near 10", small, large, r)
	}
}

// TestLinearizedDiverges sets the gd step beyond the stability limit of
// the network's empirical NTK (eta_eff lambda_max = 2.5, lambda_max from
// Lanczos): the linearized model must stop with Diverged, estimate
// eta_eff lambda_max from its loss growth within a few percent of the
// Lanczos value, and CompareLinearized must report it with null gaps.
func TestLinearizedDiverges(t *testing.T) {
	x := imageio.Synthetic(8, 8, 3)
	p, err := NewProblem(x, TaskOptions{Task: Fit})
	if err != nil {
		t.Fatal(err)
	}
	a := affineArch()
	sp, err := EmpiricalNTKSpectrum(context.Background(), a, []int{8, 8}, 3, 1, 40)
	if err != nil {
		t.Fatal(err)
	}
	n := len(x.Pix)
	const want = 2.5
	lr := want * float64(n) / (2 * sp.Eigenvalues[0])
	cfg := Config{Arch: a, Problem: p, Opt: Optimizer{Kind: GD, LR: lr}, Iters: 300, Every: 5, Seed: 3}
	lin, err := TrainLinearized(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !lin.Diverged || lin.DivergedIter < 1 || lin.DivergedIter >= 300 || len(lin.Measurements) != (lin.DivergedIter+4)/5 {
		t.Fatalf("diverged %v at %d with %d measurements", lin.Diverged, lin.DivergedIter, len(lin.Measurements))
	}
	if math.Abs(lin.EtaLambda-want) > 0.05*want {
		t.Errorf("eta_eff lambda_max from the loss growth %.4g, from Lanczos %.4g", lin.EtaLambda, want)
	}
	// A run at a stable step: the comparison must not use the diverged curves.
	res, err := Train(context.Background(), Config{Arch: a, Problem: p, Opt: Optimizer{Kind: GD, LR: lr / 10}, Iters: 300, Every: 5, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ag, err := CompareLinearized(res, lin, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !ag.Diverged || ag.DivergedIter != lin.DivergedIter || !math.IsNaN(float64(ag.Spearman)) || !math.IsNaN(float64(ag.PredictedHalf[0])) {
		t.Errorf("agreement with a diverged model: %+v", ag)
	}
	// Half the step: stable, no divergence.
	cfg.Opt.LR, cfg.Iters = lr/2, 60
	if lin, err = TrainLinearized(context.Background(), cfg); err != nil || lin.Diverged {
		t.Errorf("eta_eff lambda_max = %g: diverged %v (%v)", want/2, lin.Diverged, err)
	}
}
