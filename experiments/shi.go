package experiments

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/gp"
)

func init() {
	register(Experiment{
		Name: "shi-controls",
		Summary: "Shi et al.'s spectral-bias controls (Lipschitz-controlled convs with lambda, Gaussian up-sampling with sigma, " +
			"mean-only batch norm): the kernel's predicted spectrum (half-power frequency, slope) for each lambda and sigma " +
			"against FBC band speeds and PSNR curves measured by training. Their stopping rule is shi-stopping.",
		Paper:      "Shi et al. (IJCV 2022), the lambda and sigma sweeps and the late PSNR decline",
		Images:     shiImages,
		Shardable:  true,
		ShardUnits: "(setting, image, seed) runs",
		TinyCost: "about 1 s (measured): 16x16, shi-decoder with 2 scales of 8 channels, 3 settings, 60 iterations per run, " +
			"1 image and 1 seed",
		QuickCost: "about 20 CPU-min (measured: 0.36 CPU-min per run, 54 runs; about 10 min on 2 free cores, or shard it): " +
			"48x48 centre crops, shi-decoder with 3 scales of 24 channels, Adam LR 0.01 for 600 iterations measured every 3; " +
			"9 settings on 3 images x 2 seeds",
		FullCost: "days (estimated): 256x256 crops, their decoder (5 scales, 128 channels), Adam LR 0.001 for 10000 iterations " +
			"measured every iteration, 9 settings on the 9 images x 2 seeds (162 runs: shard them)",
		run:        runShiControls,
		TakesIters: true,
	})
}

// shiImages are Shi et al.'s 9 denoising images (code/denoising.py).
var shiImages = []string{"denoising9/image_F16_512rgb.png", "denoising9/image_House256rgb.png", "denoising9/kodim03.png",
	"denoising9/image_Baboon512rgb.png", "denoising9/image_Lena512rgb.png", "denoising9/image_Peppers512rgb.png",
	"denoising9/kodim01.png", "denoising9/kodim02.png", "denoising9/kodim12.png"}

// shiSetting is one point of the sweeps.
type shiSetting struct {
	key, label string
	lambda     float64
	sigma      string // "" for bilinear up-sampling
}

// shiNet is the network and training run of a mode, common to
// shi-controls and shi-stopping.
type shiNet struct {
	side, scales, channels, iters, every int
	lr                                   float64
}

// shiSize is the size of a mode of a Shi experiment: the run, and the
// images and seeds it is repeated on (shi-controls: per setting of the
// sweep; shi-stopping: per stopping comparison).
type shiSize struct {
	shiNet
	images, seeds int
}

// shiSize returns the mode's size, with --iters applied.
func (e *env) shiSize(tiny, quick, full shiSize) shiSize {
	m := pick(e.cfg.Mode, tiny, quick, full)
	if e.cfg.Iters > 0 {
		m.iters = e.cfg.Iters
	}
	return m
}

// shiControlsSize returns shi-controls' size. Full is Shi et al.'s
// code/denoising.py (Adam, LR 0.001, 10000 iterations, lambda 1.4, input
// depth 32) with denoising/models/decoder.py's 5 scales of 128 channels.
func (e *env) shiControlsSize() shiSize {
	return e.shiSize(
		shiSize{shiNet{16, 2, 8, 60, 1, 0.01}, 1, 1},
		shiSize{shiNet{48, 3, 24, 600, 3, 0.01}, 3, 2},
		shiSize{shiNet{256, 5, 128, 10000, 1, 0.001}, 9, 2})
}

// shiSettings are the sweeps: no control, lambda with bilinear
// up-sampling, and sigma without Lipschitz control.
func shiSettings() []shiSetting {
	s := []shiSetting{{"none", "no control (bilinear)", 0, ""}}
	for _, l := range []float64{2, 1.4, 1, 0.7} {
		s = append(s, shiSetting{fmt.Sprintf("lambda%g", l), fmt.Sprintf("lambda = %g", l), l, ""})
	}
	for _, g := range []string{"0.1", "0.3", "0.5", "1"} {
		s = append(s, shiSetting{"sigma" + g, "sigma = " + g, 0, g})
	}
	return s
}

func (m shiNet) spec(s shiSetting, out int) string {
	spec := fmt.Sprintf("shi-decoder:scales=%d,channels=%d,in_channels=%d,out_channels=%d,lipschitz=%g",
		m.scales, m.channels, min(32, m.channels), out, s.lambda)
	if s.sigma != "" {
		spec += ",up_sigma=" + s.sigma
	}
	return spec
}

func runShiControls(e *env) error {
	m := e.shiControlsSize()
	sets := shiSettings()
	if e.cfg.Mode == Tiny {
		sets = []shiSetting{sets[0], sets[3], sets[7]}
	}
	e.steps(len(sets) * (1 + m.images*m.seeds))
	e.md("## Setting\n\nShi et al.'s decoder (`shi-decoder`, denoising/models/decoder.py and code/models/common.py of "+
		"shizenglin/Measure-and-Control-Spectral-Bias) at %d scales of %d channels on %dx%d centre crops with Gaussian noise "+
		"of std 25/255 (code/denoising.py); Adam with LR %g (theirs: 0.001 over 10000 iterations; tiny and quick modes use "+
		"DIP's 0.01 to reach the late decline in fewer iterations), no input noise, no averaging, %d iterations measured "+
		"every %d; sweep on %d image(s) x %d seed(s). Lipschitz control lambda applies to every 3x3 conv; Gaussian "+
		"up-sampling uses one sigma at every level. The kernel's numbers are those of the infinite-width network "+
		"(docs/theory.md section 11), computed before any training: NNGP and NTK spectra of the output before the "+
		"sigmoid (half-power frequency, and the NNGP's power-law slope over [%g, %g] cycles/pixel).",
		m.scales, m.channels, m.side, m.side, m.lr, m.iters, m.every, m.images, m.seeds, gp.DefaultFitLo, gp.DefaultFitHi)
	sw, done, err := e.shiSweep(m, sets)
	if !done && (e.cfg.Shards > 1 || err == nil) {
		return e.shardNote(err, len(sets)*m.images*m.seeds)
	}
	if rerr := e.shiSweepReport(m, sets, sw); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// shiTrainRun is a run with its configuration.
type shiTrainRun struct {
	cfg dip.Config
	res dip.Result
}

func (e *env) shiProblem(m shiNet, file string) (dip.Problem, error) {
	clean, _, err := e.testImage(file, m.side, 3)
	if err != nil {
		return dip.Problem{}, err
	}
	return dip.NewProblem(clean, dip.TaskOptions{Task: dip.Denoise, Sigma: 25, Seed: e.seed(1)})
}

func (e *env) shiTrain(m shiNet, a arch.Arch, spec, file string, opt dip.Optimizer, seed uint64,
	obs dip.Observer) (*shiTrainRun, error) {
	p, err := e.shiProblem(m, file)
	if err != nil {
		return nil, err
	}
	cfg := dip.Config{Arch: a, Problem: p, Opt: opt, Iters: m.iters, Every: m.every, Seed: seed, BurnIn: -1}
	label := spec + " on " + file
	prog := e.sub(label + ": iteration")
	res, err := dip.Train(e.ctx, cfg, func(ev dip.Event) error {
		prog(ev.Measurement.Iter, cfg.Iters)
		if obs != nil {
			return obs(ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return &shiTrainRun{cfg: cfg, res: res}, nil
}
