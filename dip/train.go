package dip

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/nn"
)

// Config is one training run.
type Config struct {
	// Arch is the network, with as many output channels as the target
	// (the dip-skip key out_channels): 2-D (dims=2) for an image, 1-D
	// (dims=1) for a signal (a Problem of height 1, NewSignalProblem).
	Arch arch.Arch
	// Problem is the clean image, the target and the mask.
	Problem Problem
	// Opt is the optimizer.
	Opt Optimizer
	// Iters is the number of parameter updates; outputs f_0 .. f_Iters
	// are computed.
	Iters int
	// Every is the measurement interval K: iterations 0, K, 2K, ... and
	// Iters are measured (>= 1).
	Every int
	// Seed seeds the network's parameters, its input noise, the input
	// perturbations and the Langevin noise (not the task's noise or mask).
	Seed uint64
	// RegNoise is the std of the Gaussian perturbation of the input at
	// every step (DIP's reg_noise_std, DefaultRegNoise); 0 turns it off.
	RegNoise float64
	// ExpAvg is the weight w of the exponential average of the outputs,
	// avg <- w avg + (1 - w) f_t, started at f_0 (DefaultExpAvg); 0 turns
	// it off.
	ExpAvg float64
	// BurnIn is the first iteration of the plain average of the outputs
	// (the SGLD posterior mean); negative turns it off.
	BurnIn int
	// SampleEvery takes one output into that average every SampleEvery
	// iterations from BurnIn on (0 means 1).
	SampleEvery int
	// SumLoss sums the squared errors, L = sum((m*(f - y))^2) (Cheng et
	// al.'s 1-D notebook), instead of DIP's mean over all values. With Adam
	// this only changes the balance against WeightDecay (and Adam's
	// epsilon); textbook SGLD's potential does not depend on it.
	SumLoss bool
	// PixelBatch, when positive, trains on a minibatch of pixels: at every
	// step PixelBatch pixels are drawn uniformly with replacement (from
	// Seed and the iteration) and the loss is the mean squared error over
	// them, all channels, counted with multiplicity (Chakrabarty and
	// Maji's relunet.py: 2048 random pixels per step). The network still
	// computes every pixel. 0 uses every pixel at every step.
	PixelBatch int
	// Bins is the number of radial bins of the residual ratios (0:
	// DefaultBins).
	Bins int
	// Checkpoint is the folder of the checkpoint ("" for none). It is
	// written every CheckpointEvery iterations (0: only at the end), at
	// the end, and when ctx is cancelled.
	Checkpoint      string
	CheckpointEvery int
	// Resume continues from the checkpoint in Checkpoint when there is one
	// (the configuration must match, Iters may grow).
	Resume bool
}

// Measurement is what Train records at a measured iteration.
type Measurement struct {
	// Iter is t: the output f_t comes from the parameters after t updates.
	Iter int
	// Loss is DIP's loss mean((m (f_t - y))^2) over all values (the sum
	// when Config.SumLoss is set).
	Loss float64
	// PSNR is the PSNR of f_t (clipped to [0, 1] for images, as it is for
	// signals) against the clean image;
	// PSNRTarget against the degraded target (how well it is fitted).
	PSNR, PSNRTarget float64
	// PSNRAvg is the PSNR of the exponential average (NaN when off);
	// PSNRMean of the average after burn-in (NaN before it).
	PSNRAvg, PSNRMean float64
	// FBC holds the FBCBands band values H_b(t) of f_t against y.
	FBC []float64
	// Ratio holds the residual ratio per radial bin.
	Ratio []float64
	// Seconds is the wall time spent training up to this iteration.
	Seconds float64
}

// Best is a best PSNR and where it was reached.
type Best struct {
	PSNR float64 `json:"psnr"`
	Iter int     `json:"iter"`
}

// Event is passed to the Observer after each measurement.
type Event struct {
	Measurement Measurement
	// Output is f_t; Average the exponential average (Pix nil when off);
	// Mean the average after burn-in (Pix nil before it). Restored events
	// (measurements read back from a checkpoint) carry no images.
	Output, Average, Mean imageio.Image
	// Restored marks a measurement read from a checkpoint on resume.
	Restored bool
}

// Observer receives measurements as they are made (for example to write
// them to a file as training goes). An error stops training.
type Observer func(e Event) error

