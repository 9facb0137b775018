package experiments

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/plotting"
)

// rnUnit is what one (image, seed) pair of relunet-vs-dip writes under
// units/ when the run is sharded.
type rnUnit struct {
	Experiment string  `json:"experiment"`
	Mode       string  `json:"mode"`
	Seed       uint64  `json:"seed"`
	Iters      int     `json:"iters"`
	Image      string  `json:"image"`
	PairSeed   int     `json:"pair_seed"`
	Runs       []rnRun `json:"runs"`
}

// rnPairs is runPairs for runs with curves: sharded, it trains this
// shard's pairs and writes them under units/ (done false); merging, it
// reads every pair from the shards' folders.
func (e *env) rnPairs(ps []pair, iters int, f func(pair) ([]rnRun, error)) (runs []rnRun, done bool, err error) {
	merging, sharded := len(e.cfg.MergeFrom) > 0, e.cfg.Shards > 1
	for i, p := range ps {
		var rs []rnRun
		switch {
		case merging:
			if rs, err = e.rnReadUnit(i, p, iters); err != nil {
				return nil, false, err
			}
		case sharded && i%e.cfg.Shards != e.cfg.Shard:
			continue
		default:
			if rs, err = f(p); err != nil {
				return runs, false, err
			}
			if sharded {
				u := rnUnit{e.x.Name, e.cfg.Mode.String(), e.cfg.Seed, iters, p.image, p.seed, rs}
				if err := e.rnWriteUnit(i, u); err != nil {
					return runs, false, err
				}
			}
			if err := e.step(fmt.Sprintf("%s, seed %d", p.image, p.seed)); err != nil {
				return runs, false, err
			}
		}
		runs = append(runs, rs...)
	}
	return runs, merging || !sharded, nil
}

func (e *env) rnWriteUnit(i int, u rnUnit) error {
	return e.writeUnitFile(e.unitName(i), u)
}

func (e *env) rnReadUnit(i int, p pair, iters int) ([]rnRun, error) {
	var u rnUnit
	path, err := e.readUnitFile(e.unitName(i), &u)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("no shard holds %s (image %s, seed %d) of %s: a shard is missing or did not finish; run it and merge again",
			e.unitName(i), p.image, p.seed, e.x.Name)
	}
	want := rnUnit{e.x.Name, e.cfg.Mode.String(), e.cfg.Seed, iters, p.image, p.seed, nil}
	if u.Experiment != want.Experiment || u.Mode != want.Mode || u.Seed != want.Seed || u.Iters != want.Iters ||
		u.Image != want.Image || u.PairSeed != want.PairSeed {
		return nil, fmt.Errorf("%s holds %s, %s mode, seed %d, %d iterations, image %s seed %d; this merge expects %s, %s mode, "+
			"seed %d, %d iterations, image %s seed %d: the shards were run with other settings (mode, --seed, --iters)",
			path, u.Experiment, u.Mode, u.Seed, u.Iters, u.Image, u.PairSeed, want.Experiment, want.Mode, want.Seed, iters, p.image, p.seed)
	}
	return u.Runs, nil
}

// rnOf returns the runs of one method, in pair order.
func rnOf(runs []rnRun, key string) []rnRun {
	var out []rnRun
	for _, r := range runs {
		if r.Method == key {
			out = append(out, r)
		}
	}
	return out
}

func rnCol(runs []rnRun, f func(rnRun) float64) []float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return v
}

