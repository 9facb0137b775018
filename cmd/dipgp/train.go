package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
)

func init() {
	register("train", "Train the deep image prior (fit, denoise or inpaint) and measure PSNR, FBC bands and per-frequency residual ratios as it goes.", &trainCmd{})
}

// dipDefaultArch is the small skip net the training commands default to:
// DIP's defaults (Adam-era: standard parameterization, PyTorch init, batch
// norm, leaky ReLU, sigmoid output, reflect padding) at 3 scales and 32
// channels, so that the defaults run in seconds at 64x64.
const dipDefaultArch = "dip-skip:scales=3,channels=32"

// dipRunFlags are the flags shared by train, compare and trajectories.
type dipRunFlags struct {
	Arch      string `help:"Architecture: preset (PRESET:key=value,...) or YAML/JSON file. For a grey image a preset's out_channels is set to 1." default:"dip-skip:scales=3,channels=32"`
	Width     *int   `help:"Set the width: a preset's channel keys (--width-keys), or in a file every conv with the file's widest channel count."`
	WidthKeys string `help:"Preset keys that --width and --widths set, comma-separated (e.g. channels,skip,in_channels to scale every channel count)." default:"channels"`
	Image     string `help:"Clean image (PNG or JPEG) for a 2-D architecture; default: a synthetic RGB test image of --size."`
	Signal    string `help:"Clean 1-D signal for a 1-D architecture (dims=1): a .npy of N values, or a .csv/.txt of N numbers in one column or one row (a non-numeric first line is a header); default: a synthetic signal of --size samples."`
	Size      string `help:"Size of the synthetic image (S or HxW), or length N of the synthetic signal for a 1-D architecture." default:"64"`
	Gray      bool   `help:"Convert the image to grey."`
	Crop      bool   `help:"Crop the image to the largest centred size the architecture accepts, instead of failing."`

	Task     string  `help:"fit (the clean image), denoise (clean + Gaussian noise) or inpaint (observed pixels only)." default:"denoise" enum:"fit,denoise,inpaint"`
	Sigma    float64 `help:"Noise standard deviation on the 0..255 scale (denoise)." default:"25"`
	Mask     string  `help:"Inpainting mask image (white = observed), or for a signal a .npy/.csv of N values (> 0.5 = observed); default: a random mask keeping --keep of the pixels."`
	Keep     float64 `help:"Fraction of observed pixels of the random inpainting mask." default:"0.5"`
	DataSeed uint64  `help:"Seed of the noise and of the random mask." default:"1"`

	Opt         string  `help:"Optimizer: gd (plain gradient descent), adam, sgld (textbook Langevin) or sgld-cheng (Cheng et al.: Adam + weight decay + noise on conv weights)." default:"adam" enum:"gd,adam,sgld,sgld-cheng"`
	LR          float64 `help:"Learning rate (0: 0.01 for adam and sgld-cheng; for gd eta_eff lambda_max = 0.5 with the NTK's largest eigenvalue in train and trajectories, 0.9 in compare (see --lr-from there; the stability limit is 2); for sgld eps with eps/(2 s^2) lambda_max = 0.5)." name:"lr"`
	Iters       int     `help:"Number of parameter updates." default:"300"`
	Every       int     `help:"Measure every K iterations (PSNRs, FBC bands, residual ratios)." default:"10" name:"every"`
	Seed        uint64  `help:"Seed of the network's parameters and input, the input perturbations and the Langevin noise." default:"1"`
	RegNoise    float64 `help:"Std of the Gaussian perturbation of the input at every step (DIP's reg_noise_std; -1: 1/30 for adam and sgld-cheng, 0 for gd and sgld)." default:"-1"`
	ExpAvg      float64 `help:"Weight of DIP's exponential average of the outputs (0 turns it off)." default:"0.99"`
	BurnIn      int     `help:"First iteration of the plain average of the outputs (the SGLD posterior mean; -1: half the iterations for sgld and sgld-cheng, off otherwise)." default:"-1"`
	SampleEvery int     `help:"Take one output into the after-burn-in average every this many iterations." default:"1"`
	WeightDecay float64 `help:"Adam's weight decay (-1: 5e-8 for sgld-cheng as Cheng et al., 0 for adam)." default:"-1"`
	ParamNoise  float64 `help:"sigma_p of sgld-cheng: noise of std sigma_p*lr is added to the conv weights after each step." default:"2"`
	NoiseStd    float64 `help:"Likelihood noise std s of textbook sgld, in [0, 1] units (0: sigma/255 when denoising, else 0.05)."`
	PriorStd    float64 `help:"Prior std of the raw parameters for textbook sgld (0: the initialization's own scale)."`
	Bins        int     `help:"Radial bins of the residual ratios (0: a quarter of the smaller side)."`

	Resume          bool `help:"Continue from the checkpoint in the output folder (same settings; --iters may grow)."`
	CheckpointEvery int  `help:"Write a checkpoint every this many iterations (0: only at the end and on Ctrl-C)." default:"100"`
}

