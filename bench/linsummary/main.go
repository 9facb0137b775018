// Command linsummary summarizes the runs of bench/linearized_measure.sh.
//
//	linsummary widths SEEDDIR...      (i): per width, over the seeds' widths.json
//	linsummary optimizer ADAMDIR GDDIR (ii): one seed's Adam and gd runs
//
// widths prints, per width, the half-fit log10 RMS error of the linearized
// and of the infinite-width NTK prediction against the observed network
// (mean and standard deviation over the seed folders), the Spearman
// correlations, eta_eff lambda_max of both NTKs and how many linearized
// models diverged. optimizer compares half-fit iterations per radial bin
// between pairs of models, all censored at the run's last iteration:
// observed Adam against the NTK (fitted clock), observed Adam against the
// linearized Adam, linearized Adam against linearized gd (the optimizer's
// effect) and the linearized gd against the NTK (the width's effect: with
// the gd step's exact clock, and its shape alone, from the NTK curve of the
// Adam run, whose clock is fitted), with
// the Spearman correlation, the RMS log10 ratio over the bins half fitted on
// both sides, the clock ratio (geometric mean ratio) and the shape RMS left
// once the clock is divided out.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/dipgp/dipgp/dip"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 3 {
		log.Fatal("usage: linsummary widths SEEDDIR... | linsummary optimizer ADAMDIR GDDIR")
	}
	var err error
	switch os.Args[1] {
	case "widths":
		err = widths(os.Args[2:])
	case "optimizer":
		if len(os.Args) != 4 {
			log.Fatal("linsummary optimizer needs ADAMDIR and GDDIR")
		}
		err = optimizer(os.Args[2], os.Args[3])
	default:
		err = fmt.Errorf("unknown summary %q: give widths or optimizer", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

// row is the part of a widths.json row read here.
type row struct {
	Width     int `json:"width"`
	Agreement *struct {
		Spearman      dip.Num `json:"spearman"`
		HalfFitLogRMS dip.Num `json:"half_fit_log10_rms"`
	} `json:"agreement"`
	Step *struct {
		EtaLambdaInfinite  dip.Num `json:"eta_lambda_max_infinite"`
		EtaLambdaEmpirical dip.Num `json:"eta_lambda_max_empirical"`
	} `json:"step"`
	Linearized *struct {
		Spearman      dip.Num `json:"spearman"`
		HalfFitLogRMS dip.Num `json:"half_fit_log10_rms"`
		Diverged      bool    `json:"diverged"`
		DepartureIter int     `json:"departure_iter"`
	} `json:"linearized"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// meanSD returns the mean and standard deviation of the finite values and
// their number.
func meanSD(v []float64) (m, sd float64, n int) {
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			m += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	m /= float64(n)
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			sd += (x - m) * (x - m)
		}
	}
	if n > 1 {
		sd = math.Sqrt(sd / float64(n-1))
	} else {
		sd = math.NaN()
	}
	return m, sd, n
}

func widths(dirs []string) error {
	by := map[int][]row{}
	for _, d := range dirs {
		var rows []row
		if err := readJSON(filepath.Join(d, "widths.json"), &rows); err != nil {
			return err
		}
		for _, r := range rows {
			by[r.Width] = append(by[r.Width], r)
		}
	}
	var ws []int
	for w := range by {
		ws = append(ws, w)
	}
	sort.Ints(ws)
	fmt.Println("width,seeds,lin_half_fit_log10_rms_mean,lin_sd,ntk_half_fit_log10_rms_mean,ntk_sd,lin_spearman_mean,ntk_spearman_mean," +
		"eta_lambda_inf_mean,eta_lambda_emp_mean,eta_lambda_emp_sd,lin_diverged,departure_iter_mean")
	for _, w := range ws {
		var lh, nh, ls, ns, ei, ee, dep []float64
		div := 0
		for _, r := range by[w] {
			nan := math.NaN()
			a, b, c, d, e, f := nan, nan, nan, nan, nan, nan
			if r.Linearized != nil {
				a, c = float64(r.Linearized.HalfFitLogRMS), float64(r.Linearized.Spearman)
				if r.Linearized.Diverged {
					div++
				} else if r.Linearized.DepartureIter >= 0 {
					dep = append(dep, float64(r.Linearized.DepartureIter))
				}
			}
			if r.Agreement != nil {
				b, d = float64(r.Agreement.HalfFitLogRMS), float64(r.Agreement.Spearman)
			}
			if r.Step != nil {
				e, f = float64(r.Step.EtaLambdaInfinite), float64(r.Step.EtaLambdaEmpirical)
			}
			lh, nh, ls, ns, ei, ee = append(lh, a), append(nh, b), append(ls, c), append(ns, d), append(ei, e), append(ee, f)
		}
		lm, lsd, _ := meanSD(lh)
		nm, nsd, _ := meanSD(nh)
		lsm, _, _ := meanSD(ls)
		nsm, _, _ := meanSD(ns)
		eim, _, _ := meanSD(ei)
		eem, eesd, _ := meanSD(ee)
		dm, _, _ := meanSD(dep)
		fmt.Printf("%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%d,%s\n", w, len(by[w]), g(lm), g(lsd), g(nm), g(nsd), g(lsm), g(nsm), g(eim), g(eem), g(eesd), div, g(dm))
	}
	return nil
}

func g(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// halves is what one run folder gives: the half-fit iterations per bin.
type halves struct {
	observed, ntk, lin []float64
}

func readHalves(dir string) (halves, error) {
	var ag struct {
		ObservedHalf  []dip.Num `json:"observed_half_fit"`
		PredictedHalf []dip.Num `json:"predicted_half_fit"`
	}
	var la struct {
		PredictedHalf []dip.Num `json:"predicted_half_fit"`
		Diverged      bool      `json:"diverged"`
	}
	if err := readJSON(filepath.Join(dir, "agreement.json"), &ag); err != nil {
		return halves{}, err
	}
	if err := readJSON(filepath.Join(dir, "linearized.json"), &la); err != nil {
		return halves{}, err
	}
	f := func(v []dip.Num) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return halves{f(ag.ObservedHalf), f(ag.PredictedHalf), f(la.PredictedHalf)}, nil
}

// lastIter returns the run's last iteration from dir's summary.json.
func lastIter(dir string) (float64, error) {
	var s struct {
		Iter int `json:"last_iter"`
	}
	if err := readJSON(filepath.Join(dir, "summary.json"), &s); err != nil {
		return 0, err
	}
	return float64(s.Iter), nil
}

func optimizer(adamDir, gdDir string) error {
	ad, err := readHalves(adamDir)
	if err != nil {
		return err
	}
	gd, err := readHalves(gdDir)
	if err != nil {
		return err
	}
	la, err := lastIter(adamDir)
	if err != nil {
		return err
	}
	lg, err := lastIter(gdDir)
	if err != nil {
		return err
	}
	fmt.Println("pair,spearman,bins_both,log10_rms,clock_ratio,shape_log10_rms")
	// The NTK's half-fit iterations come from its exact prediction, not
	// limited by the run: they are not censored (inf).
	inf := math.Inf(1)
	for _, p := range []struct {
		name         string
		a, b         []float64
		lastA, lastB float64
	}{
		{"observed_adam_vs_ntk_fitted_clock", ad.observed, ad.ntk, la, inf},
		{"observed_adam_vs_linearized_adam", ad.observed, ad.lin, la, la},
		{"linearized_adam_vs_linearized_gd", ad.lin, gd.lin, la, lg},
		{"linearized_gd_vs_ntk_gd_exact_clock", gd.lin, gd.ntk, lg, inf},
		{"linearized_gd_vs_ntk_shape", gd.lin, ad.ntk, lg, inf},
		{"observed_gd_vs_ntk_gd_exact_clock", gd.observed, gd.ntk, lg, inf},
		{"observed_gd_vs_linearized_gd", gd.observed, gd.lin, lg, lg},
		{"observed_adam_vs_observed_gd", ad.observed, gd.observed, la, lg},
	} {
		sp, n, rms, clock, shape := pair(p.a, p.b, p.lastA, p.lastB)
		fmt.Printf("%s,%s,%d,%s,%s,%s\n", p.name, g(sp), n, g(rms), g(clock), g(shape))
	}
	return nil
}

// pair compares half-fit iterations a and b per bin, each censored at its
// run's last iteration (beyond it: +Inf, tied last; an NTK prediction is
// given last = +Inf): the Spearman
// correlation, the number of bins half fitted on both sides, the RMS
// log10(a/b) over them, the clock ratio 10^mean log10(a/b) and the RMS of
// log10(a/b) about its mean (the shape gap once the clock is divided out).
func pair(a, b []float64, lastA, lastB float64) (sp float64, n int, rms, clock, shape float64) {
	ca, cb := make([]float64, len(a)), make([]float64, len(a))
	var l []float64
	for i := range a {
		ca[i], cb[i] = a[i], b[i]
		if !(ca[i] <= lastA) {
			ca[i] = math.Inf(1)
		}
		if !(cb[i] <= lastB) {
			cb[i] = math.Inf(1)
		}
		if !math.IsInf(ca[i], 0) && !math.IsInf(cb[i], 0) && ca[i] > 0 && cb[i] > 0 {
			l = append(l, math.Log10(ca[i]/cb[i]))
		}
	}
	n = len(l)
	if n == 0 {
		return dip.Spearman(ca, cb), 0, math.NaN(), math.NaN(), math.NaN()
	}
	var m, s2 float64
	for _, v := range l {
		m += v
		s2 += v * v
	}
	m /= float64(n)
	rms = math.Sqrt(s2 / float64(n))
	shape = math.Sqrt(math.Max(s2/float64(n)-m*m, 0))
	return dip.Spearman(ca, cb), n, rms, math.Pow(10, m), shape
}