// rnReport writes the table, the paired differences, the band order, the
// CSV files and the figures.
func (e *env) rnReport(st rnSetting, runs []rnRun, pairs int) error {
	if err := e.rnCSV(runs); err != nil {
		return err
	}
	cols := []struct {
		key, head string
		f         func(rnRun) float64
	}{
		{"best", "best PSNR (dB)", func(r rnRun) float64 { return r.Best }},
		{"best_iter", "iteration of the best", func(r rnRun) float64 { return float64(r.BestIter) }},
		{"final", "final PSNR (dB)", func(r rnRun) float64 { return r.Final }},
		{"drop", "best - final (dB)", func(r rnRun) float64 { return r.Best - r.Final }},
		{"fbc5_at_best", "H_5 at the best", func(r rnRun) float64 { return r.fbcAt(r.BestIter)[dip.FBCBands-1] }},
		{"fbc5_final", "H_5 at the end", func(r rnRun) float64 { return r.FBC[len(r.FBC)-1][dip.FBCBands-1] }},
	}
	e.md("## Results\n\nMean ± standard deviation over the %d (image, seed) pairs (every run in runs.csv, every curve in "+
		"curves.csv). H_b is Shi et al.'s FBC of band b against the noisy target (band 5: the highest frequencies, where the "+
		"noise dominates).", pairs)
	var rows [][]string
	for _, mt := range st.methods {
		rs := rnOf(runs, mt.key)
		row := []string{mt.label}
		for _, c := range cols {
			mu, sd := meanSD(rnCol(rs, c.f))
			e.num(fmt.Sprintf("%s_%s_mean", mt.key, c.key), mu)
			e.num(fmt.Sprintf("%s_%s_sd", mt.key, c.key), sd)
			row = append(row, fmt.Sprintf("%s ± %s", f2(mu), f2(sd)))
		}
		rows = append(rows, row)
	}
	head := []string{"network"}
	for _, c := range cols {
		head = append(head, c.head)
	}
	e.table(head, rows)
	var cost []string
	for _, mt := range st.methods {
		mu, _ := meanSD(rnCol(rnOf(runs, mt.key), func(r rnRun) float64 { return r.StepSec }))
		e.num(mt.key+"_step_seconds", mu)
		cost = append(cost, fmt.Sprintf("%s %s s", mt.label, fg(mu, 3)))
	}
	e.md("Wall time per training step (mean over runs, on this machine): %s.", strings.Join(cost, "; "))
	e.rnDiffs(st, runs)
	e.rnOrder(st, runs)
	if err := e.rnFCTheory(st, runs); err != nil {
		return err
	}
	return e.rnFigures(st, runs)
}

func (e *env) rnDiffs(st rnSetting, runs []rnRun) {
	best := func(r rnRun) float64 { return r.Best }
	drop := func(r rnRun) float64 { return r.Best - r.Final }
	dipR := rnOf(runs, "dip")
	var rows [][]string
	add := func(name, key string, a, b []float64) {
		mu, se := pairedDiff(a, b)
		e.num("diff_"+key, mu)
		e.num("diff_"+key+"_se", se)
		v := "no difference claimed (|mean| < 2 SE)"
		if math.Abs(mu) > 2*se {
			v = "difference beyond 2 SE"
		}
		rows = append(rows, []string{name, f2(mu), f2(se), v})
	}
	for _, mt := range st.methods[1:] {
		add("best PSNR: DIP skip net - "+mt.label, "best_dip_minus_"+mt.key, rnCol(dipR, best), rnCol(rnOf(runs, mt.key), best))
	}
	zero := make([]float64, len(dipR))
	for _, mt := range st.methods {
		add("early-stopping gain (best - final): "+mt.label, "drop_"+mt.key, rnCol(rnOf(runs, mt.key), drop), zero)
	}
	e.md("Paired differences over the same image and seed (mean and standard error of the mean over %d pairs):", len(dipR))
	e.table([]string{"difference (dB)", "mean", "SE", "verdict"}, rows)
}

// rnOrder reports the iteration at which each band is half fitted and how
// often the bands are fitted lowest first.
func (e *env) rnOrder(st rnSetting, runs []rnRun) {
	e.md("### Order of the frequency bands\n\nThe radial frequency bins of dip's residual ratio |F(f_t - y)| / |F(f_0 - y)| "+
		"(1 at the start) are grouped into %d bands of equal width, band 1 lowest. Iteration at which a band's mean ratio first "+
		"falls to %g (mean over the runs where it does; in brackets how many of the runs), and the share of runs whose bands "+
		"get there lowest first (a band that never does counts as after every one that does).", dip.FBCBands, rnHalfLevel)
	head := []string{"network"}
	for b := 1; b <= dip.FBCBands; b++ {
		head = append(head, fmt.Sprintf("band %d", b))
	}
	head = append(head, "low first")
	var rows [][]string
	for _, mt := range st.methods {
		rs := rnOf(runs, mt.key)
		row := []string{mt.label}
		for b := 0; b < dip.FBCBands; b++ {
			var v []float64
			for _, r := range rs {
				if h := r.halfFit()[b]; !math.IsNaN(h) {
					v = append(v, h)
				}
			}
			mu := math.NaN()
			if len(v) > 0 {
				mu, _ = meanSD(v)
			}
			e.num(fmt.Sprintf("%s_half_fit_band%d", mt.key, b+1), finiteOr(mu, -1))
			e.num(fmt.Sprintf("%s_half_fit_band%d_runs", mt.key, b+1), float64(len(v)))
			row = append(row, fmt.Sprintf("%s (%d/%d)", fg(mu, 4), len(v), len(rs)))
		}
		n := 0
		for _, r := range rs {
			if lowFirst(r.halfFit()) {
				n++
			}
		}
		e.num(mt.key+"_low_first_share", float64(n)/float64(len(rs)))
		rows = append(rows, append(row, fmt.Sprintf("%d/%d", n, len(rs))))
	}
	e.table(head, rows)
}