type trainCmd struct {
	dipRunFlags
	Out      string `help:"Output folder." default:"out/train"`
	NoKernel bool   `help:"Skip the NTK (no predicted best iteration); gd and sgld then need --lr."`
	JSON     bool   `help:"Print the summary as JSON on stdout." name:"json"`
	Stop     string `help:"Automatic stopping: none, or shi (Shi et al.'s blur/sharpness rule, n = 100, eps = 0.01, on the measured outputs; exact with --every 1)." default:"none" enum:"none,shi"`
}

func (c *trainCmd) Help() string {
	return "Defaults: the synthetic 64x64 RGB image, denoising with sigma 25, the skip net " + dipDefaultArch +
		" with DIP's settings, Adam with lr 0.01, 300 iterations measured every 10: about 10 s on 2 cores plus under a second for the NTK.\n\n" +
		"Writes metrics.csv (one row per measurement, written as training goes: loss, PSNR of the output, of the exponential average and " +
		"of the after-burn-in mean against the clean image, FBC bands fbc1..fbc5 of Shi et al. against the degraded target, residual " +
		"ratios |F(f_t - y)|/|F(f_0 - y)| per radial bin), bins.csv (the bins' frequencies), snapshots/ (outputs as PNG), clean.png, target.png, " +
		"output.png, average.png (with --exp-avg), mean.png (with a --burn-in, by default for sgld and sgld-cheng), best.png, summary.json (best PSNR and its iteration, the iteration the NTK predicts as best, " +
		"timings), psnr.png, fbc.png and residual.png (frequency-by-iteration heat map of the residual ratio), each also as SVG, and " +
		"checkpoint/ (parameters in nn's .npy layout, optimizer state, metrics) for --resume. Ctrl-C writes the checkpoint and all outputs " +
		"so far."
}

func (c *trainCmd) Run(ctx context.Context, g *Globals) error {
	if c.NoKernel && c.LR == 0 && (c.Opt == "gd" || c.Opt == "sgld") {
		return fmt.Errorf("--no-kernel: the default %s learning rate comes from the NTK; give --lr", c.Opt)
	}
	if err := prepareOut(c.Out, g, c.Resume, c.Image, c.Signal, c.Mask, c.Arch); err != nil {
		return err
	}
	s, err := c.setup(ctx, c.Out, !c.NoKernel)
	if err != nil {
		return err
	}
	if c.Stop == "shi" && s.cfg.Problem.IsSignal() {
		return fmt.Errorf("--stop shi: %w", dip.ErrShiSignal)
	}
	var extra []dip.Observer
	stopAt := -1
	if c.Stop == "shi" {
		extra = append(extra, (&dip.ShiStop{}).Observer(nil, &stopAt))
	}
	res, runErr := dipTrain(ctx, g, s, c.Out, "train", extra...)
	if errors.Is(runErr, dip.ErrShiStop) {
		runErr = nil
		s.notes = append(s.notes, fmt.Sprintf("Shi et al.'s blur/sharpness rule stopped training at iteration %d", stopAt))
		fmt.Fprintf(os.Stderr, "dipgp: Shi et al.'s rule stopped training at iteration %d\n", stopAt)
	}
	if res.Start.Pix == nil {
		return runErr
	}
	var cmp *dip.Comparison
	if s.kern != nil && runErr == nil {
		cp, err := dip.Compare(ctx, s.kern, s.cfg, res)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dipgp: no kernel prediction:", err)
		} else {
			cmp = &cp
		}
	}
	sum := dipSummarize(s, res, cmp)
	if err := dipWriteOutputs(c.Out, s, res, nil, sum); err != nil {
		return errors.Join(runErr, err)
	}
	dipPrintSummary(sum, c.JSON)
	if runErr != nil && ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "dipgp: interrupted at iteration %d; outputs and the checkpoint are in %s (continue with --resume)\n", res.Iter, c.Out)
	}
	return runErr
}

