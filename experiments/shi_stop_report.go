package experiments

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/dip"
)

// shiStopRow is one stopping run read back from its unit, with its image.
type shiStopRow struct {
	image string
	seed  int
	shiStopResult
}

// shiStopRows collects the runs of one optimizer from the units, in unit
// order.
func shiStopRows(m shiSize, opt dip.Optimizer, keys []string, units []unitData) []shiStopRow {
	var rows []shiStopRow
	for i, u := range units {
		for sd := 0; sd < m.seeds; sd++ {
			p := shiStopPrefix(opt, sd)
			if _, ok := u.Numbers[p+"oracle_psnr"]; ok {
				rows = append(rows, shiStopRow{keys[i], sd, shiStopOf(u, p)})
			}
		}
	}
	return rows
}

// shiStopHeader is stopping.csv's header: one row per (image, seed,
// optimizer).
var shiStopHeader = append([]string{"image", "seed", "optimizer"}, shiStopKeys...)

// shiStopCSVRows are the rows of stopping.csv of one unit (image).
func shiStopCSVRows(m shiSize, opts []dip.Optimizer, key string, u unitData) [][]string {
	var rows [][]string
	for sd := 0; sd < m.seeds; sd++ {
		for _, opt := range opts {
			p := shiStopPrefix(opt, sd)
			if _, ok := u.Numbers[p+"oracle_psnr"]; !ok {
				continue
			}
			row := []string{key, fmt.Sprint(sd), string(opt.Kind)}
			for _, k := range shiStopKeys {
				row = append(row, fmtNums(u.Numbers[p+k])...)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// shiStopReport writes per optimizer the per-image table, the
// PSNR lost by each rule (mean ± sd), their paired difference (mean ± SE)
// and how often each rule stopped before the end.
func (e *env) shiStopReport(m shiSize, opts []dip.Optimizer, keys []string, units []unitData) error {
	for _, opt := range opts {
		rs := shiStopRows(m, opt, keys, units)
		if len(rs) == 0 {
			continue
		}
		var rows [][]string
		var lostShi, lostK, diff []float64
		firedShi, firedK, pastK := 0, 0, 0
		for _, r := range rs {
			end := ""
			if r.fired {
				firedShi++
			} else {
				end = " (not fired: end)"
			}
			kend := ""
			switch {
			case math.IsNaN(r.kernelBest):
				kend = " (no kernel iteration)"
			case int(r.kernelBest) >= m.iters:
				pastK++
				kend = fmt.Sprintf(" (best %d past the run: end)", int(r.kernelBest))
				e.note("%s seed %d (%s): the kernel's best iteration %d is past the run's %d; scored at the end", r.image,
					r.seed+1, opt.Kind, int(r.kernelBest), m.iters)
			default:
				firedK++
			}
			lostShi = append(lostShi, r.oracle-r.shi)
			lostK = append(lostK, r.oracle-r.kernel)
			diff = append(diff, r.kernel-r.shi)
			name := r.image
			if m.seeds > 1 {
				name = fmt.Sprintf("%s seed %d", r.image, r.seed+1)
			}
			rows = append(rows, []string{name, fmt.Sprintf("%d (%s)", r.oracleIter, f2(r.oracle)),
				fmt.Sprintf("%d%s (%s)", r.shiIter, end, f2(r.shi)), fmt.Sprintf("%d%s (%s)", r.kernelIter, kend, f2(r.kernel)),
				f2(r.oracle - r.shi), f2(r.oracle - r.kernel)})
		}
		n := len(rs)
		rows = append(rows, []string{"mean ± sd", "", fmt.Sprintf("fired before the end: %d of %d", firedShi, n),
			fmt.Sprintf("inside the run: %d of %d", firedK, n), pmSD(lostShi), pmSD(lostK)})
		kind := "kernel (fitted clock)"
		if opt.Kind == dip.GD {
			kind = "kernel (a priori)"
		}
		e.md("### %s", opt.Kind)
		e.table([]string{"image", "oracle iter (PSNR)", "Shi's rule iter (PSNR)", kind + " iter (PSNR)", "lost by Shi (dB)",
			"lost by kernel (dB)"}, rows)
		se := stdev(diff) / math.Sqrt(float64(len(diff)))
		e.md("Paired difference lost by Shi - lost by the kernel: %s ± %s dB (mean ± SE over %d runs; positive: the "+
			"kernel's iteration is better).", f2(mean(diff)), f2(se), n)
		o := string(opt.Kind)
		e.num("psnr_lost_shi_mean_"+o, mean(lostShi))
		e.num("psnr_lost_shi_sd_"+o, stdev(lostShi))
		e.num("psnr_lost_kernel_mean_"+o, mean(lostK))
		e.num("psnr_lost_kernel_sd_"+o, stdev(lostK))
		e.num("psnr_lost_diff_mean_"+o, mean(diff))
		e.num("psnr_lost_diff_se_"+o, se)
		e.num("shi_fired_"+o, float64(firedShi))
		e.num("kernel_inside_"+o, float64(firedK))
		e.num("kernel_past_end_"+o, float64(pastK))
		e.num("runs_"+o, float64(n))
	}
	return nil
}
