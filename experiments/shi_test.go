package experiments

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dipgp/dipgp/dip"
)

// TestShiStats checks the rank correlation, its per-pair version and the
// band speed against values computed by hand.
func TestShiStats(t *testing.T) {
	// Without the NaN pair: x ranks 1..5, y ranks 1 3 2 5 4, sum d^2 = 4,
	// rho = 1 - 6 * 4 / (5 * 24) = 0.8.
	if got := spearmanFinite([]float64{0.1, 0.2, math.NaN(), 0.3, 0.4, 0.5}, []float64{1, 3, 9, 2, 5, 4}); math.Abs(got-0.8) > 1e-12 {
		t.Errorf("spearmanFinite = %v, want 0.8", got)
	}
	// Ties: y ranks 1.5 1.5 3 4, Pearson with 1 2 3 4 is 4.5 / sqrt(5 * 4.5).
	if got, want := spearmanFinite([]float64{1, 2, 3, 4}, []float64{1, 1, 2, 3}), 3/math.Sqrt(10); math.Abs(got-want) > 1e-12 {
		t.Errorf("spearmanFinite with ties = %v, want %v", got, want)
	}
	if got := spearmanFinite([]float64{1, math.Inf(1), 3}, []float64{1, 2, 3}); !math.IsNaN(got) {
		t.Errorf("spearmanFinite of 2 finite pairs = %v, want NaN", got)
	}
	// Half-power frequencies equal up to rounding tie after roundSig: one
	// distinct value, so no correlation (NaN) rather than a spurious one.
	hp := []float64{0.048161249444248065, 0.048161249444248086, 0.04816124944424811}
	for i := range hp {
		hp[i] = roundSig(hp[i], 6)
	}
	if got := spearmanFinite(hp, []float64{1, 2, 3}); !math.IsNaN(got) {
		t.Errorf("spearmanFinite of rounded equal predictions = %v, want NaN", got)
	}
	want := -(math.Log(10) + math.Log(100) + math.Log(200)) / 3
	if got := bandSpeed([]float64{10, 100, math.Inf(1)}, 200); math.Abs(got-want) > 1e-12 {
		t.Errorf("bandSpeed = %v, want %v", got, want)
	}
	// Pair (0, 0): speeds rise with the prediction (rho 1); pair (0, 1):
	// they fall (rho -1); pair (1, 0) lacks a setting and is left out.
	sw := &shiSweep{}
	for s, sp := range [][]float64{{1, 3}, {2, 2}, {3, 1}} {
		for sd, v := range sp {
			sw.runs = append(sw.runs, shiRunRow{setting: s, seed: sd, speed: v})
		}
	}
	sw.runs = append(sw.runs, shiRunRow{setting: 0, image: 1, speed: 5})
	rho := shiPairRho(sw, []float64{0.1, 0.2, 0.3}, func(r shiRunRow) float64 { return r.speed })
	if len(rho) != 2 || math.Abs(rho[0]-1) > 1e-12 || math.Abs(rho[1]+1) > 1e-12 {
		t.Errorf("shiPairRho = %v, want [1 -1]", rho)
	}
}

// TestShiCancel cancels shi-controls in the middle of a training run and
// checks that it returns
// promptly with an error wrapping context.Canceled, leaving a report
// marked interrupted and complete CSV files.
func TestShiCancel(t *testing.T) {
	x, err := Lookup("shi-controls")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"iteration 30/60"} {
		out := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		var tc time.Time
		runs := 0
		progress := func(done, total int, msg string) {
			if strings.Contains(msg, "seed 1") {
				runs++
			}
			if tc.IsZero() && runs >= 1 && strings.Contains(msg, at) {
				tc = time.Now()
				cancel()
			}
		}
		res, err := x.Run(ctx, Config{Out: out, Mode: Tiny, Seed: 1, Progress: progress})
		cancel()
		if tc.IsZero() {
			t.Fatalf("cancel at %q: the run never got there (error %v)", at, err)
		}
		if d := time.Since(tc); d > 2*time.Second {
			t.Errorf("cancel at %q: returned %v after the cancel, want under 2 s", at, d)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancel at %q: error %v, want one wrapping context.Canceled", at, err)
		}
		dir := filepath.Join(out, x.Name)
		rep, rerr := os.ReadFile(filepath.Join(dir, "report.md"))
		if rerr != nil || !strings.Contains(string(rep), "INTERRUPTED") {
			t.Errorf("cancel at %q: report.md not marked interrupted (%v)", at, rerr)
		}
		for name, cols := range map[string]int{"kernel.csv": 6, "runs.csv": len(shiRunHeader)} {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("cancel at %q: %v", at, err)
				continue
			}
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(rows) < 2 || len(rows[0]) != cols {
				t.Errorf("cancel at %q: %s has %d rows (error %v), want a header and rows of %d columns", at, name, len(rows), err, cols)
			}
		}
		// The sweep's numbers rebuilt from the files are the report's.
		all := shiSettings()
		sw, err := readShiSweep(dir, []shiSetting{all[0], all[3], all[7]})
		if err != nil {
			t.Fatalf("cancel at %q: %v", at, err)
		}
		if len(sw.kernels) != 3 || len(sw.runs) == 0 {
			t.Fatalf("cancel at %q: read back %d kernels and %d runs, want 3 and some", at, len(sw.kernels), len(sw.runs))
		}
		r := sw.runs[0]
		if got, want := res.Numbers["band_speed_none"], bandSpeed(r.halfBand[:], 120); math.Abs(got-want) > 1e-12 {
			t.Errorf("cancel at %q: band speed of the first run rebuilt from runs.csv %v, report %v", at, want, got)
		}
		if got := res.Numbers["decline_db_none"]; math.Abs(got-(r.best-r.final)) > 1e-12 {
			t.Errorf("cancel at %q: decline from runs.csv %v, report %v", at, r.best-r.final, got)
		}
	}
}

