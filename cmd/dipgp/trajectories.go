package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
)

func init() {
	register("trajectories", "Train two networks from independent initializations on the same target and plot the distance between their outputs over iterations (Chakrabarty and Maji).", &trajectoriesCmd{})
}

type trajectoriesCmd struct {
	dipRunFlags
	Seed2 uint64 `help:"Seed of the second run (0: --seed + 1)." name:"seed2"`
	Out   string `help:"Output folder." default:"out/trajectories"`
	JSON  bool   `help:"Print the summary as JSON on stdout." name:"json"`
}

func (c *trajectoriesCmd) Help() string {
	return "Runs 'dipgp train' twice on the same target (same noise or mask, --data-seed) with network seeds --seed and --seed2, in " +
		"run1/ and run2/ (each with everything train writes, including outputs/ with the output at every measured iteration as .npy), " +
		"and writes trajectories.csv (iteration, SSE(t) = sum over pixels of (f1_t - f2_t)^2, the PSNR of each run), trajectories.png " +
		"and summary.json. A 1-D architecture (dims=1) fits a signal (--signal, or a synthetic one of --size samples) as train does. " +
		"For gd and sgld on fit or denoise the NTK's prediction ||(1 - eta_eff Theta)^t (f1_0 - f2_0)||^2 is added " +
		"(dashed). --resume continues both runs."
}

// dipTrajectorySummary is trajectories' summary.json.
type dipTrajectorySummary struct {
	Arch      string      `json:"arch"`
	Image     string      `json:"image"`
	Task      string      `json:"task"`
	Optimizer string      `json:"optimizer"`
	Seeds     [2]uint64   `json:"seeds"`
	Iters     []int       `json:"iters"`
	SSE       []dip.Num   `json:"sse"`
	SSENTK    []dip.Num   `json:"sse_ntk,omitempty"`
	Start     dip.Num     `json:"sse_start"`
	Final     dip.Num     `json:"sse_final"`
	Min       dip.Num     `json:"sse_min"`
	MinIter   int         `json:"sse_min_iter"`
	Best      [2]dip.Best `json:"best"`
	Complete  bool        `json:"complete"`
	Notes     []string    `json:"notes,omitempty"`
}

func (c *trajectoriesCmd) Run(ctx context.Context, g *Globals) error {
	if err := prepareOut(c.Out, g, c.Resume, c.Image, c.Signal, c.Mask, c.Arch); err != nil {
		return err
	}
	seeds := [2]uint64{c.Seed, c.Seed2}
	if seeds[1] == 0 {
		seeds[1] = c.Seed + 1
	}
	if seeds[0] == seeds[1] {
		return fmt.Errorf("--seed and --seed2 are both %d; the runs need independent initializations", seeds[0])
	}
	var setups [2]*dipSetup
	var results [2]dip.Result
	for r := 0; r < 2; r++ {
		f := c.dipRunFlags
		f.Seed = seeds[r]
		if r == 1 {
			f.LR = setups[0].cfg.Opt.LR // chosen from the kernel for run 1
		}
		out := filepath.Join(c.Out, fmt.Sprintf("run%d", r+1))
		s, err := f.setup(ctx, out, r == 0 && (f.Opt == "gd" || f.Opt == "sgld"))
		if err != nil {
			return err
		}
		if r == 1 {
			s.kern = setups[0].kern
		}
		setups[r] = s
		if err := os.MkdirAll(filepath.Join(out, "outputs"), 0o755); err != nil {
			return err
		}
		res, runErr := dipTrainSaving(ctx, g, s, out, fmt.Sprintf("run %d (seed %d)", r+1, seeds[r]))
		if res.Start.Pix != nil {
			if err := dipWriteOutputs(out, s, res, nil, dipSummarize(s, res, nil)); err != nil {
				return errors.Join(runErr, err)
			}
		}
		if runErr != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(os.Stderr, "dipgp: interrupted in run %d; continue with --resume\n", r+1)
			}
			return runErr
		}
		results[r] = res
	}
	sum, err := c.distances(setups, results, seeds)
	if err != nil {
		return err
	}
	if c.JSON {
		b, _ := json.MarshalIndent(sum, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "architecture\t%s, %s, %s\n", sum.Arch, sum.Optimizer, sum.Task)
	fmt.Fprintf(tw, "seeds\t%d and %d\n", seeds[0], seeds[1])
	fmt.Fprintf(tw, "SSE(t)\tstart %.4g, minimum %.4g at iteration %d, final %.4g\n", sum.Start, sum.Min, sum.MinIter, sum.Final)
	fmt.Fprintf(tw, "best PSNR\trun 1: %.2f dB at %d, run 2: %.2f dB at %d\n", sum.Best[0].PSNR, sum.Best[0].Iter, sum.Best[1].PSNR, sum.Best[1].Iter)
	tw.Flush()
	for _, n := range sum.Notes {
		fmt.Println(n)
	}
	return nil
}

// dipTrainSaving is dipTrain that also saves every measured output.
func dipTrainSaving(ctx context.Context, g *Globals, s *dipSetup, out, label string) (dip.Result, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return dip.Result{}, err
	}
	for _, n := range s.notes {
		fmt.Fprintln(os.Stderr, "dipgp:", n)
	}
	mw, err := newDipMetricsWriter(out, s.cfg)
	if err != nil {
		return dip.Result{}, err
	}
	prog := newProgress(g)
	bar := prog.Bar(label, int64(s.cfg.Iters))
	obs := func(e dip.Event) error {
		m := e.Measurement
		bar.Set(int64(m.Iter), int64(s.cfg.Iters))
		bar.SetMessage(fmt.Sprintf("PSNR %.2f dB", m.PSNR))
		if !e.Restored {
			if err := dipSaveOutputNPY(filepath.Join(out, "outputs", fmt.Sprintf("output_%06d.npy", m.Iter)), e.Output); err != nil {
				return err
			}
		}
		return mw.event(e)
	}
	res, err := dip.Train(ctx, s.cfg, obs)
	bar.Done()
	prog.Wait()
	return res, errors.Join(err, mw.close())
}

