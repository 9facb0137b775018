package experiments

import (
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/kernel"
)

// rnFCTheory sets the DIP-linear networks' bands against their
// infinite-width NTK. Their last layer is dense onto the image, so the NTK
// over output pixels (before the sigmoid) is theta times the identity
// (docs/theory.md section 3, "Fully connected layers"): every frequency
// has the eigenvalue theta, and linearized gradient descent fits every band
// at the same rate. The kernel is computed here, not assumed; the measure
// of the finite networks is the ratio of band 5's half-fit iteration to
// band 1's (1 at infinite width).
func (e *env) rnFCTheory(st rnSetting, runs []rnRun) error {
	var rows [][]string
	n := 256 / st.factor
	size := []int{n, n}
	for _, mt := range st.methods {
		if !strings.HasPrefix(mt.key, "fc") {
			continue
		}
		a, err := parseArch(mt.spec+",in_channels=1,out_channels=1", size)
		if err != nil {
			return err
		}
		_, ntk, err := kernel.Compute(e.ctx, a.PreActivation(), size, kernel.Options{NTK: true})
		if err != nil {
			return err
		}
		theta, off := ntk.Data[0], 0.0
		for _, v := range ntk.Data[1:] {
			off = math.Max(off, math.Abs(v))
		}
		e.num(mt.key+"_ntk_theta", theta)
		e.num(mt.key+"_ntk_offdiag_rel", off/theta)
		var ratios []float64
		fitted, low := 0, 0
		rs := rnOf(runs, mt.key)
		for _, r := range rs {
			h := r.halfFit()
			if lowFirst(h) {
				low++
			}
			if !math.IsNaN(h[0]) && !math.IsNaN(h[len(h)-1]) {
				fitted++
				ratios = append(ratios, h[len(h)-1]/math.Max(h[0], 1))
			}
		}
		mu, sd := math.NaN(), math.NaN()
		if len(ratios) > 0 {
			mu, sd = meanSD(ratios)
		}
		e.num(mt.key+"_band5_over_band1", finiteOr(mu, -1))
		verdict := "no verdict (band 5 not half fitted in every run)"
		switch {
		case fitted == len(rs) && mu-2*sd/math.Sqrt(float64(len(ratios))) > 1.5:
			verdict = "disagree: the finite network fits band 5 later than band 1; the ordering is not the infinite-width NTK's"
		case fitted == len(rs) && mu+2*sd/math.Sqrt(float64(len(ratios))) < 1.5:
			verdict = "agree: the bands are fitted at about the same time"
		case fitted == len(rs):
			verdict = "no verdict (the ratio's 2-SE interval contains 1.5)"
		}
		rows = append(rows, []string{mt.label, fg(theta, 4), fg(off/theta, 2),
			fmt.Sprintf("%s ± %s (%d/%d runs)", fg(mu, 3), fg(sd, 2), fitted, len(rs)), fmt.Sprintf("%d/%d", low, len(rs)), verdict})
	}
	if len(rows) == 0 {
		return nil
	}
	e.md("### DIP-linear against its infinite-width NTK\n\nA network whose last layer is dense onto the image has, at "+
		"infinite width, the NTK theta I over output pixels (docs/theory.md section 3, \"Fully connected layers\"; computed "+
		"here by package kernel before the sigmoid at %dx%d): the same eigenvalue at every frequency, so linearized gradient "+
		"descent would fit every band at the same rate (half-fit iteration of band 5 over that of band 1: 1). The sigmoid "+
		"multiplies each pixel's rate by its own sigma'(g)^2, which is white too. Measured: the ratio over the runs "+
		"(mean ± sd), and the runs whose bands are half fitted lowest first. The verdict asks whether the ratio's 2-SE interval "+
		"lies beyond 1.5 (a spectral bias the limit lacks) or below it.", n, n)
	e.table([]string{"network", "NTK theta (pixel)", "largest off-diagonal / theta", "band 5 / band 1 half-fit iteration",
		"low first", "verdict"}, rows)
	return nil
}
