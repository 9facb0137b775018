package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/dipgp/dipgp/dip"
)

// dipLanczosSteps is the number of Lanczos steps for the empirical NTK's
// largest eigenvalue (its residual is reported).
const dipLanczosSteps = 30

// dipStep is the step of a fixed-step run against the largest eigenvalues
// of the infinite-width NTK and of the network's empirical NTK J J^T at
// initialization: gd on the linearized model is stable while eta_eff
// lambda_max < 2.
type dipStep struct {
	LR float64 `json:"lr"`
	// LRFrom says where the learning rate came from: given (--lr),
	// infinite, empirical or both (--lr-from).
	LRFrom             string  `json:"lr_from"`
	EffectiveStep      dip.Num `json:"effective_step"`
	LambdaInfinite     dip.Num `json:"lambda_max_infinite"`
	LambdaEmpirical    dip.Num `json:"lambda_max_empirical"`
	LambdaResidual     dip.Num `json:"lambda_max_empirical_residual"`
	EtaLambdaInfinite  dip.Num `json:"eta_lambda_max_infinite"`
	EtaLambdaEmpirical dip.Num `json:"eta_lambda_max_empirical"`
}

// chooseStep measures the empirical NTK's largest eigenvalue of a
// fixed-step run (nil for Adam and sgld-cheng) and, when --lr is not given
// for gd, sets the learning rate from --lr-from to eta_eff lambda_max = 0.9
// with the chosen lambda_max.
func (c *compareCmd) chooseStep(ctx context.Context, f dipRunFlags, s *dipSetup) (*dipStep, error) {
	o := &s.cfg.Opt
	if !o.Kind.FixedStep() {
		return nil, nil
	}
	img := s.cfg.Problem.Target
	n := len(img.Pix)
	sp, err := dip.EmpiricalNTKSpectrum(ctx, s.cfg.Arch, gridOf(img), s.cfg.Seed, 1, dipLanczosSteps)
	if err != nil {
		return nil, fmt.Errorf("the empirical NTK's largest eigenvalue: %w", err)
	}
	emp, inf := sp.Eigenvalues[0], math.NaN()
	if s.kern != nil {
		inf = s.kern.Prior.MaxEigenvalue()
	}
	st := &dipStep{LRFrom: "given", LambdaInfinite: dip.Num(inf), LambdaEmpirical: dip.Num(emp), LambdaResidual: dip.Num(sp.Residuals[0])}
	if f.LR == 0 {
		st.LRFrom = "infinite" // setup's choice
	}
	if f.LR == 0 && o.Kind == dip.GD {
		lam := inf
		switch {
		case c.LRFrom == "empirical" || math.IsNaN(inf):
			lam = emp
		case c.LRFrom == "both":
			lam = math.Max(inf, emp)
		}
		o.LR = 0.9 * float64(n) / (2 * lam)
		st.LRFrom = c.LRFrom
		for i, note := range s.notes {
			if strings.HasPrefix(note, "gd lr ") {
				s.notes[i] = fmt.Sprintf("gd lr %.4g: eta_eff lambda_max = 0.9 with lambda_max = %.4g (--lr-from %s; the stability limit is 2)", o.LR, lam, c.LRFrom)
			}
		}
	}
	eta := dip.EffectiveStep(*o, n)
	st.LR, st.EffectiveStep = o.LR, dip.Num(eta)
	st.EtaLambdaInfinite, st.EtaLambdaEmpirical = dip.Num(eta*inf), dip.Num(eta*emp)
	if eta*emp >= 2 {
		fmt.Fprintf(os.Stderr, "dipgp: eta_eff lambda_max = %.3g with the empirical NTK's largest eigenvalue (%.3g with the infinite-width one): beyond 2, "+
			"the linearized model diverges (the network itself may train by leaving its linearization); --lr-from empirical or both gives a stable step\n",
			eta*emp, eta*inf)
	}
	return st, nil
}

// String is the step's one-line report.
func (st *dipStep) String() string {
	return fmt.Sprintf("lr %.4g (%s): eta_eff lambda_max = %.3f with the infinite-width NTK, %.3f with the empirical NTK (lambda_max %.4g vs %.4g; stability limit 2)",
		st.LR, st.LRFrom, st.EtaLambdaInfinite, st.EtaLambdaEmpirical, st.LambdaInfinite, st.LambdaEmpirical)
}