func dipLoadOutput(path string, like imageio.Image) (imageio.Image, error) {
	shape, v, err := npy.ReadFloat64(path)
	if err != nil {
		return imageio.Image{}, err
	}
	if len(shape) != 3 || shape[0] != like.C || shape[1] != like.H || shape[2] != like.W {
		return imageio.Image{}, fmt.Errorf("%s has shape %v, want [%d %d %d]", path, shape, like.C, like.H, like.W)
	}
	return imageio.Image{W: like.W, H: like.H, C: like.C, Pix: v}, nil
}

func (c *trajectoriesCmd) distances(setups [2]*dipSetup, results [2]dip.Result, seeds [2]uint64) (dipTrajectorySummary, error) {
	cfg := setups[0].cfg
	like := cfg.Problem.Target
	sum := dipTrajectorySummary{Arch: cfg.Arch.String(), Image: setups[0].imageName, Task: string(cfg.Problem.Task), Optimizer: string(cfg.Opt.Kind),
		Seeds: seeds, Best: [2]dip.Best{results[0].Best, results[1].Best}, Complete: results[0].Complete && results[1].Complete}
	psnr := [2]map[int]float64{{}, {}}
	for r := 0; r < 2; r++ {
		for _, m := range results[r].Measurements {
			psnr[r][m.Iter] = m.PSNR
		}
	}
	var iters []int
	var sse []float64
	for _, m := range results[0].Measurements {
		if _, ok := psnr[1][m.Iter]; !ok {
			continue
		}
		var img [2]imageio.Image
		for r := 0; r < 2; r++ {
			var err error
			img[r], err = dipLoadOutput(filepath.Join(c.Out, fmt.Sprintf("run%d", r+1), "outputs", fmt.Sprintf("output_%06d.npy", m.Iter)), like)
			if err != nil {
				return sum, fmt.Errorf("the output of run %d at iteration %d is missing (%v); rerun without --resume", r+1, m.Iter, err)
			}
		}
		d, err := dip.SSE(img[0], img[1])
		if err != nil {
			return sum, err
		}
		iters = append(iters, m.Iter)
		sse = append(sse, d)
	}
	if len(iters) == 0 {
		return sum, errors.New("the two runs have no measured iteration in common")
	}
	sum.Iters = iters
	sum.SSE = make([]dip.Num, len(sse))
	mi := 0
	for i, v := range sse {
		sum.SSE[i] = dip.Num(v)
		if v < sse[mi] {
			mi = i
		}
	}
	sum.Start, sum.Final, sum.Min, sum.MinIter = dip.Num(sse[0]), dip.Num(sse[len(sse)-1]), dip.Num(sse[mi]), iters[mi]
	var pred []float64
	if k := setups[0].kern; k != nil && cfg.Opt.Kind.FixedStep() && cfg.Problem.Mask == nil {
		d0 := results[0].Start.Clone()
		for i := range d0.Pix {
			d0.Pix[i] -= results[1].Start.Pix[i]
		}
		var err error
		if pred, err = dip.PredictDistance(k, cfg.Opt, d0, iters); err != nil {
			return sum, err
		}
		sum.SSENTK = make([]dip.Num, len(pred))
		for i, v := range pred {
			sum.SSENTK[i] = dip.Num(v)
		}
		sum.Notes = append(sum.Notes, "NTK prediction: ||(1 - eta_eff Theta)^t (f1_0 - f2_0)||^2 (linearized dynamics: two runs on the same target differ only by their start, which decays mode by mode)")
	}
	var sb strings.Builder
	sb.WriteString("iter,sse,psnr1,psnr2")
	if pred != nil {
		sb.WriteString(",sse_ntk")
	}
	sb.WriteByte('\n')
	for i, t := range iters {
		fmt.Fprintf(&sb, "%d,%g,%g,%g", t, sse[i], psnr[0][t], psnr[1][t])
		if pred != nil {
			fmt.Fprintf(&sb, ",%g", pred[i])
		}
		sb.WriteByte('\n')
	}
	if err := atomicfile.WriteFile(filepath.Join(c.Out, "trajectories.csv"), []byte(sb.String()), 0o644); err != nil {
		return sum, err
	}
	if err := writeJSON(filepath.Join(c.Out, "summary.json"), sum, false); err != nil {
		return sum, err
	}
	var xs, ys []float64
	for i, t := range iters {
		if sse[i] > 0 {
			xs, ys = append(xs, float64(t)), append(ys, sse[i])
		}
	}
	series := []plotting.Series{{Name: "observed", X: xs, Y: ys}}
	if pred != nil {
		var px, py []float64
		for i, t := range iters {
			if pred[i] > 0 && !math.IsInf(pred[i], 0) {
				px, py = append(px, float64(t)), append(py, pred[i])
			}
		}
		if len(px) > 0 {
			series = append(series, plotting.Series{Name: "NTK prediction", X: px, Y: py, Dashed: true})
		}
	}
	if len(xs) == 0 {
		return sum, nil
	}
	p, err := plotting.Lines(fmt.Sprintf("Distance between two runs (seeds %d, %d)", seeds[0], seeds[1]), "iteration", "SSE(t) = sum (f1_t - f2_t)^2", series, plotting.Options{LogY: true})
	if err != nil {
		return sum, err
	}
	return sum, plotting.Save(p, filepath.Join(c.Out, "trajectories"), 6*vg.Inch, 4*vg.Inch)
}
