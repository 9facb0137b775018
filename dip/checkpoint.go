package dip

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/nn"
)

// A checkpoint is a folder:
//
//	state.json    iteration, counters, best values and the run's key
//	net/          the parameters and batch norm buffers (nn's .npy layout)
//	optim/        optimizer state, one .npy per array (Adam: <param>.exp_avg
//	              and <param>.exp_avg_sq, as in PyTorch's state_dict)
//	start.npy     f_0; last.npy the last output; avg.npy, mean.npy (sum of
//	              the samples after burn-in) and best.npy when present
//	metrics.csv   the measurements so far, full precision
//
// It is written to "<folder>.tmp" and then swapped in, the previous one
// kept as "<folder>.old" until the swap is done, so an interruption at any
// moment leaves a complete checkpoint.

const checkpointVersion = 1

var errNoCheckpoint = errors.New("dip: no checkpoint")

// runKey is what must match for a run to be resumed.
type runKey struct {
	Arch        json.RawMessage `json:"arch"`
	W, H, C     int
	Task        Task
	Sigma       float64
	Data        string `json:"data"` // hash of the clean image, target and mask
	Opt         Optimizer
	Seed        uint64
	RegNoise    float64
	ExpAvg      float64
	BurnIn      int
	SampleEvery int
	Every       int
	SumLoss     bool `json:",omitempty"`
	PixelBatch  int  `json:",omitempty"`
	Bins        int
}

type stateFile struct {
	Version   int     `json:"version"`
	Iter      int     `json:"iter"`
	Samples   int     `json:"samples"`
	Best      Best    `json:"best"`
	BestAvg   Best    `json:"best_average"`
	TrainSec  float64 `json:"train_seconds"`
	MeasSec   float64 `json:"measure_seconds"`
	NetSec    float64 `json:"net_seconds"`
	StepCount int     `json:"steps_timed"`
	OptSteps  int     `json:"optimizer_steps"`
	Key       runKey  `json:"key"`
}

