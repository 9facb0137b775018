package netinit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// InverseFit is the least-squares fit error = A + B/width over a width
// sweep, with 95% confidence intervals from the residuals (Student t with
// n-2 degrees of freedom). A is the error extrapolated to infinite width:
// an interval containing 0 means the sweep is consistent with a purely
// finite-width error. Slope is the log-log slope of error on width with
// its interval (-1 for a pure 1/width error).
type InverseFit struct {
	Points int     `json:"points"`
	A      float64 `json:"a_infinite_width"`
	ALo    float64 `json:"a_ci95_lo"`
	AHi    float64 `json:"a_ci95_hi"`
	B      float64 `json:"b"`
	BLo    float64 `json:"b_ci95_lo"`
	BHi    float64 `json:"b_ci95_hi"`
	Slope  float64 `json:"loglog_slope"`
	SLo    float64 `json:"loglog_slope_ci95_lo"`
	SHi    float64 `json:"loglog_slope_ci95_hi"`
}

// FitInverseWidth fits errs = A + B/width. With fewer than 3 points the
// intervals are NaN (no residual degrees of freedom); points with a
// non-positive error are left out of the log-log slope.
func FitInverseWidth(widths []int, errs []float64) InverseFit {
	f := InverseFit{Points: len(widths)}
	x := make([]float64, len(widths))
	for i, w := range widths {
		x[i] = 1 / float64(w)
	}
	f.A, f.B, f.ALo, f.AHi, f.BLo, f.BHi = linearCI(x, errs)
	var lx, ly []float64
	for i, w := range widths {
		if errs[i] > 0 {
			lx, ly = append(lx, math.Log(float64(w))), append(ly, math.Log(errs[i]))
		}
	}
	_, f.Slope, _, _, f.SLo, f.SHi = linearCI(lx, ly)
	return f
}

// linearCI fits y = a + b x and returns a, b and their 95% intervals.
func linearCI(x, y []float64) (a, b, aLo, aHi, bLo, bHi float64) {
	n := len(x)
	nan := math.NaN()
	if n < 2 {
		return nan, nan, nan, nan, nan, nan
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	if sxx == 0 {
		return nan, nan, nan, nan, nan, nan
	}
	b = sxy / sxx
	a = my - b*mx
	if n < 3 {
		return a, b, nan, nan, nan, nan
	}
	var rss float64
	for i := range x {
		r := y[i] - a - b*x[i]
		rss += r * r
	}
	s2 := rss / float64(n-2)
	seB := math.Sqrt(s2 / sxx)
	seA := math.Sqrt(s2 * (1/float64(n) + mx*mx/sxx))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(0.975)
	return a, b, a - t*seA, a + t*seA, b - t*seB, b + t*seB
}

// Summary states the fits of a sweep in one line each.
func (s Sweep) Summary() string {
	line := func(what string, f InverseFit) string {
		return fmt.Sprintf("%s: error = a + b/width with a = %.3g [%.3g, %.3g] (infinite width), b = %.3g [%.3g, %.3g]; log-log slope %.2f [%.2f, %.2f] (95%% intervals, %d widths)",
			what, f.A, f.ALo, f.AHi, f.B, f.BLo, f.BHi, f.Slope, f.SLo, f.SHi, f.Points)
	}
	return line("shape excess error", s.ShapeFit) + "\n" + line("level excess error", s.LevelFit) +
		"\nan interval for a that contains 0 means the error is consistent with a pure finite-width (1/width) error"
}
