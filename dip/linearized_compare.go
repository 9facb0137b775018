package dip

import (
	"errors"
	"fmt"
	"math"
)

// DefaultDepartureThreshold is the relative output distance
// |f_t - f_lin_t| / |f_lin_t - f_0| above which a network is said to have
// left its linearization.
const DefaultDepartureThreshold = 0.1

// LinearAgreement compares a run with the training of its linearization
// (TrainLinearized), measured at the same iterations.
type LinearAgreement struct {
	// BinCenters are the radial bins (cycles per pixel); ObservedHalf and
	// PredictedHalf the iterations at which each bin's mean residual ratio
	// reaches 1/2 (null: not within the run).
	BinCenters    []Num `json:"bin_centers"`
	ObservedHalf  []Num `json:"observed_half_fit"`
	PredictedHalf []Num `json:"predicted_half_fit"`
	// Spearman, BinsFitted, HalfFitLogRMS, FBCRMS, RatioRMS and PSNRRMS
	// are defined as in Agreement.
	Spearman      Num   `json:"spearman"`
	BinsFitted    int   `json:"bins_fitted"`
	HalfFitLogRMS Num   `json:"half_fit_log10_rms"`
	FBCRMS        []Num `json:"fbc_rms"`
	RatioRMS      Num   `json:"ratio_rms"`
	PSNRRMS       Num   `json:"psnr_rms"`
	// Departure is, per measured iteration, |f_t - f_lin_t| / |f_lin_t -
	// f_0| (null at t = 0 or without the run's outputs).
	Departure []Num `json:"departure"`
	// Threshold is the departure level; DepartureIter the first measured
	// iteration above it (-1: never within the run).
	Threshold     float64 `json:"threshold"`
	DepartureIter int     `json:"departure_iter"`
	// StepRatio is the linearized iteration's wall time over the run's
	// training step.
	StepRatio Num `json:"step_ratio"`
	// Diverged reports that the linearized model diverged at iteration
	// DivergedIter (Linearized.Diverged): the predicted half-fit
	// iterations and every gap are then null, not computed from a
	// diverging model. EtaLambda is Linearized.EtaLambda.
	Diverged     bool `json:"diverged"`
	DivergedIter int  `json:"diverged_iter"`
	EtaLambda    Num  `json:"eta_lambda_from_growth"`
	// Note says how the prediction was made.
	Note string `json:"note"`
}

// CompareLinearized reports how the run res follows the linearized model
// lin trained with the same configuration. outputs are the run's outputs
// f_t at its measured iterations (Event.Output), used for the departure
// from the linearization; nil leaves Departure null. threshold <= 0 means
// DefaultDepartureThreshold.
func CompareLinearized(res Result, lin Linearized, outputs [][]float64, threshold float64) (LinearAgreement, error) {
	obs, pred := res.Measurements, lin.Measurements
	if lin.Diverged && len(obs) > 0 && len(pred) <= len(obs) {
		return divergedAgreement(res, lin, threshold), nil
	}
	if len(obs) == 0 || len(obs) != len(pred) {
		return LinearAgreement{}, fmt.Errorf("dip: the run has %d measurements and the linearized model %d; train both with the same iterations", len(obs), len(pred))
	}
	for i := range obs {
		if obs[i].Iter != pred[i].Iter {
			return LinearAgreement{}, errors.New("dip: the run and the linearized model were measured at different iterations")
		}
	}
	if threshold <= 0 {
		threshold = DefaultDepartureThreshold
	}
	bins := len(obs[0].Ratio)
	ag := LinearAgreement{BinCenters: nums(res.BinCenters), Threshold: threshold, DepartureIter: -1, Note: lin.Note, EtaLambda: Num(lin.EtaLambda)}
	t := itersOf(obs)
	oh, ph := make([]float64, bins), make([]float64, bins)
	oc, pc := ratioColumns(obs, bins), ratioColumns(pred, bins)
	for b := range oh {
		oh[b], ph[b] = HalfFit(t, oc[b], 0.5), HalfFit(t, pc[b], 0.5)
	}
	ag.ObservedHalf, ag.PredictedHalf = nums(oh), nums(ph)
	var sp, lr float64
	sp, ag.BinsFitted, lr = halfFitAgreement(oh, ph, t[len(t)-1])
	ag.Spearman, ag.HalfFitLogRMS = Num(sp), Num(lr)
	ag.FBCRMS, ag.RatioRMS, ag.PSNRRMS = curveGaps(obs, pred)
	if res.StepSeconds > 0 {
		ag.StepRatio = Num(lin.StepSeconds / res.StepSeconds)
	} else {
		ag.StepRatio = Num(math.NaN())
	}
	ag.Departure = make([]Num, len(obs))
	for i := range obs {
		ag.Departure[i] = Num(math.NaN())
		if outputs == nil || i >= len(outputs) || len(outputs[i]) != len(lin.Start) || obs[i].Iter == 0 {
			continue
		}
		var num, den float64
		for j, v := range outputs[i] {
			d := v - lin.Outputs[i][j]
			e := lin.Outputs[i][j] - lin.Start[j]
			num += d * d
			den += e * e
		}
		if den > 0 {
			d := math.Sqrt(num / den)
			ag.Departure[i] = Num(d)
			if d > threshold && ag.DepartureIter < 0 {
				ag.DepartureIter = obs[i].Iter
			}
		}
	}
	return ag, nil
}