// Result is the outcome of Train.
type Result struct {
	// Measurements in iteration order.
	Measurements []Measurement
	// BinCenters are the radial bins' centres in cycles per pixel.
	BinCenters []float64
	// Iter is the last iteration whose output was computed; Complete
	// reports whether it is cfg.Iters.
	Iter     int
	Complete bool
	// Output is f_Iter, Start f_0, Average the exponential average, Mean
	// the average after burn-in of Samples outputs, BestOutput the output
	// of the best PSNR.
	Output, Start, Average, Mean, BestOutput imageio.Image
	Samples                                  int
	// Best is the best PSNR of the output over every iteration (not only
	// measured ones), BestAverage that of the exponential average.
	Best, BestAverage Best
	// StepSeconds is the mean wall time of a training step (input
	// perturbation, forward, loss, backward, update, averages),
	// measurements and checkpoints excluded; MeasureSeconds the total time
	// spent measuring; Seconds the total.
	StepSeconds, MeasureSeconds, Seconds float64
	// NetSeconds is the part of StepSeconds spent in nn (Forward,
	// ZeroGrad, Backward) and the parameter update; the rest is the
	// loop's own work (input perturbation, loss, averages, PSNR).
	NetSeconds float64
	// Net is the trained network.
	Net *nn.Net
}

func (cfg Config) withDefaults() Config {
	cfg.Opt = cfg.Opt.withDefaults()
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = 1
	}
	if cfg.Bins == 0 {
		cfg.Bins = DefaultBins(cfg.Problem.Target.W, cfg.Problem.Target.H)
	}
	return cfg
}

func (cfg Config) validate() error {
	if err := cfg.Problem.validate(); err != nil {
		return err
	}
	img := cfg.Problem.Target
	size, err := gridSize(cfg.Arch, img)
	if err != nil {
		return err
	}
	if err := cfg.Arch.Validate(size); err != nil {
		return fmt.Errorf("dip: %w", err)
	}
	if oc := cfg.Arch.OutChannels(); oc != img.C {
		return fmt.Errorf("dip: the network has %d output channels but the image has %d; set out_channels=%d (or convert the image)", oc, img.C, img.C)
	}
	if err := cfg.Opt.validate(); err != nil {
		return err
	}
	if cfg.Iters < 0 {
		return fmt.Errorf("dip: %d iterations; give 0 or more", cfg.Iters)
	}
	if cfg.Every < 1 {
		return fmt.Errorf("dip: measurement interval %d; give 1 or more", cfg.Every)
	}
	if !(cfg.RegNoise >= 0) || math.IsInf(cfg.RegNoise, 0) {
		return fmt.Errorf("dip: input noise std %v must be finite and >= 0 (DIP: 1/30)", cfg.RegNoise)
	}
	if !(cfg.ExpAvg >= 0 && cfg.ExpAvg < 1) {
		return fmt.Errorf("dip: exponential averaging weight %v must be in [0, 1) (DIP: 0.99; 0 turns it off)", cfg.ExpAvg)
	}
	if cfg.PixelBatch < 0 {
		return fmt.Errorf("dip: pixel batch %d must be >= 0 (0: every pixel)", cfg.PixelBatch)
	}
	if cfg.PixelBatch > 0 && cfg.Opt.Kind == SGLD {
		return errors.New("dip: a pixel batch changes SGLD's potential; use it with adam or gd")
	}
	if cfg.CheckpointEvery < 0 {
		return fmt.Errorf("dip: checkpoint interval %d must be >= 0", cfg.CheckpointEvery)
	}
	if cfg.Resume && cfg.Checkpoint == "" {
		return errors.New("dip: resume needs the checkpoint folder")
	}
	return nil
}

// state is everything a run needs to continue exactly: it is what a
// checkpoint holds.
type state struct {
	iter      int       // next iteration to compute
	last      []float64 // f_{iter-1}, the last output computed
	net       *nn.Net
	opt       stepper
	start     []float64 // f_0
	avg       []float64 // exponential average through iter-1 (nil: none)
	mean      []float64 // sum of samples after burn-in
	samples   int
	best      Best
	bestOut   []float64
	bestAvg   Best
	ms        []Measurement
	trainSec  float64 // step time so far
	netSec    float64 // time in Forward, ZeroGrad, Backward and the update
	measSec   float64
	stepCount int // steps timed in trainSec
}

