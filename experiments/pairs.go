package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/dipgp/dipgp/internal/atomicfile"
)

// pair is one (image, seed) cell of a table over images and seeds: the unit
// of work that Config.Shard splits and Config.MergeFrom merges.
type pair struct {
	image string
	seed  int
}

// pairsOf returns every (image, seed) pair, images outermost.
func pairsOf(images []string, seeds int) []pair {
	var ps []pair
	for _, im := range images {
		for s := 0; s < seeds; s++ {
			ps = append(ps, pair{im, s})
		}
	}
	return ps
}

// unitRun is a tableRun as stored in a shard's unit file; a NaN value is
// stored as null.
type unitRun struct {
	Image    string   `json:"image"`
	Method   string   `json:"method"`
	Seed     int      `json:"seed"`
	Best     *float64 `json:"best"`
	BestIter int      `json:"best_iter"`
	Final    *float64 `json:"final"`
	Smoothed *float64 `json:"smoothed"`
	AtPaper  *float64 `json:"at_paper"`
	AtAvg    *float64 `json:"at_paper_avg"`
}

// unitFile is what one pair writes under units/ when the run is sharded.
type unitFile struct {
	Experiment string    `json:"experiment"`
	Mode       string    `json:"mode"`
	Seed       uint64    `json:"seed"`
	Iters      int       `json:"iters"`
	Image      string    `json:"image"`
	PairSeed   int       `json:"pair_seed"`
	Runs       []unitRun `json:"runs"`
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func (e *env) unitName(i int) string { return fmt.Sprintf("pair%04d.json", i) }

// runPairs runs f on each pair and returns the runs in pair order. Sharded
// (Config.Shards > 1), it runs the pairs i with i mod Shards == Shard,
// writes each one's runs under NAME/units/ and returns done = false: the
// table is made by the merge. Merging (Config.MergeFrom), it reads every
// pair's runs from the shards' folders instead of training, and fails when
// one is missing or was run with other settings.
func (e *env) runPairs(ps []pair, iters int, f func(pair) ([]tableRun, error)) (runs []tableRun, done bool, err error) {
	if len(e.cfg.MergeFrom) > 0 {
		for i, p := range ps {
			rs, err := e.readUnit(i, p, iters)
			if err != nil {
				return nil, false, err
			}
			runs = append(runs, rs...)
		}
		return runs, true, nil
	}
	sharded := e.cfg.Shards > 1
	for i, p := range ps {
		if sharded && i%e.cfg.Shards != e.cfg.Shard {
			continue
		}
		rs, err := f(p)
		if err != nil {
			return runs, false, err
		}
		runs = append(runs, rs...)
		if sharded {
			if err := e.writeUnit(i, p, iters, rs); err != nil {
				return runs, false, err
			}
		}
		if err := e.step(fmt.Sprintf("%s, seed %d", p.image, p.seed)); err != nil {
			return runs, false, err
		}
	}
	return runs, !sharded, nil
}

func (e *env) writeUnit(i int, p pair, iters int, rs []tableRun) error {
	u := unitFile{Experiment: e.x.Name, Mode: e.cfg.Mode.String(), Seed: e.cfg.Seed, Iters: iters, Image: p.image, PairSeed: p.seed}
	for _, r := range rs {
		u.Runs = append(u.Runs, unitRun{Image: r.image, Method: r.method, Seed: r.seed, Best: ptr(r.best), BestIter: r.bestIter,
			Final: ptr(r.final), Smoothed: ptr(r.smoothed), AtPaper: ptr(r.atPaper), AtAvg: ptr(r.atPaperAvg)})
	}
	return e.writeUnitFile(e.unitName(i), u)
}

// writeUnitFile writes a shard's unit v as indented JSON to
// OUT/NAME/units/name, atomically (an interrupt leaves the old file or the
// new one, never a part).
func (e *env) writeUnitFile(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(e.dir, "units")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644)
}

// readUnitFile reads the unit called name from the first shard folder of
// Config.MergeFrom that holds it into v, and returns its path; "" and no
// error when no shard holds it.
func (e *env) readUnitFile(name string, v any) (string, error) {
	for _, d := range e.cfg.MergeFrom {
		path := filepath.Join(d, e.x.Name, "units", name)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return "", fmt.Errorf("%s: %v", path, err)
		}
		return path, nil
	}
	return "", nil
}