// divergedAgreement is the agreement with a linearized model that
// diverged: the observed half-fit iterations, and null for everything the
// linearized model would give.
func divergedAgreement(res Result, lin Linearized, threshold float64) LinearAgreement {
	if threshold <= 0 {
		threshold = DefaultDepartureThreshold
	}
	obs := res.Measurements
	bins := len(obs[0].Ratio)
	nan := Num(math.NaN())
	fill := func(n int) []Num {
		v := make([]Num, n)
		for i := range v {
			v[i] = nan
		}
		return v
	}
	t := itersOf(obs)
	oh := make([]float64, bins)
	for b, col := range ratioColumns(obs, bins) {
		oh[b] = HalfFit(t, col, 0.5)
	}
	return LinearAgreement{BinCenters: nums(res.BinCenters), ObservedHalf: nums(oh), PredictedHalf: fill(bins),
		Spearman: nan, HalfFitLogRMS: nan, FBCRMS: fill(FBCBands), RatioRMS: nan, PSNRRMS: nan,
		Departure: fill(len(obs)), Threshold: threshold, DepartureIter: -1, StepRatio: nan,
		Diverged: true, DivergedIter: lin.DivergedIter, EtaLambda: Num(lin.EtaLambda), Note: lin.Note}
}

// halfFitAgreement returns the Spearman correlation of observed and
// predicted half-fit iterations (both censored at last), the number of bins
// half fitted on both sides and the RMS log10 ratio over them.
func halfFitAgreement(obs, pred []float64, last float64) (spearman float64, fitted int, logRMS float64) {
	co, cp := make([]float64, len(obs)), make([]float64, len(obs))
	var lr []float64
	for b := range co {
		co[b], cp[b] = obs[b], pred[b]
		if !(co[b] <= last) {
			co[b] = math.Inf(1)
		}
		if !(cp[b] <= last) {
			cp[b] = math.Inf(1)
		}
		if !math.IsInf(co[b], 0) && !math.IsInf(cp[b], 0) && co[b] > 0 && cp[b] > 0 {
			lr = append(lr, math.Log10(co[b]/cp[b]))
			fitted++
		}
	}
	logRMS, _ = rms(lr, make([]float64, len(lr)))
	return Spearman(co, cp), fitted, logRMS
}

// curveGaps returns the RMS gaps of the FBC bands, the residual ratios and
// the PSNR between two series of measurements at the same iterations.
func curveGaps(obs, pred []Measurement) (fbc []Num, ratio, psnr Num) {
	for b := 0; b < FBCBands; b++ {
		o, q := make([]float64, len(obs)), make([]float64, len(obs))
		for i := range obs {
			o[i], q[i] = obs[i].FBC[b], pred[i].FBC[b]
		}
		v, _ := rms(o, q)
		fbc = append(fbc, Num(v))
	}
	var ro, rp, po, pp []float64
	for i := range obs {
		ro = append(ro, obs[i].Ratio...)
		rp = append(rp, pred[i].Ratio...)
		po = append(po, obs[i].PSNR)
		pp = append(pp, pred[i].PSNR)
	}
	v, _ := rms(ro, rp)
	w, _ := rms(po, pp)
	return fbc, Num(v), Num(w)
}
