package netinit

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/kernel"
)

// Comparison summarizes how an empirical kernel agrees with an analytic one.
// Errors are relative to the analytic mean variance.
type Comparison struct {
	// Entries is the number of phase-offset entries compared.
	Entries int `json:"entries"`
	// Variance is the analytic mean variance used to normalize errors.
	Variance float64 `json:"variance"`
	// MaxRelError is max |empirical - analytic| / Variance.
	MaxRelError float64 `json:"max_rel_error"`
	// RMSRelError is the RMS of (empirical - analytic) / Variance.
	RMSRelError float64 `json:"rms_rel_error"`
	// BiasRelError is the mean of (empirical - analytic) / Variance over
	// entries: a systematic offset (finite-width bias) shows here.
	BiasRelError float64 `json:"bias_rel_error"`
	// MeanStderr is the mean standard error / Variance: the sampling noise
	// level the errors should be compared with.
	MeanStderr float64 `json:"mean_rel_stderr"`
	// ExcessRMS is the part of the RMS error that sampling noise does not
	// explain: sqrt(max(0, RMS^2 - mean stderr^2)) / Variance, an estimate
	// of the RMS bias (the finite-width error).
	ExcessRMS float64 `json:"excess_rms_rel_error"`
	// Within2, Within3: share of entries within 2 and 3 standard errors.
	Within2 float64 `json:"within_2se"`
	Within3 float64 `json:"within_3se"`
	// MaxZ is the largest |error| / stderr.
	MaxZ float64 `json:"max_z"`
	// Consistent is the verdict. Compare alone sets it by the entry-wise
	// rule (at least 90% within 2 SE and 98% within 3 SE), which counts
	// correlated entries as independent and is not calibrated; Check
	// overwrites it with the calibrated test (Agree, Hotelling T^2).
	Consistent bool `json:"consistent"`
	// Verdict is a one-line summary.
	Verdict string `json:"verdict"`
}

// Compare compares an empirical map (with standard errors) with an
// analytic one. The analytic map is brought to the empirical map's period
// (which must be a multiple of it); NaN entries of the empirical map (no
// data) are skipped.
func Compare(analytic, empirical, stderr kernel.Map) (Comparison, error) {
	return CompareScaled(analytic, empirical, stderr, 0)
}

// CompareScaled is Compare with errors relative to scale instead of the
// analytic mean variance (scale <= 0: the mean variance). The shape
// comparison uses it, since a row-centered map has no variance of its own
// to normalize by (a constant kernel centers to zero).
func CompareScaled(analytic, empirical, stderr kernel.Map, scale float64) (Comparison, error) {
	var c Comparison
	if analytic.Period != empirical.Period {
		a, err := analytic.WithPeriod(empirical.Period)
		if err != nil {
			return c, fmt.Errorf("netinit: the estimate's period %d is not a multiple of the kernel's period %d", empirical.Period, analytic.Period)
		}
		analytic = a
	}
	if len(analytic.Data) != len(empirical.Data) || len(stderr.Data) != len(empirical.Data) {
		return c, fmt.Errorf("netinit: maps of different shapes: analytic %v, empirical %v", analytic.Shape(), empirical.Shape())
	}
	c.Variance = scale
	if scale <= 0 {
		c.Variance = analytic.MeanVariance()
	}
	if !(c.Variance > 0) {
		return c, fmt.Errorf("netinit: the analytic variance is %v; nothing to compare", c.Variance)
	}
	var sum, sum2, se, se2 float64
	var in2, in3 int
	for i, e := range empirical.Data {
		if math.IsNaN(e) {
			continue
		}
		d := (e - analytic.Data[i]) / c.Variance
		c.Entries++
		sum += d
		sum2 += d * d
		c.MaxRelError = math.Max(c.MaxRelError, math.Abs(d))
		s := stderr.Data[i]
		se += s / c.Variance
		se2 += (s / c.Variance) * (s / c.Variance)
		z := math.Inf(1)
		if s > 0 {
			z = math.Abs(e-analytic.Data[i]) / s
		} else if e == analytic.Data[i] {
			z = 0
		}
		c.MaxZ = math.Max(c.MaxZ, z)
		if z <= 2 {
			in2++
		}
		if z <= 3 {
			in3++
		}
	}
	if c.Entries == 0 {
		return c, fmt.Errorf("netinit: no entries to compare")
	}
	n := float64(c.Entries)
	c.RMSRelError = math.Sqrt(sum2 / n)
	c.BiasRelError = sum / n
	c.MeanStderr = se / n
	c.ExcessRMS = math.Sqrt(math.Max(0, sum2/n-se2/n))
	c.Within2 = float64(in2) / n
	c.Within3 = float64(in3) / n
	c.Consistent = c.Within2 >= 0.9 && c.Within3 >= 0.98
	if c.Consistent {
		c.Verdict = fmt.Sprintf("entry-wise AGREE: the empirical kernel matches the analytic one within sampling error (%.1f%% within 2 SE, max error %.2g of the variance)", 100*c.Within2, c.MaxRelError)
	} else {
		c.Verdict = fmt.Sprintf("entry-wise DIFFER: the empirical kernel departs from the analytic one beyond sampling error (%.1f%% within 2 SE, max error %.2g and mean bias %+.2g of the variance; sampling error %.2g)", 100*c.Within2, c.MaxRelError, c.BiasRelError, c.MeanStderr)
	}
	return c, nil
}
