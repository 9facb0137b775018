package netinit

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/dipgp/dipgp/arch"
)

// SweepPoint is the check at one width.
type SweepPoint struct {
	Width  int         `json:"width"`
	Result CheckResult `json:"result"`
}

// Sweep is a width sweep: the check at several widths and the fitted
// log-log slope of the error against width.
type Sweep struct {
	Points []SweepPoint `json:"points"`
	// Slope is the least-squares slope of log(RMS error) on log(width);
	// the theory expects about -1 once sampling noise is below the bias.
	Slope float64 `json:"rms_slope"`
	// BiasSlope is the same for the absolute mean bias.
	BiasSlope float64 `json:"bias_slope"`
	// ShapeSlope is the slope of log(excess RMS error of the row-centered
	// kernel) on log(width): the finite-width error of the kernel's shape
	// once sampling noise is taken out (points where noise explains all of
	// the error are left out).
	ShapeSlope float64 `json:"shape_excess_slope"`
	// ShapeFit fits the shape's excess RMS error as a + b/width, with the
	// extrapolated infinite-width error a and 95% intervals; LevelFit the
	// same for the excess RMS error of the kernel as it is.
	ShapeFit InverseFit `json:"shape_fit"`
	LevelFit InverseFit `json:"level_fit"`
}

// RunSweep runs Check for the preset architecture a at each width (its
// "channels" key set to the width). It stops at the first error; the
// points completed so far are returned.
func RunSweep(ctx context.Context, cfg CheckConfig, widths []int, each func(SweepPoint)) (Sweep, error) {
	var s Sweep
	for _, w := range widths {
		a, err := arch.WithPresetKey(cfg.Arch, "channels", strconv.Itoa(w))
		if err != nil {
			return s, fmt.Errorf("netinit: width sweep: %w", err)
		}
		c := cfg
		c.Arch = a
		r, err := Check(ctx, c)
		if err != nil {
			return s, err
		}
		p := SweepPoint{Width: w, Result: r}
		s.Points = append(s.Points, p)
		if each != nil {
			each(p)
		}
	}
	return Fit(s), nil
}

// Fit returns the sweep with its slopes fitted to its points.
func Fit(s Sweep) Sweep {
	var xs, ys, bs, sx, sy []float64
	for _, p := range s.Points {
		xs = append(xs, math.Log(float64(p.Width)))
		ys = append(ys, math.Log(p.Result.Comparison.RMSRelError))
		bs = append(bs, math.Log(math.Abs(p.Result.Comparison.BiasRelError)))
		if e := p.Result.Shape.ExcessRMS; e > 0 {
			sx = append(sx, math.Log(float64(p.Width)))
			sy = append(sy, math.Log(e))
		}
	}
	s.Slope = slope(xs, ys)
	s.BiasSlope = slope(xs, bs)
	s.ShapeSlope = slope(sx, sy)
	var ws []int
	var sh, lv []float64
	for _, p := range s.Points {
		ws = append(ws, p.Width)
		sh = append(sh, p.Result.Shape.ExcessRMS)
		lv = append(lv, p.Result.Comparison.ExcessRMS)
	}
	s.ShapeFit = FitInverseWidth(ws, sh)
	s.LevelFit = FitInverseWidth(ws, lv)
	return s
}

// slope is the least-squares slope of y on x (NaN for fewer than 2 points).
func slope(x, y []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(x))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}