// TestShiStoppingCancel cancels shi-stopping in the second image's
// training and checks the report marked interrupted, stopping.csv with the
// first image's runs, and the report's numbers recomputed from that file.
func TestShiStoppingCancel(t *testing.T) {
	x, err := Lookup("shi-stopping")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var tc time.Time
	progress := func(done, total int, msg string) {
		if tc.IsZero() && strings.Contains(msg, "House") && strings.Contains(msg, "iteration 30/60") {
			tc = time.Now()
			cancel()
		}
	}
	res, err := x.Run(ctx, Config{Out: out, Mode: Tiny, Seed: 1, Progress: progress})
	if tc.IsZero() {
		t.Fatalf("the run never reached the second image (error %v)", err)
	}
	if d := time.Since(tc); d > 2*time.Second {
		t.Errorf("returned %v after the cancel, want under 2 s", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one wrapping context.Canceled", err)
	}
	dir := filepath.Join(out, x.Name)
	rep, rerr := os.ReadFile(filepath.Join(dir, "report.md"))
	if rerr != nil || !strings.Contains(string(rep), "INTERRUPTED") {
		t.Errorf("report.md not marked interrupted (%v)", rerr)
	}
	rows, err := readCSVFile(filepath.Join(dir, "stopping.csv"), len(shiStopHeader))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("stopping.csv has %d rows, want the first image's 2 (adam, gd)", len(rows))
	}
	for _, r := range rows {
		v, err := parseNums(r[3:])
		if err != nil {
			t.Fatal(err)
		}
		// oracle_iter oracle_psnr shi_iter shi_fired shi_psnr kernel_iter kernel_psnr kernel_best_iter
		if v[1] < v[4] || (!math.IsNaN(v[6]) && v[1] < v[6]) {
			t.Errorf("%s: the oracle %v is below a rule's PSNR (Shi %v, kernel %v)", r[2], v[1], v[4], v[6])
		}
		if got := res.Numbers["psnr_lost_shi_mean_"+r[2]]; math.Abs(got-(v[1]-v[4])) > 1e-12 {
			t.Errorf("%s: PSNR lost by Shi's rule %v, want %v from stopping.csv", r[2], got, v[1]-v[4])
		}
		if got := res.Numbers["runs_"+r[2]]; got != 1 {
			t.Errorf("%s: %v runs reported, want 1", r[2], got)
		}
	}
}

// TestShiRunUnitRoundTrip writes a sweep run as a shard's unit file and
// reads it back as a merge does: every field the report uses survives,
// the +Inf of a band never half fitted included.
func TestShiRunUnitRoundTrip(t *testing.T) {
	tmp := t.TempDir()
	x := Experiment{Name: "shi-controls"}
	e := newEnv(context.Background(), Config{Mode: Tiny, Seed: 2}, x, filepath.Join(tmp, x.Name))
	r := shiRunRow{setting: 1, image: 2, seed: 1, bestIter: 40, best: 28.5, final: 25.25, decline: 3.25, speed: -3.5,
		halfBand: [dip.FBCBands]float64{3, 10.5, 44, math.Inf(1), math.Inf(1)}, fbcFinal: [dip.FBCBands]float64{0.9, 0.7, 0.5, 0.3, 0.1},
		psnrX: []float64{0, 3, 6}, psnrY: []float64{10, 20, 25.25},
		obsFBC:  []dip.Measurement{{Iter: 3, FBC: []float64{0.1, 0.2, 0.3, 0.4, 0.5}}},
		predFBC: []dip.Measurement{{Iter: 3, FBC: []float64{0.5, 0.4, 0.3, 0.2, 0.1}}, {Iter: 6, FBC: []float64{1, 1, 1, 1, 1}}}}
	if err := e.writeNumUnit(7, "k", 60, shiRunUnit(r)); err != nil {
		t.Fatal(err)
	}
	e.cfg.MergeFrom = []string{tmp}
	u, err := e.readNumUnit(7, "k", 60)
	if err != nil {
		t.Fatal(err)
	}
	got := shiRunOf(u, shiNet{iters: 60}, 1, 2, 1)
	if !reflect.DeepEqual(got, r) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, r)
	}
}
