package dip

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/nn"
	"gorgonia.org/tensor"
)

// trainer holds one run of Train: its configuration, the training state
// (checkpointed) and the buffers of a step. Train calls its steps in
// order; each is one named part of an iteration.
type trainer struct {
	cfg   Config
	obs   Observer
	meter *Meter
	st    *state
	net   *nn.Net

	z, zt   []float32     // input noise and its perturbed copy (zt's backing)
	ztensor *tensor.Dense // the perturbed input
	dy      *tensor.Dense // d loss / d output
	weights []float64     // per-value loss weights (the mask)
	counts  []float64     // per-pixel draws of the step (Config.PixelBatch)
	f       imageio.Image // f_t
	last    int           // last iteration whose output is in f
}

// newTrainer validates cfg and builds the run: a fresh network, or the
// state of the checkpoint when cfg.Resume is set and one exists (its
// measurements are replayed to obs, marked Restored).
func newTrainer(cfg Config, obs Observer) (*trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	img := cfg.Problem.Target
	size, err := gridSize(cfg.Arch, img)
	if err != nil {
		return nil, err
	}
	n := len(img.Pix)
	meter, err := NewMeter(img, cfg.Bins)
	if err != nil {
		return nil, err
	}
	z, err := nn.NewInput(cfg.Arch, size, 1, cfg.Seed)
	if err != nil {
		return nil, err
	}
	st, err := startState(cfg, meter, obs)
	if err != nil {
		return nil, err
	}
	tr := &trainer{cfg: cfg, obs: obs, meter: meter, st: st, net: st.net, weights: cfg.Problem.Weights(),
		f: imageio.Image{W: img.W, H: img.H, C: img.C, Pix: make([]float64, n)}, last: st.iter - 1}
	tr.z = z.Data().([]float32)
	tr.zt = make([]float32, len(tr.z))
	tr.ztensor = tensor.New(tensor.WithShape(z.Shape()...), tensor.WithBacking(tr.zt))
	tr.dy = tensor.New(tensor.WithShape(tr.net.OutputShape(1)...), tensor.WithBacking(make([]float32, n)))
	if st.last != nil {
		copy(tr.f.Pix, st.last)
	}
	return tr, nil
}

// startState returns the state to start from: the checkpoint's when
// resuming (with the meter's start image restored and the measurements
// replayed to obs), a new network otherwise.
func startState(cfg Config, meter *Meter, obs Observer) (*state, error) {
	if cfg.Resume {
		st, err := readCheckpoint(cfg)
		if err != nil && !errors.Is(err, errNoCheckpoint) {
			return nil, err
		}
		if st != nil {
			if err := meter.SetStart(imageOf(cfg.Problem.Target, st.start)); err != nil {
				return nil, err
			}
			if obs != nil {
				for _, m := range st.ms {
					if err := obs(Event{Measurement: m, Restored: true}); err != nil {
						return nil, err
					}
				}
			}
			return st, nil
		}
	}
	size, err := gridSize(cfg.Arch, cfg.Problem.Target)
	if err != nil {
		return nil, err
	}
	net, err := nn.Build(cfg.Arch, size, cfg.Seed)
	if err != nil {
		return nil, err
	}
	st := &state{net: net, best: Best{PSNR: math.Inf(-1)}, bestAvg: Best{PSNR: math.Inf(-1)}}
	st.opt = newStepper(cfg.Opt, net.Params(), cfg.Seed, cfg.Arch)
	return st, nil
}

// checkpointAt runs before iteration t: when ctx is cancelled it writes
// the checkpoint (if any) and returns ctx's error; before the last
// iteration it writes the final checkpoint, which holds the state before
// f_Iters, so that a resumed run (with the same or a larger Iters)
// recomputes it and continues exactly as an uninterrupted run.
func (tr *trainer) checkpointAt(ctx context.Context, t int) error {
	cfg, st := tr.cfg, tr.st
	if err := ctx.Err(); err != nil {
		if cfg.Checkpoint != "" && t > 0 {
			st.last = tr.f.Pix
			if werr := writeCheckpoint(cfg, st); werr != nil {
				return errors.Join(err, werr)
			}
		}
		return err
	}
	if t == cfg.Iters && t > 0 && cfg.Checkpoint != "" {
		st.last = tr.f.Pix
		return writeCheckpoint(cfg, st)
	}
	return nil
}

