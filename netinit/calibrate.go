package netinit

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/dipgp/dipgp/kernel"
)

// Calibration is the measured rejection rate of the agreement test (Agree)
// over repeated runs on fields drawn from a Gaussian process. When the
// fields come from the kernel tested against, the rates are the test's
// false-alarm rates and should be near the nominal levels; when they come
// from another kernel, they are its power.
type Calibration struct {
	Runs     int `json:"runs"`
	Samples  int `json:"samples_per_run"`
	Channels int `json:"channels"`
	Margin   int `json:"margin"`
	Features int `json:"features"`
	// Reject05 and Reject01: share of runs whose joint p-value is below
	// 0.05 and 0.01; ShapeReject05 the same for the shape test at 0.05.
	Reject05      float64 `json:"reject_0_05"`
	Reject01      float64 `json:"reject_0_01"`
	ShapeReject05 float64 `json:"shape_reject_0_05"`
	// EntrywiseReject is the share of runs the old entry-wise rule (90%
	// within 2 SE and 98% within 3 SE, level and shape) called different.
	EntrywiseReject float64 `json:"entrywise_reject"`
}

// Calibrate runs the agreement test runs times, each on samples fields of
// the given number of channels drawn from the exact GP of truth, estimated
// on the region with the given margin, and tested against tested (the same
// map for a calibration, another for a power estimate). Run r draws from a
// seed derived from (seed, r) only.
func Calibrate(ctx context.Context, truth, tested kernel.Map, runs, samples, channels, margin int, seed uint64) (Calibration, error) {
	c := Calibration{Runs: runs, Samples: samples, Channels: channels, Margin: margin}
	if runs < 1 || samples < 2 || channels < 1 {
		return c, fmt.Errorf("netinit: calibration needs runs >= 1, samples >= 2, channels >= 1 (got %d, %d, %d)", runs, samples, channels)
	}
	g, err := NewGPSampler(truth)
	if err != nil {
		return c, err
	}
	f, err := NewField(tested.Period, tested.Size, margin)
	if err != nil {
		return c, err
	}
	est := make([]float64, f.Len())
	var r05, r01, s05, ew int
	for r := 0; r < runs; r++ {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		rng := rand.New(rand.NewPCG(seed, splitmix64(seed^uint64(r))))
		stats, err := NewStats(tested.Period, tested.Size, f.Valid())
		if err != nil {
			return c, err
		}
		for i := 0; i < samples; i++ {
			if err := f.Estimate(est, g.Sample(rng, channels), channels); err != nil {
				return c, err
			}
			if err := stats.Add(est); err != nil {
				return c, err
			}
		}
		res := CheckResult{Analytic: tested}
		if err := res.finish(stats); err != nil {
			return c, err
		}
		entry, err := entrywise(res, stats)
		if err != nil {
			return c, err
		}
		a := res.Test
		c.Features = a.Joint.Features
		if a.Joint.P < 0.05 {
			r05++
		}
		if a.Joint.P < 0.01 {
			r01++
		}
		if a.Shape.P < 0.05 {
			s05++
		}
		if !entry {
			ew++
		}
	}
	n := float64(runs)
	c.Reject05, c.Reject01, c.ShapeReject05, c.EntrywiseReject = float64(r05)/n, float64(r01)/n, float64(s05)/n, float64(ew)/n
	return c, nil
}

// entrywise is the old verdict (both comparisons by their entry-wise rule).
func entrywise(r CheckResult, s *Stats) (bool, error) {
	lvl, err := Compare(r.Analytic, r.Empirical, r.Stderr)
	if err != nil {
		return false, err
	}
	cm, cse, err := s.Centered()
	if err != nil {
		return false, err
	}
	a, err := r.Analytic.WithPeriod(s.Period)
	if err != nil {
		return false, err
	}
	ca := a.Clone()
	CenterRows(ca.Data, a.Data, s.Valid, a.Points())
	sh, err := CompareScaled(ca, cm, cse, lvl.Variance)
	if err != nil {
		return false, err
	}
	return lvl.Consistent && sh.Consistent, nil
}