// dipSetup is a prepared run.
type dipSetup struct {
	cfg       dip.Config
	kern      *dip.Kernel
	imageName string
	dataSeed  uint64
	notes     []string
}

func (f *dipRunFlags) loadImage(a arch.Arch) (imageio.Image, string, error) {
	return imageFlags{Image: f.Image, Size: f.Size, Gray: f.Gray, Crop: f.Crop}.load(a, true)
}

// setup parses the flags into a training configuration, computing the
// NTK when wanted (or needed for a default learning rate).
func (f *dipRunFlags) setup(ctx context.Context, out string, wantKernel bool) (*dipSetup, error) {
	s := &dipSetup{}
	ca, err := loadArch(f.Arch, 0)
	if err != nil {
		return nil, err
	}
	if f.Width != nil {
		if ca, err = ca.withWidth(*f.Width, strings.Split(f.WidthKeys, ",")); err != nil {
			return nil, err
		}
	}
	a, prob, name, err := f.problem(ca)
	if err != nil {
		return nil, err
	}
	s.imageName, s.dataSeed = name, f.DataSeed
	task, img := prob.Task, prob.Target
	kind, err := dip.ParseOpt(f.Opt)
	if err != nil {
		return nil, err
	}
	o := dip.Optimizer{Kind: kind, LR: f.LR, ParamNoise: f.ParamNoise, NoiseStd: f.NoiseStd, PriorStd: f.PriorStd}
	o.WeightDecay = f.WeightDecay
	if f.WeightDecay < 0 {
		o.WeightDecay = dip.DefaultWeightDecay(kind)
	}
	if kind == dip.SGLD && o.NoiseStd == 0 {
		o.NoiseStd = 0.05
		if task == dip.Denoise && f.Sigma > 0 {
			o.NoiseStd = f.Sigma / 255
		}
		s.notes = append(s.notes, fmt.Sprintf("sgld likelihood noise std s = %.4g", o.NoiseStd))
	}
	n := len(img.Pix)
	needKernel := wantKernel || (o.LR == 0 && kind.FixedStep())
	if needKernel {
		k, err := dip.NewKernel(ctx, a, gridOf(img))
		if err != nil {
			if o.LR == 0 && kind.FixedStep() {
				return nil, fmt.Errorf("the default %s learning rate comes from the NTK, which failed (%v); give --lr", kind, err)
			}
			s.notes = append(s.notes, "no NTK prediction: "+err.Error())
		} else {
			s.kern = k
		}
	}
	if o.LR == 0 {
		if o.LR, err = dip.DefaultLR(kind, s.kern, n, o.NoiseStd); err != nil {
			return nil, err
		}
		switch kind {
		case dip.GD:
			s.notes = append(s.notes, fmt.Sprintf("gd lr %.4g: eta_eff lambda_max = %g (the stability limit is 2)", o.LR, dip.GDStepFraction))
			if F := standardScale(a); F > 1 {
				o.LR /= F
				s.notes[len(s.notes)-1] = fmt.Sprintf("gd lr %.4g: eta_eff lambda_max = %g with the NTK-parameterization kernel's lambda_max times %.4g, the bound on how much larger the standard parameterization's NTK is (max fan_in/s_w^2 over the convs)", o.LR, dip.GDStepFraction, F)
			}
		case dip.SGLD:
			s.notes = append(s.notes, fmt.Sprintf("sgld eps %.4g: eta_eff lambda_max = %g", o.LR, dip.SGLDStepFraction))
		}
	}
	reg := f.RegNoise
	if reg < 0 {
		reg = dip.DefaultRegNoiseFor(kind)
	}
	burn := f.BurnIn
	if burn < 0 {
		burn = dip.DefaultBurnIn(kind, f.Iters)
	}
	s.cfg = dip.Config{Arch: a, Problem: prob, Opt: o, Iters: f.Iters, Every: f.Every, Seed: f.Seed, RegNoise: reg,
		ExpAvg: f.ExpAvg, BurnIn: burn, SampleEvery: f.SampleEvery, Bins: f.Bins, Resume: f.Resume,
		Checkpoint: filepath.Join(out, "checkpoint"), CheckpointEvery: f.CheckpointEvery}
	if f.Resume {
		if _, err := os.Stat(filepath.Join(out, "checkpoint", "state.json")); err != nil {
			if _, err2 := os.Stat(filepath.Join(out, "checkpoint.old", "state.json")); err2 != nil {
				s.notes = append(s.notes, "no checkpoint to resume in "+out+": starting afresh")
			}
		}
	}
	return s, nil
}