// checkpointEvery writes the periodic checkpoint before iteration next.
func (tr *trainer) checkpointEvery(next int) error {
	cfg, st := tr.cfg, tr.st
	if cfg.Checkpoint == "" || cfg.CheckpointEvery <= 0 || next%cfg.CheckpointEvery != 0 || next >= cfg.Iters {
		return nil
	}
	st.iter, st.last = next, tr.f.Pix
	return writeCheckpoint(cfg, st)
}

// forward computes f_t from the perturbed input and returns the loss and
// the time spent in the network. A non-finite output is an error.
func (tr *trainer) forward(t int) (loss float64, netTime time.Duration, err error) {
	cfg := tr.cfg
	perturb(tr.zt, tr.z, cfg.Arch.Input.Channels, cfg.RegNoise, cfg.Seed, t)
	tf := time.Now()
	out, err := tr.net.Forward(tr.ztensor)
	netTime = time.Since(tf)
	if err != nil {
		return 0, netTime, err
	}
	target := cfg.Problem.Target.Pix
	for i, v := range out.Data().([]float32) {
		fv := float64(v)
		if math.IsNaN(fv) || math.IsInf(fv, 0) {
			return 0, netTime, fmt.Errorf("dip: the output at iteration %d is not finite; the training diverged: lower the learning rate (now %g)", t, cfg.Opt.LR)
		}
		tr.f.Pix[i] = fv
		r := tr.weights[i] * (fv - target[i])
		loss += r * r
	}
	if !cfg.SumLoss {
		loss /= float64(len(tr.f.Pix))
	}
	return loss, netTime, nil
}

// track updates what follows every output: the start f_0, the
// exponential average, the average after burn-in and the best PSNRs. It
// returns the PSNR of f_t.
func (tr *trainer) track(t int) (float64, error) {
	cfg, st, f := tr.cfg, tr.st, tr.f
	if t == 0 {
		st.start = append([]float64(nil), f.Pix...)
		if err := tr.meter.SetStart(f); err != nil {
			return 0, err
		}
	}
	if cfg.ExpAvg > 0 {
		if st.avg == nil {
			st.avg = append([]float64(nil), f.Pix...)
		} else {
			w := cfg.ExpAvg
			for i, v := range f.Pix {
				st.avg[i] = w*st.avg[i] + (1-w)*v
			}
		}
	}
	if cfg.BurnIn >= 0 && t >= cfg.BurnIn && (t-cfg.BurnIn)%cfg.SampleEvery == 0 {
		if st.mean == nil {
			st.mean = make([]float64, len(f.Pix))
		}
		for i, v := range f.Pix {
			st.mean[i] += v
		}
		st.samples++
	}
	clean, clip := cfg.Problem.Clean.Pix, cfg.Problem.clips()
	psnr := imageio.PSNRValues(f.Pix, clean, clip)
	if psnr > st.best.PSNR {
		st.best = Best{PSNR: psnr, Iter: t}
		st.bestOut = append(st.bestOut[:0], f.Pix...)
	}
	if st.avg != nil {
		if p := imageio.PSNRValues(st.avg, clean, clip); p > st.bestAvg.PSNR {
			st.bestAvg = Best{PSNR: p, Iter: t}
		}
	}
	return psnr, nil
}