func (e *env) readUnit(i int, p pair, iters int) ([]tableRun, error) {
	name := e.unitName(i)
	var u unitFile
	path, err := e.readUnitFile(name, &u)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("no shard holds %s (image %s, seed %d) of %s: a shard is missing or did not finish; run it and merge again",
			name, p.image, p.seed, e.x.Name)
	}
	if u.Experiment != e.x.Name || u.Mode != e.cfg.Mode.String() || u.Seed != e.cfg.Seed || u.Iters != iters ||
		u.Image != p.image || u.PairSeed != p.seed {
		return nil, fmt.Errorf("%s holds %s, %s mode, seed %d, %d iterations, image %s seed %d; this merge expects %s, %s mode, "+
			"seed %d, %d iterations, image %s seed %d: the shards were run with other settings (mode, --seed, --iters)",
			path, u.Experiment, u.Mode, u.Seed, u.Iters, u.Image, u.PairSeed, e.x.Name, e.cfg.Mode, e.cfg.Seed, iters, p.image, p.seed)
	}
	var rs []tableRun
	for _, r := range u.Runs {
		rs = append(rs, tableRun{image: r.Image, method: r.Method, seed: r.Seed, best: val(r.Best), bestIter: r.BestIter,
			final: val(r.Final), smoothed: val(r.Smoothed), atPaper: val(r.AtPaper), atPaperAvg: val(r.AtAvg)})
	}
	return rs, nil
}

// numUnit is what one unit of a sharded experiment other than the tables
// (an (image, seed) pair of spectral-lowpass, a run of denoise-sgld, ...)
// writes under units/: its named numbers, NaN stored as null.
type numUnit struct {
	Experiment string                `json:"experiment"`
	Mode       string                `json:"mode"`
	Seed       uint64                `json:"seed"`
	Iters      int                   `json:"iters"`
	Key        string                `json:"key"`
	Numbers    map[string]*float64   `json:"numbers"`
	Series     map[string][]*float64 `json:"series,omitempty"`
}

// unitData is what a unit of runUnits returns: named numbers and named
// series (curves along a run); NaN values are kept.
type unitData struct {
	Numbers map[string]float64
	Series  map[string][]float64
}

// runUnits runs f on the units named by keys (unit i is f(i)) and returns
// their numbers in unit order, as runPairs does for the tables: sharded, it
// runs the units i with i mod Shards == Shard, writes each one's numbers
// under NAME/units/ and returns done = false; merging, it reads every
// unit's numbers from the shards' folders instead, and fails when one is
// missing or was run with other settings (mode, seed, iterations, key).
func (e *env) runUnits(keys []string, iters int, f func(i int) (unitData, error)) (out []unitData, done bool, err error) {
	if len(e.cfg.MergeFrom) > 0 {
		for i, k := range keys {
			v, err := e.readNumUnit(i, k, iters)
			if err != nil {
				return nil, false, err
			}
			out = append(out, v)
		}
		return out, true, nil
	}
	sharded := e.cfg.Shards > 1
	for i, k := range keys {
		if sharded && i%e.cfg.Shards != e.cfg.Shard {
			continue
		}
		v, err := f(i)
		if err != nil {
			return out, false, err
		}
		out = append(out, v)
		if sharded {
			if err := e.writeNumUnit(i, k, iters, v); err != nil {
				return out, false, err
			}
		}
	}
	return out, !sharded, nil
}

func numUnitName(i int) string { return fmt.Sprintf("unit%04d.json", i) }

func (e *env) writeNumUnit(i int, key string, iters int, v unitData) error {
	u := numUnit{Experiment: e.x.Name, Mode: e.cfg.Mode.String(), Seed: e.cfg.Seed, Iters: iters, Key: key, Numbers: map[string]*float64{}}
	for k, x := range v.Numbers {
		u.Numbers[k] = ptr(x)
	}
	if len(v.Series) > 0 {
		u.Series = map[string][]*float64{}
		for k, xs := range v.Series {
			ps := make([]*float64, len(xs))
			for j, x := range xs {
				ps[j] = ptr(x)
			}
			u.Series[k] = ps
		}
	}
	return e.writeUnitFile(numUnitName(i), u)
}

func (e *env) readNumUnit(i int, key string, iters int) (unitData, error) {
	name := numUnitName(i)
	var u numUnit
	path, err := e.readUnitFile(name, &u)
	if err != nil {
		return unitData{}, err
	}
	if path == "" {
		return unitData{}, fmt.Errorf("no shard holds %s (unit %q) of %s: a shard is missing or did not finish; run it and merge again", name, key, e.x.Name)
	}
	if u.Experiment != e.x.Name || u.Mode != e.cfg.Mode.String() || u.Seed != e.cfg.Seed || u.Iters != iters || u.Key != key {
		return unitData{}, fmt.Errorf("%s holds %s, %s mode, seed %d, %d iterations, unit %q; this merge expects %s, %s mode, seed %d, "+
			"%d iterations, unit %q: the shards were run with other settings (mode, --seed, --iters)",
			path, u.Experiment, u.Mode, u.Seed, u.Iters, u.Key, e.x.Name, e.cfg.Mode, e.cfg.Seed, iters, key)
	}
	v := unitData{Numbers: map[string]float64{}, Series: map[string][]float64{}}
	for k, p := range u.Numbers {
		v.Numbers[k] = val(p)
	}
	for k, ps := range u.Series {
		xs := make([]float64, len(ps))
		for j, p := range ps {
			xs[j] = val(p)
		}
		v.Series[k] = xs
	}
	return v, nil
}