// problem loads the clean image (2-D architecture) or signal (1-D), sets
// the network's output channels to the image's and degrades it as the
// task flags say.
func (f *dipRunFlags) problem(ca cliArch) (arch.Arch, dip.Problem, string, error) {
	a := ca.Arch
	task, err := dip.ParseTask(f.Task)
	if err != nil {
		return a, dip.Problem{}, "", err
	}
	if f.Mask != "" && task != dip.Inpaint {
		return a, dip.Problem{}, "", fmt.Errorf("--mask is for --task inpaint; --task %s would ignore it", f.Task)
	}
	if task == dip.Inpaint && f.Mask == "" && (f.Keep <= 0 || f.Keep > 1) {
		return a, dip.Problem{}, "", fmt.Errorf("--keep %g must be in (0, 1]: the fraction of pixels observed", f.Keep)
	}
	to := dip.TaskOptions{Task: task, Sigma: f.Sigma, Keep: f.Keep, Seed: f.DataSeed}
	switch a.Dims {
	case 1:
		if oc := a.OutChannels(); oc != 1 {
			b, err := ca.withOutChannels(1)
			if err != nil {
				return a, dip.Problem{}, "", fmt.Errorf("the network has %d output channels but a signal has 1: %v (use an architecture with out_channels=1)", oc, err)
			}
			a = b.Arch
		}
		prob, name, err := f.signalProblem(a, to)
		return a, prob, name, err
	case 2:
	default:
		return a, dip.Problem{}, "", fmt.Errorf("--arch %s is %d-D; training needs images (dims=2) or 1-D signals (dims=1)", a, a.Dims)
	}
	if f.Signal != "" {
		return a, dip.Problem{}, "", fmt.Errorf("--signal %s is for 1-D architectures; %s is 2-D: give a 1-D one (e.g. dip-skip:dims=1,scales=3) or an image with --image", f.Signal, a)
	}
	img, name, err := f.loadImage(a)
	if err != nil {
		return a, dip.Problem{}, "", err
	}
	if oc := a.OutChannels(); oc != img.C {
		b, err := ca.withOutChannels(img.C)
		if err != nil {
			return a, dip.Problem{}, "", fmt.Errorf("the network has %d output channels but the image has %d: %v (use --gray or an architecture with %d outputs)", oc, img.C, err, img.C)
		}
		a = b.Arch
	}
	if task == dip.Inpaint && f.Mask != "" {
		m, w, h, err := imageio.LoadMask(f.Mask)
		if err != nil {
			return a, dip.Problem{}, "", err
		}
		if w != img.W || h != img.H {
			return a, dip.Problem{}, "", fmt.Errorf("mask %s is %dx%d but the image is %dx%d; give a mask of the image's size", f.Mask, w, h, img.W, img.H)
		}
		to.Mask = m
	}
	prob, err := dip.NewProblem(img, to)
	return a, prob, name, err
}