// finiteOr returns v, or alt when v is NaN or infinite.
func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

func (e *env) rnCSV(runs []rnRun) error {
	var rows, curves [][]string
	for _, r := range runs {
		rows = append(rows, []string{r.Image, fmt.Sprint(r.Seed), r.Method, fg(r.Best, 6), fmt.Sprint(r.BestIter), fg(r.Final, 6)})
		for i, it := range r.Iters {
			row := []string{r.Image, fmt.Sprint(r.Seed), r.Method, fmt.Sprint(it), fg(r.PSNR[i], 6)}
			for _, h := range append(append([]float64(nil), r.FBC[i]...), r.Resid[i]...) {
				row = append(row, fg(h, 6))
			}
			curves = append(curves, row)
		}
	}
	if err := e.csvText("runs", []string{"image", "seed", "method", "psnr_best", "best_iter", "psnr_final"}, rows); err != nil {
		return err
	}
	head := []string{"image", "seed", "method", "iter", "psnr"}
	for b := 1; b <= dip.FBCBands; b++ {
		head = append(head, fmt.Sprintf("fbc%d", b))
	}
	for b := 1; b <= dip.FBCBands; b++ {
		head = append(head, fmt.Sprintf("resid%d", b))
	}
	return e.csvText("curves", head, curves)
}

// rnMean returns the mean over runs (which share their iterations) of a
// per-measurement value.
func rnMean(rs []rnRun, get func(r rnRun, i int) float64) (x, y []float64) {
	for i, it := range rs[0].Iters {
		var s float64
		for _, r := range rs {
			s += get(r, i)
		}
		x = append(x, float64(it))
		y = append(y, s/float64(len(rs)))
	}
	return x, y
}

func (e *env) rnFigures(st rnSetting, runs []rnRun) error {
	var psnr, fbc []*plot.Plot
	for _, mt := range st.methods {
		rs := rnOf(runs, mt.key)
		var ser []plotting.Series
		for i, r := range rs {
			x := make([]float64, len(r.Iters))
			for j, it := range r.Iters {
				x[j] = float64(it)
			}
			ser = append(ser, plotting.Series{Name: fmt.Sprintf("%s s%d", r.Image, r.Seed), X: x, Y: r.PSNR, Color: i + 1})
		}
		p, err := lines(mt.label, "iteration", "PSNR (dB)", ser, plotting.Options{LegendBottom: true})
		if err != nil {
			return err
		}
		psnr = append(psnr, p)
		ser = nil
		for b := 0; b < dip.FBCBands; b++ {
			x, y := rnMean(rs, func(r rnRun, i int) float64 { return r.FBC[i][b] })
			ser = append(ser, plotting.Series{Name: fmt.Sprintf("band %d", b+1), X: x, Y: y, Color: b + 1})
		}
		if p, err = lines(mt.label, "iteration", "FBC H_b (mean over runs)", ser, plotting.Options{LegendBottom: true}); err != nil {
			return err
		}
		fbc = append(fbc, p)
	}
	if err := e.grid("psnr", "PSNR against the clean image along each run, per network (one line per image and seed).",
		[][]*plot.Plot{psnr}, font.Length(len(st.methods))*panelW, panelH); err != nil {
		return err
	}
	return e.grid("fbc", "Frequency-band correspondence H_b(t) of the output against the noisy target, band 1 lowest, "+
		"mean over the runs of each network.", [][]*plot.Plot{fbc}, font.Length(len(st.methods))*panelW, panelH)
}