// perturbSalt separates the input-perturbation stream from the others.
const perturbSalt = 0x72656e6f // "reno"

// Train runs one deep image prior fit (see the package documentation). It
// returns what it has when ctx is cancelled, together with ctx's error,
// after writing a checkpoint when cfg.Checkpoint is set: Result.Output and
// the averages are then valid outputs of the last computed iteration.
//
// Each iteration t is: forward (f_t and its loss), track (averages and
// best PSNRs), measure (every cfg.Every iterations), then, before the
// last, backward (gradient and optimizer update) and a periodic
// checkpoint.
func Train(ctx context.Context, cfg Config, obs Observer) (Result, error) {
	tr, err := newTrainer(cfg, obs)
	if err != nil {
		return Result{}, err
	}
	st := tr.st
	loss0 := math.NaN() // the first loss of this session, for checkDiverged
	for t := st.iter; t <= tr.cfg.Iters; t++ {
		st.iter = t
		if err := tr.checkpointAt(ctx, t); err != nil {
			return tr.result(), err
		}
		t0 := time.Now()
		loss, netTime, err := tr.forward(t)
		if err != nil {
			return tr.result(), err
		}
		if math.IsNaN(loss0) {
			loss0 = loss
		}
		if err := checkDiverged(t, loss, loss0, tr.cfg.Opt.LR); err != nil {
			return tr.result(), err
		}
		psnr, err := tr.track(t)
		if err != nil {
			return tr.result(), err
		}
		tr.last = t
		stepTime := time.Since(t0)
		if t%tr.cfg.Every == 0 || t == tr.cfg.Iters {
			if err := tr.measure(t, loss, psnr, stepTime); err != nil {
				return tr.result(), err
			}
		}
		if t == tr.cfg.Iters {
			st.trainSec += stepTime.Seconds()
			break
		}
		t2 := time.Now()
		bt, err := tr.backward(t)
		if err != nil {
			return tr.result(), err
		}
		st.netSec += (netTime + bt).Seconds()
		st.trainSec += (stepTime + time.Since(t2)).Seconds()
		st.stepCount++
		if err := tr.checkpointEvery(t + 1); err != nil {
			return tr.result(), err
		}
	}
	return tr.result(), nil
}

// perturb writes z plus N(0, std^2) noise into dst. Channel c of step t
// draws from its own stream (seed, t, c), so channels are filled in
// parallel and the result does not depend on the number of threads.
func perturb(dst, z []float32, channels int, std float64, seed uint64, t int) {
	if std == 0 {
		copy(dst, z)
		return
	}
	plane := len(z) / channels
	workers := min(nn.Threads(), channels)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for c := w; c < channels; c += workers {
				g := newGauss(seed^perturbSalt^(uint64(c)+1)*0x9E3779B97F4A7C15, uint64(t))
				d, s := dst[c*plane:(c+1)*plane], z[c*plane:(c+1)*plane]
				g.addNoise(d, s, float32(std))
			}
		}(w)
	}
	wg.Wait()
}

// gridSize returns the network's output grid for the target img: {W} for
// a 1-D architecture on a signal (height 1), {H, W} for a 2-D
// architecture on an image. Any other pairing is an error naming the fix.
func gridSize(a arch.Arch, img imageio.Image) ([]int, error) {
	switch a.Dims {
	case 1:
		if img.H != 1 {
			return nil, fmt.Errorf("dip: the architecture is 1-D (dims=1) but the target is a %dx%d image; "+
				"fit a signal (NewSignalProblem) or use a 2-D architecture (dims=2)", img.W, img.H)
		}
		return []int{img.W}, nil
	case 2:
		if img.H == 1 {
			return nil, fmt.Errorf("dip: the architecture is 2-D (dims=2) but the target is a 1-D signal of %d samples; "+
				"use a 1-D architecture (dims=1)", img.W)
		}
		return []int{img.H, img.W}, nil
	}
	return nil, fmt.Errorf("dip: the architecture has dims=%d; training needs dims=1 (signals) or dims=2 (images)", a.Dims)
}

// imageOf wraps values in an image of the target's geometry.
func imageOf(like imageio.Image, pix []float64) imageio.Image {
	return imageio.Image{W: like.W, H: like.H, C: like.C, Pix: pix}
}
