package experiments

import (
	"fmt"
	"strings"

	"github.com/dipgp/dipgp/dip"
)

func init() {
	register(Experiment{
		Name: "shi-stopping",
		Summary: "Shi et al.'s blur/sharpness stopping rule against the kernel's stopping iteration and the oracle best " +
			"iteration on the 9-image set: PSNR lost against the oracle per image, mean ± sd, paired difference with SE, " +
			"with Adam (the kernel's clock fitted to the run) and gradient descent at the kernel's stable LR (a priori).",
		Paper:      "Shi et al. (IJCV 2022), the automatic stopping rule (code/denoising.py, ratio_iter and ratio_epsilon)",
		Images:     shiImages,
		Shardable:  true,
		ShardUnits: "images (each trained with every optimizer)",
		TinyCost:   "about 1 s (measured): 16x16, shi-decoder with 2 scales of 8 channels, 60 iterations, 2 images, 1 seed",
		QuickCost: "about 14 CPU-min (measured: 0.78 CPU-min per run with its kernel comparison, 18 runs; 11 to 14 min wall " +
			"in 2 shards on a 2-core machine at load 9): 48x48 centre crops, shi-decoder with 3 scales of 24 channels, 3000 " +
			"iterations measured every 3, Adam LR 0.01 and gd at 0.9 x the kernel's stable LR, the 9 images, 1 seed (run --seed 2 for a second replicate)",
		FullCost: "days (estimated): 256x256 crops, their decoder (5 scales, 128 channels), Adam LR 0.001 for 10000 " +
			"iterations measured every iteration, the 9 images, 2 seeds",
		run:        runShiStopping,
		TakesIters: true,
	})
}

// shiStopSize returns the stopping comparison's size: quick is long enough
// for Shi et al.'s rule (n = 100) and the kernel's best iteration to fall
// inside the run.
func (e *env) shiStopSize() shiSize {
	return e.shiSize(
		shiSize{shiNet{16, 2, 8, 60, 1, 0.01}, 2, 1},
		shiSize{shiNet{48, 3, 24, 3000, 3, 0.01}, 9, 1},
		shiSize{shiNet{256, 5, 128, 10000, 1, 0.001}, 9, 2})
}

func runShiStopping(e *env) error {
	m := e.shiStopSize()
	e.md("## Setting\n\nShi et al.'s decoder (`shi-decoder`, denoising/models/decoder.py and code/models/common.py of "+
		"shizenglin/Measure-and-Control-Spectral-Bias) at %d scales of %d channels on %dx%d centre crops with Gaussian noise "+
		"of std 25/255 (code/denoising.py), no input noise, no averaging, %d iterations measured every %d, %d image(s) x "+
		"%d seed(s).", m.scales, m.channels, m.side, m.side, m.iters, m.every, m.images, m.seeds)
	return e.shiStopping(m)
}

// shiStopOpts are the stopping comparison's optimizers: Adam at the mode's
// LR and gd at 0.9 times the kernel's stable LR.
func shiStopOpts(m shiSize, k *dip.Kernel) []dip.Optimizer {
	return []dip.Optimizer{{Kind: dip.Adam, LR: m.lr}, {Kind: dip.GD, LR: 0.9 * k.StableLR(3*m.side*m.side)}}
}

// shiStopKeys names the numbers of one stopping run in a unit.
var shiStopKeys = []string{"oracle_iter", "oracle_psnr", "shi_iter", "shi_fired", "shi_psnr", "kernel_iter", "kernel_psnr",
	"kernel_best_iter"}

func shiStopPrefix(opt dip.Optimizer, seed int) string { return fmt.Sprintf("%s_s%d_", opt.Kind, seed) }

// shiStopUnit trains image im with every optimizer and seed.
func (e *env) shiStopUnit(m shiSize, k *dip.Kernel, spec string, im int) (unitData, error) {
	u := unitData{Numbers: map[string]float64{}}
	file := shiImages[im]
	for sd := 0; sd < m.seeds; sd++ {
		for _, opt := range shiStopOpts(m, k) {
			r, err := e.shiStopRun(m, k, spec, file, opt, e.seed(500+im+1000*sd))
			if err != nil {
				return u, err
			}
			fired := 0.0
			if r.fired {
				fired = 1
			}
			p := shiStopPrefix(opt, sd)
			for i, v := range []float64{float64(r.oracleIter), r.oracle, float64(r.shiIter), fired, r.shi,
				float64(r.kernelIter), r.kernel, r.kernelBest} {
				u.Numbers[p+shiStopKeys[i]] = v
			}
			if err := e.step(fmt.Sprintf("stopping: %s seed %d (%s)", file, sd+1, opt.Kind)); err != nil {
				return u, err
			}
		}
	}
	return u, nil
}

// shiStopOf reads a run back from a unit's numbers.
func shiStopOf(u unitData, p string) shiStopResult {
	n := func(k string) float64 { return u.Numbers[p+k] }
	return shiStopResult{oracleIter: int(n("oracle_iter")), oracle: n("oracle_psnr"), shiIter: int(n("shi_iter")),
		fired: n("shi_fired") == 1, shi: n("shi_psnr"), kernelIter: int(n("kernel_iter")), kernel: n("kernel_psnr"),
		kernelBest: n("kernel_best_iter")}
}

func shortName(file string) string { return strings.TrimPrefix(file, "denoising9/") }