func dataHash(p Problem) string {
	h := fnv.New64a()
	var b [8]byte
	for _, img := range [...][]float64{p.Clean.Pix, p.Target.Pix} {
		for _, v := range img {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	for _, m := range p.Mask {
		if m {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

func keyOf(cfg Config) (runKey, error) {
	aj, err := cfg.Arch.MarshalJSON()
	if err != nil {
		return runKey{}, err
	}
	img := cfg.Problem.Target
	return runKey{
		Arch: aj, W: img.W, H: img.H, C: img.C, Task: cfg.Problem.Task, Sigma: cfg.Problem.Sigma,
		Data: dataHash(cfg.Problem), Opt: cfg.Opt, Seed: cfg.Seed, RegNoise: cfg.RegNoise, ExpAvg: cfg.ExpAvg,
		BurnIn: cfg.BurnIn, SampleEvery: cfg.SampleEvery, Every: cfg.Every, Bins: cfg.Bins, SumLoss: cfg.SumLoss, PixelBatch: cfg.PixelBatch,
	}, nil
}

// diffKeys names the first field in which two keys differ.
func diffKeys(a, b runKey) string {
	var ma, mb map[string]json.RawMessage
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var names []string
	for k := range ma {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !bytes.Equal(compactJSON(ma[k]), compactJSON(mb[k])) {
			return fmt.Sprintf("%s (checkpoint %s, now %s)", k, short(ma[k]), short(mb[k]))
		}
	}
	return ""
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

func short(b []byte) string {
	s := string(compactJSON(b))
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func writeCheckpoint(cfg Config, st *state) error {
	dir := filepath.Clean(cfg.Checkpoint)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("dip: checkpoint: %v", err)
	}
	if err := writeCheckpointFiles(tmp, cfg, st); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("dip: writing checkpoint %s: %v", dir, err)
	}
	old := dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("dip: checkpoint: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("dip: checkpoint: %v", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("dip: checkpoint: %v", err)
	}
	return os.RemoveAll(old)
}

func writeCheckpointFiles(dir string, cfg Config, st *state) error {
	if err := os.MkdirAll(filepath.Join(dir, "optim"), 0o755); err != nil {
		return err
	}
	if err := st.net.Save(filepath.Join(dir, "net")); err != nil {
		return err
	}
	arrays, steps := st.opt.state()
	for name, a := range arrays {
		if err := npy.WriteFloat32(filepath.Join(dir, "optim", name+".npy"), []int{len(a)}, a); err != nil {
			return err
		}
	}
	vecs := map[string][]float64{"start": st.start, "last": st.last, "avg": st.avg, "mean": st.mean, "best": st.bestOut}
	for name, v := range vecs {
		if v == nil {
			continue
		}
		if err := npy.WriteFloat64(filepath.Join(dir, name+".npy"), []int{len(v)}, v); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := WriteMetrics(&buf, st.ms, cfg.Bins); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "metrics.csv"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	key, err := keyOf(cfg)
	if err != nil {
		return err
	}
	sf := stateFile{Version: checkpointVersion, Iter: st.iter, Samples: st.samples, Best: st.best, BestAvg: st.bestAvg,
		TrainSec: st.trainSec, MeasSec: st.measSec, NetSec: st.netSec, StepCount: st.stepCount, OptSteps: steps, Key: key}
	js, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "state.json"), append(js, '\n'), 0o644)
}

// readCheckpoint loads the checkpoint of cfg, or errNoCheckpoint when there
// is none.
func readCheckpoint(cfg Config) (*state, error) {
	dir := filepath.Clean(cfg.Checkpoint)
	if _, err := os.Stat(filepath.Join(dir, "state.json")); errors.Is(err, fs.ErrNotExist) {
		old := dir + ".old"
		if _, err := os.Stat(filepath.Join(old, "state.json")); err != nil {
			return nil, errNoCheckpoint
		}
		dir = old
	}
	js, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, fmt.Errorf("dip: reading checkpoint: %v", err)
	}
	var sf stateFile
	if err := json.Unmarshal(js, &sf); err != nil {
		return nil, fmt.Errorf("dip: checkpoint %s/state.json is damaged (%v); delete the folder to start afresh", dir, err)
	}
	if sf.Version != checkpointVersion {
		return nil, fmt.Errorf("dip: checkpoint %s has version %d, this program writes %d; delete it to start afresh", dir, sf.Version, checkpointVersion)
	}
	key, err := keyOf(cfg)
	if err != nil {
		return nil, err
	}
	if d := diffKeys(sf.Key, key); d != "" {
		return nil, fmt.Errorf("dip: the checkpoint in %s is of another run: %s differs; resume with the same settings or use another output folder", dir, d)
	}
	if sf.Iter > cfg.Iters {
		return nil, fmt.Errorf("dip: the checkpoint in %s is at iteration %d, beyond the %d iterations asked; give --iters %d or more", dir, sf.Iter, cfg.Iters, sf.Iter)
	}
	size, err := gridSize(cfg.Arch, cfg.Problem.Target)
	if err != nil {
		return nil, err
	}
	net, err := nn.Load(cfg.Arch, size, filepath.Join(dir, "net"))
	if err != nil {
		return nil, fmt.Errorf("dip: checkpoint: %w", err)
	}
	st := &state{iter: sf.Iter, net: net, samples: sf.Samples, best: sf.Best, bestAvg: sf.BestAvg,
		trainSec: sf.TrainSec, measSec: sf.MeasSec, netSec: sf.NetSec, stepCount: sf.StepCount}
	st.opt = newStepper(cfg.Opt, net.Params(), cfg.Seed, cfg.Arch)
	arrays := map[string][]float32{}
	ents, err := os.ReadDir(filepath.Join(dir, "optim"))
	if err != nil {
		return nil, fmt.Errorf("dip: checkpoint: %v", err)
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".npy")
		if !ok {
			continue
		}
		_, a, err := npy.ReadFloat32(filepath.Join(dir, "optim", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("dip: checkpoint: %v", err)
		}
		arrays[name] = a
	}
	if err := st.opt.setState(arrays, sf.OptSteps); err != nil {
		return nil, err
	}
	n := len(cfg.Problem.Target.Pix)
	for name, dst := range map[string]*[]float64{"start": &st.start, "last": &st.last, "avg": &st.avg, "mean": &st.mean, "best": &st.bestOut} {
		path := filepath.Join(dir, name+".npy")
		_, v, err := npy.ReadFloat64(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("dip: checkpoint: %v", err)
		}
		if len(v) != n {
			return nil, fmt.Errorf("dip: checkpoint %s holds %d values for an image of %d", path, len(v), n)
		}
		*dst = v
	}
	if st.start == nil {
		return nil, fmt.Errorf("dip: checkpoint %s lacks start.npy; delete it to start afresh", dir)
	}
	f, err := os.Open(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		return nil, fmt.Errorf("dip: checkpoint: %v", err)
	}
	defer f.Close()
	if st.ms, err = ReadMetrics(f); err != nil {
		return nil, fmt.Errorf("dip: checkpoint %s/metrics.csv: %v", dir, err)
	}
	return st, nil
}

// MetricsHeader returns the column names of the metrics table for the
// given number of radial bins: iter, loss, psnr, psnr_target, psnr_avg,
// psnr_mean, seconds, fbc1..fbc5, ratio0..ratio{bins-1}.
func MetricsHeader(bins int) []string {
	h := []string{"iter", "loss", "psnr", "psnr_target", "psnr_avg", "psnr_mean", "seconds"}
	for b := 1; b <= FBCBands; b++ {
		h = append(h, fmt.Sprintf("fbc%d", b))
	}
	for k := 0; k < bins; k++ {
		h = append(h, fmt.Sprintf("ratio%d", k))
	}
	return h
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// MetricsRow returns a measurement as a row of the metrics table (full
// precision; NaN where a value does not exist).
func MetricsRow(m Measurement) []string {
	r := []string{strconv.Itoa(m.Iter), fmtF(m.Loss), fmtF(m.PSNR), fmtF(m.PSNRTarget), fmtF(m.PSNRAvg), fmtF(m.PSNRMean), fmtF(m.Seconds)}
	for _, v := range m.FBC {
		r = append(r, fmtF(v))
	}
	for _, v := range m.Ratio {
		r = append(r, fmtF(v))
	}
	return r
}

// WriteMetrics writes the measurements as CSV with MetricsHeader.
func WriteMetrics(w io.Writer, ms []Measurement, bins int) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(MetricsHeader(bins)); err != nil {
		return err
	}
	for _, m := range ms {
		if err := cw.Write(MetricsRow(m)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadMetrics reads a table written by WriteMetrics.
func ReadMetrics(r io.Reader) ([]Measurement, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || len(rows[0]) < 7+FBCBands || rows[0][0] != "iter" {
		return nil, errors.New("not a metrics table (the header must start with iter, loss, psnr, ...)")
	}
	bins := len(rows[0]) - 7 - FBCBands
	var ms []Measurement
	for i, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			return nil, fmt.Errorf("row %d has %d columns, the header %d", i+2, len(row), len(rows[0]))
		}
		var m Measurement
		v := make([]float64, len(row))
		for j, s := range row {
			if v[j], err = strconv.ParseFloat(s, 64); err != nil {
				return nil, fmt.Errorf("row %d, column %s: %v", i+2, rows[0][j], err)
			}
		}
		m.Iter = int(v[0])
		m.Loss, m.PSNR, m.PSNRTarget, m.PSNRAvg, m.PSNRMean, m.Seconds = v[1], v[2], v[3], v[4], v[5], v[6]
		m.FBC = append([]float64(nil), v[7:7+FBCBands]...)
		m.Ratio = append([]float64(nil), v[7+FBCBands:7+FBCBands+bins]...)
		ms = append(ms, m)
	}
	return ms, nil
}