// measure makes the measurement of iteration t (PSNRs, FBC bands,
// residual ratios), keeps it and sends it to the observer.
func (tr *trainer) measure(t int, loss, psnr float64, stepTime time.Duration) error {
	cfg, st, f := tr.cfg, tr.st, tr.f
	t1 := time.Now()
	clean, clip := cfg.Problem.Clean.Pix, cfg.Problem.clips()
	m := Measurement{Iter: t, Loss: loss, PSNR: psnr, PSNRAvg: math.NaN(), PSNRMean: math.NaN()}
	m.PSNRTarget = imageio.PSNRValues(f.Pix, cfg.Problem.Target.Pix, clip)
	ev := Event{Output: f.Clone()}
	if st.avg != nil {
		ev.Average = tr.average()
		m.PSNRAvg = imageio.PSNRValues(st.avg, clean, clip)
	}
	if st.samples > 0 {
		ev.Mean = tr.mean()
		m.PSNRMean = imageio.PSNRValues(ev.Mean.Pix, clean, clip)
	}
	var err error
	if m.FBC, err = tr.meter.FBC(f); err != nil {
		return err
	}
	if m.Ratio, err = tr.meter.Ratios(f); err != nil {
		return err
	}
	st.measSec += time.Since(t1).Seconds()
	m.Seconds = st.trainSec + stepTime.Seconds()
	st.ms = append(st.ms, m)
	ev.Measurement = m
	if tr.obs != nil {
		return tr.obs(ev)
	}
	return nil
}

// backward computes the gradient of the loss at f_t and updates the
// parameters; it returns the time spent in the network and the update.
func (tr *trainer) backward(t int) (time.Duration, error) {
	cfg, f := tr.cfg, tr.f
	n := len(f.Pix)
	// d loss / d f: DIP's mean squared error, or the data term of the
	// Langevin potential.
	scale := 2 / float64(n)
	if cfg.SumLoss {
		scale = 2
	}
	if cfg.Opt.Kind == SGLD {
		scale = 1 / (cfg.Opt.NoiseStd * cfg.Opt.NoiseStd)
	}
	dy := tr.dy.Data().([]float32)
	target := cfg.Problem.Target.Pix
	if cfg.PixelBatch > 0 {
		if tr.counts == nil {
			tr.counts = make([]float64, f.W*f.H)
		}
		pixelCounts(tr.counts, cfg.PixelBatch, cfg.Seed, t)
		pixelBatchGrad(dy, f.Pix, target, tr.weights, tr.counts, f.C, cfg.SumLoss)
	} else {
		for i, v := range f.Pix {
			dy[i] = float32(scale * tr.weights[i] * tr.weights[i] * (v - target[i]))
		}
	}
	tb := time.Now()
	tr.net.ZeroGrad()
	if err := tr.net.Backward(tr.dy); err != nil {
		return 0, err
	}
	if err := tr.st.opt.step(t); err != nil {
		return 0, err
	}
	return time.Since(tb), nil
}

// average returns a copy of the exponential average (empty when off).
func (tr *trainer) average() imageio.Image {
	if tr.st.avg == nil {
		return imageio.Image{}
	}
	return imageOf(tr.cfg.Problem.Target, append([]float64(nil), tr.st.avg...))
}

// mean returns the average after burn-in (empty before it).
func (tr *trainer) mean() imageio.Image {
	st := tr.st
	if st.samples == 0 {
		return imageio.Image{}
	}
	m := make([]float64, len(st.mean))
	for i, v := range st.mean {
		m[i] = v / float64(st.samples)
	}
	return imageOf(tr.cfg.Problem.Target, m)
}

// result returns the outcome so far: the outputs of the last computed
// iteration, the averages, the best PSNRs and the timings.
func (tr *trainer) result() Result {
	st, img := tr.st, tr.cfg.Problem.Target
	r := Result{
		Measurements: st.ms, BinCenters: tr.meter.BinCenters(), Iter: tr.last, Complete: tr.last == tr.cfg.Iters,
		Output: tr.f.Clone(), Start: imageOf(img, append([]float64(nil), st.start...)), Average: tr.average(), Mean: tr.mean(),
		Samples: st.samples, Best: st.best, BestAverage: st.bestAvg, MeasureSeconds: st.measSec,
		Seconds: st.trainSec + st.measSec, Net: tr.net,
	}
	if st.bestOut != nil {
		r.BestOutput = imageOf(img, append([]float64(nil), st.bestOut...))
	}
	if st.stepCount > 0 {
		r.StepSeconds = st.trainSec / float64(st.stepCount)
		r.NetSeconds = st.netSec / float64(st.stepCount)
	}
	return r
}