// dipMetricsWriter writes metrics.csv as training goes and the snapshots.
type dipMetricsWriter struct {
	f         *os.File
	w         *csv.Writer
	dir       string
	snapEvery int
	last      int
}

func newDipMetricsWriter(dir string, cfg dip.Config) (*dipMetricsWriter, error) {
	if err := os.MkdirAll(filepath.Join(dir, "snapshots"), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		return nil, err
	}
	bins := cfg.Bins
	if bins == 0 {
		bins = dip.DefaultBins(cfg.Problem.Target.W, cfg.Problem.Target.H)
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	m := &dipMetricsWriter{f: f, w: w, dir: dir}
	m.snapEvery = cfg.Every * max(1, int(math.Round(float64(cfg.Iters)/float64(cfg.Every)/8)))
	return m, w.Write(dip.MetricsHeader(bins))
}

func (m *dipMetricsWriter) event(e dip.Event) error {
	if err := m.w.Write(dip.MetricsRow(e.Measurement)); err != nil {
		return err
	}
	m.w.Flush()
	if err := m.w.Error(); err != nil {
		return err
	}
	if e.Restored || e.Output.H == 1 { // a signal's outputs go to signal.csv
		return nil
	}
	it := e.Measurement.Iter
	if it%m.snapEvery == 0 {
		return imageio.Save(filepath.Join(m.dir, "snapshots", fmt.Sprintf("output_%06d.png", it)), e.Output)
	}
	return nil
}

func (m *dipMetricsWriter) close() error {
	m.w.Flush()
	return errors.Join(m.w.Error(), m.f.Close())
}

// dipTrain runs training with a progress bar and metrics.csv; extra
// observers see every measurement too.
func dipTrain(ctx context.Context, g *Globals, s *dipSetup, out, label string, extra ...dip.Observer) (dip.Result, error) {
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
	bar := prog.Bar(fmt.Sprintf("%s %s", label, s.cfg.Opt.Kind), int64(s.cfg.Iters))
	obs := func(e dip.Event) error {
		m := e.Measurement
		bar.Set(int64(m.Iter), int64(s.cfg.Iters))
		bar.SetMessage(fmt.Sprintf("PSNR %.2f dB", m.PSNR))
		for _, o := range extra {
			if err := o(e); err != nil {
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

// dipSummary is summary.json.
type dipSummary struct {
	Arch          string        `json:"arch"`
	Image         string        `json:"image"`
	Size          []int         `json:"size"`
	Channels      int           `json:"channels"`
	Task          string        `json:"task"`
	Sigma255      float64       `json:"sigma_255,omitempty"`
	Observed      float64       `json:"observed_fraction"`
	Optimizer     dip.Optimizer `json:"optimizer"`
	Iters         int           `json:"iters"`
	Every         int           `json:"every"`
	Seed          uint64        `json:"seed"`
	DataSeed      uint64        `json:"data_seed"`
	RegNoise      float64       `json:"reg_noise_std"`
	ExpAvg        float64       `json:"exp_avg"`
	BurnIn        int           `json:"burn_in"`
	SampleEvery   int           `json:"sample_every"`
	Params        int           `json:"params"`
	Complete      bool          `json:"complete"`
	LastIter      int           `json:"last_iter"`
	TargetPSNR    dip.Num       `json:"target_psnr_db"`
	FinalPSNR     dip.Num       `json:"final_psnr_db"`
	FinalAvgPSNR  dip.Num       `json:"final_average_psnr_db"`
	FinalMeanPSNR dip.Num       `json:"final_mean_psnr_db"`
	Samples       int           `json:"mean_samples"`
	Best          dip.Best      `json:"best"`
	BestAverage   dip.Best      `json:"best_average"`
	// The kernel's prediction.
	PredictedBest         *dip.Best `json:"predicted_best,omitempty"`
	PredictedBestRealized *dip.Best `json:"predicted_best_realized,omitempty"`
	PredictionNote        string    `json:"prediction_note,omitempty"`
	KernelSeconds         float64   `json:"kernel_seconds,omitempty"`
	// Timings.
	StepSeconds    float64  `json:"step_seconds"`
	MeasureSeconds float64  `json:"measure_seconds"`
	Seconds        float64  `json:"seconds"`
	Per3000        float64  `json:"seconds_per_3000_steps"`
	Notes          []string `json:"notes,omitempty"`
}

func dipSummarize(s *dipSetup, res dip.Result, cmp *dip.Comparison) dipSummary {
	cfg := s.cfg
	p := cfg.Problem
	sum := dipSummary{Arch: cfg.Arch.String(), Image: s.imageName, Size: gridOf(p.Target), Channels: p.Target.C,
		Task: string(p.Task), Sigma255: p.Sigma, Observed: p.Observed(), Optimizer: cfg.Opt, Iters: cfg.Iters, Every: cfg.Every,
		Seed: cfg.Seed, DataSeed: s.dataSeed, RegNoise: cfg.RegNoise, ExpAvg: cfg.ExpAvg, BurnIn: cfg.BurnIn, SampleEvery: cfg.SampleEvery,
		Complete: res.Complete, LastIter: res.Iter, Samples: res.Samples, Best: res.Best, BestAverage: res.BestAverage,
		StepSeconds: res.StepSeconds, MeasureSeconds: res.MeasureSeconds, Seconds: res.Seconds, Per3000: 3000 * res.StepSeconds,
		Notes: s.notes}
	if res.Net != nil {
		sum.Params = res.Net.NumParams()
	}
	tp := imageio.PSNRValues(p.Target.Pix, p.Clean.Pix, !p.IsSignal()) // signals: not clipped
	sum.TargetPSNR = dip.Num(tp)
	sum.FinalPSNR, sum.FinalAvgPSNR, sum.FinalMeanPSNR = dip.Num(math.NaN()), dip.Num(math.NaN()), dip.Num(math.NaN())
	if ms := res.Measurements; len(ms) > 0 {
		m := ms[len(ms)-1]
		sum.FinalPSNR, sum.FinalAvgPSNR, sum.FinalMeanPSNR = dip.Num(m.PSNR), dip.Num(m.PSNRAvg), dip.Num(m.PSNRMean)
	}
	if s.kern != nil {
		sum.KernelSeconds = s.kern.Seconds
	}
	if cmp != nil {
		ag := cmp.Agreement
		if ag.PredictedBest.Iter >= 0 {
			b := ag.PredictedBest
			sum.PredictedBest = &b
		}
		b := ag.PredictedBestRealized
		sum.PredictedBestRealized = &b
		sum.PredictionNote = ag.Note
	}
	return sum
}

func dipPrintSummary(s dipSummary, asJSON bool) {
	if asJSON {
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Println(string(b))
		return
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "architecture\t%s (%d parameters)\n", s.Arch, s.Params)
	fmt.Fprintf(tw, "image, task\t%s, %s", s.Image, s.Task)
	if s.Task == "denoise" {
		fmt.Fprintf(tw, " sigma %g (noisy PSNR %.2f dB)", s.Sigma255, s.TargetPSNR)
	}
	if s.Task == "inpaint" {
		fmt.Fprintf(tw, " (%.0f%% observed)", 100*s.Observed)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "optimizer\t%s lr %.4g, input noise %.4g, seed %d\n", s.Optimizer.Kind, s.Optimizer.LR, s.RegNoise, s.Seed)
	fmt.Fprintf(tw, "iterations\t%d of %d%s\n", s.LastIter, s.Iters, map[bool]string{true: "", false: " (INCOMPLETE)"}[s.Complete])
	fmt.Fprintf(tw, "final PSNR\toutput %.2f dB", s.FinalPSNR)
	if !math.IsNaN(float64(s.FinalAvgPSNR)) {
		fmt.Fprintf(tw, ", exponential average %.2f dB", s.FinalAvgPSNR)
	}
	if !math.IsNaN(float64(s.FinalMeanPSNR)) {
		fmt.Fprintf(tw, ", mean after burn-in %.2f dB", s.FinalMeanPSNR)
	} else {
		fmt.Fprintf(tw, " (no after-burn-in mean: --burn-in is off for %s)", s.Optimizer.Kind)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "best PSNR\t%.2f dB at iteration %d (average: %.2f dB at %d)\n", s.Best.PSNR, s.Best.Iter, s.BestAverage.PSNR, s.BestAverage.Iter)
	if s.PredictedBest != nil {
		fmt.Fprintf(tw, "NTK best\titeration %d (expected %.2f dB; this noise draw: iteration %d, %.2f dB)\n", s.PredictedBest.Iter, s.PredictedBest.PSNR, s.PredictedBestRealized.Iter, s.PredictedBestRealized.PSNR)
	} else if s.PredictedBestRealized != nil {
		fmt.Fprintf(tw, "NTK best\titeration %d (%.2f dB, fitted time scale)\n", s.PredictedBestRealized.Iter, s.PredictedBestRealized.PSNR)
	}
	fmt.Fprintf(tw, "time\t%.1f ms per step, %.1f s in all (3000 steps: %.0f s)\n", 1000*s.StepSeconds, s.Seconds, s.Per3000)
	tw.Flush()
}

// dipWriteOutputs writes images, summary.json and figures (with the
// kernel's curves when cmp is not nil).
func dipWriteOutputs(out string, s *dipSetup, res dip.Result, cmp *dip.Comparison, sum dipSummary) error {
	if s.cfg.Problem.IsSignal() {
		if err := dipWriteSignal(out, s, res); err != nil {
			return err
		}
	} else if err := dipWriteImages(out, s.cfg.Problem, res); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "summary.json"), sum, false); err != nil {
		return err
	}
	var rows []string
	rows = append(rows, "bin,center_cycles_per_pixel")
	for k, c := range res.BinCenters {
		rows = append(rows, fmt.Sprintf("%d,%g", k, c))
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "bins.csv"), []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return dipFigures(out, res, cmp)
}

// dipWriteImages writes an image run's images as PNG.
func dipWriteImages(out string, p dip.Problem, res dip.Result) error {
	imgs := map[string]imageio.Image{"clean": p.Clean, "target": p.Target, "output": res.Output, "start": res.Start,
		"average": res.Average, "mean": res.Mean, "best": res.BestOutput}
	for name, img := range imgs {
		if img.Pix == nil {
			continue
		}
		if err := imageio.Save(filepath.Join(out, name+".png"), img); err != nil {
			return err
		}
	}
	if p.Mask != nil {
		return imageio.SaveMask(filepath.Join(out, "mask.png"), p.Mask, p.Target.W, p.Target.H)
	}
	return nil
}

// dipFigures draws psnr, fbc and residual (heat map) figures.
func dipFigures(out string, res dip.Result, cmp *dip.Comparison) error {
	ms := res.Measurements
	if len(ms) < 2 {
		return nil
	}
	col := func(ms []dip.Measurement, f func(m dip.Measurement) float64) (x, y []float64) {
		for _, m := range ms {
			if v := f(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
				x = append(x, float64(m.Iter))
				y = append(y, v)
			}
		}
		return x, y
	}
	var ps []plotting.Series
	// add appends a curve in palette colour colour (an observed curve and
	// its NTK prediction share one; the prediction is dashed).
	add := func(name string, ms []dip.Measurement, dashed bool, colour int, f func(m dip.Measurement) float64) {
		x, y := col(ms, f)
		if len(x) > 0 {
			ps = append(ps, plotting.Series{Name: name, X: x, Y: y, Dashed: dashed, Color: colour})
		}
	}
	add("output", ms, false, 1, func(m dip.Measurement) float64 { return m.PSNR })
	add("exp. average", ms, false, 2, func(m dip.Measurement) float64 { return m.PSNRAvg })
	add("mean after burn-in", ms, false, 3, func(m dip.Measurement) float64 { return m.PSNRMean })
	if cmp != nil {
		add("NTK prediction\n(of the output)", cmp.Predicted, true, 1, func(m dip.Measurement) float64 { return m.PSNR })
	}
	pl, err := plotting.Lines("PSNR against the clean image", "iteration", "PSNR (dB)", ps, plotting.Options{LegendOutside: true})
	if err != nil {
		return err
	}
	if err := plotting.Save(pl, filepath.Join(out, "psnr"), 8*vg.Inch, 4*vg.Inch); err != nil {
		return err
	}
	ps = nil
	for b := 0; b < dip.FBCBands; b++ {
		add(fmt.Sprintf("band %d", b+1), ms, false, b+1, func(m dip.Measurement) float64 { return m.FBC[b] })
	}
	if cmp != nil {
		for b := 0; b < dip.FBCBands; b++ {
			add(fmt.Sprintf("band %d (NTK)", b+1), cmp.Predicted, true, b+1, func(m dip.Measurement) float64 { return m.FBC[b] })
		}
	}
	pl, err = plotting.Lines("Frequency-band correspondence (Shi et al.)\nband 1 = lowest frequencies", "iteration", "H_b(t)", ps, plotting.Options{LegendOutside: true})
	if err != nil {
		return err
	}
	if err := plotting.Save(pl, filepath.Join(out, "fbc"), 8*vg.Inch, 4.5*vg.Inch); err != nil {
		return err
	}
	obsMap, err := dipRatioHeatmap("observed |F(f_t - y)| / |F(f_0 - y)|", ms, res.BinCenters)
	if err != nil {
		return err
	}
	if cmp == nil {
		return plotting.Save(obsMap, filepath.Join(out, "residual"), 6*vg.Inch, 4*vg.Inch)
	}
	predMap, err := dipRatioHeatmap("NTK prediction", cmp.Predicted, res.BinCenters)
	if err != nil {
		return err
	}
	return plotting.SideBySide(filepath.Join(out, "residual"), obsMap, predMap, 11*vg.Inch, 4*vg.Inch)
}

// dipRatioHeatmap draws bins (rows, low frequencies at the bottom) by
// measured iterations (columns) on a fixed log colour scale [0.01, 1].
func dipRatioHeatmap(title string, ms []dip.Measurement, centers []float64) (*plot.Plot, error) {
	bins := len(centers)
	w := len(ms)
	data := make([]float64, w*bins)
	for i, m := range ms {
		for b := 0; b < bins; b++ {
			v := m.Ratio[b]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = 0
			}
			data[(bins-1-b)*w+i] = v
		}
	}
	x0, x1 := float64(ms[0].Iter), float64(ms[w-1].Iter)
	dx := (x1 - x0) / math.Max(1, float64(w-1))
	return plotting.HeatmapWith(title, "iteration", "frequency (cycles/pixel)", w, bins, data,
		plotting.HeatmapOptions{Log: true, VMin: 0.01, VMax: 1, Extent: [4]float64{x0 - dx/2, x1 + dx/2, 0, 0.5}})
}

// dipSaveOutputNPY writes an image's values as a float32 .npy (C, H, W).
func dipSaveOutputNPY(path string, img imageio.Image) error {
	v := make([]float32, len(img.Pix))
	for i, x := range img.Pix {
		v[i] = float32(x)
	}
	return npy.WriteFloat32(path, []int{img.C, img.H, img.W}, v)
}
