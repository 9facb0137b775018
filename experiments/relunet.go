package experiments

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
)

func init() {
	register(Experiment{
		Name: "relunet-vs-dip",
		Summary: "Chakrabarty and Maji's comparison of denoising with DIP's skip net, their ReLUNet (an MLP on the " +
			"pixel coordinates) and their DIP-linear (the skip net with fully connected layers), with the skip net with identity " +
			"activations beside them: best and final PSNR, the iteration of the best, and the order in which the FBC bands are " +
			"fitted, over images and seeds, against DIP-linear's infinite-width NTK (the identity: no spectral bias).",
		Paper: "Chakrabarty and Maji (2019), the ReLUNet and DIP denoising comparison (PCJohn/dip-spectral README.md, " +
			"dip.py, relunet.py, skip.py, make_dataset.py: House256 downsampled by 4, sigma 25)",
		Images:   []string{"house256.png", "cameraman256.png", "peppers256.png"},
		TinyCost: "about 3 s: 1 image downsampled to 16x16 x 2 seeds, toy networks, 30 iterations per run",
		QuickCost: "about 25 min: 2 images downsampled by 4 to 64x64 x 2 seeds; skip net of 32 channels and DIP-linear 128 (1000 " +
			"iterations each), ReLUNet of width 64 (6000 full-batch iterations)",
		FullCost: "about 4 days of 2-core time (estimated; run it sharded: --shard i/n): 3 images at 64x64 x 5 seeds, their widths " +
			"(skip nets of 256 channels, 1000 iterations; ReLUNet 10 layers of 256, 30,000 steps of 2048 random pixels; DIP-linear " +
			"128 and 2048, 1000 iterations)",
		Shardable:  true,
		ShardUnits: "(image, seed) pairs",
		run:        runReLUNetVsDIP,
		TakesIters: true,
	})
}

// rnMethod is one network of the comparison: a preset spec (without
// out_channels and in_channels, set per image) and its run length.
type rnMethod struct {
	key, label, spec string
	iters            int
	batch            int // pixels per step (dip.Config.PixelBatch); 0: every pixel
	every            int // measurement interval; 0: iters / points
}

// rnSetting is a mode's size of relunet-vs-dip.
type rnSetting struct {
	factor  int // downsampling factor of the 256x256 images
	images  []string
	seeds   int
	points  int // measurements per run
	methods []rnMethod
}

// Their settings: dip.py's argparse defaults (Adam lr 0.001, 1000
// iterations, n_ch 256, depth 5, skip 4, LeakyReLU, bilinear; skip.py's
// zero padding; input: torch.randn with as many channels as the image) and
// relunet.py's (depth 10, hid_size 256, lr 0.001, 30000 iterations).
const (
	rnLR        = 0.001
	rnSigma     = 25.0
	rnSkipSpec  = "dip-skip:scales=%d,channels=%d,skip=4,input=gaussian,in_scale=1,pad=zero,up=bilinear,act=%s"
	rnReLUSpec  = "relunet:depth=%d,width=%d"
	rnFCSpec    = "dip-fc:scales=%d,channels=%d"
	rnHalfLevel = 0.5  // a band counts as half fitted once its residual ratio falls to this
	rnReLUBatch = 2048 // relunet.py's --bz: random pixels per step, with replacement
	// rnQuickReLUIters is the quick mode's ReLUNet run, full batch: as long
	// as quick mode affords (house256 at 64x64, width 64, one seed levels
	// off at 23.89 dB by step 5500; other pairs still rise at 6000, and
	// with 2048 random pixels per step it rises more slowly: measured,
	// REPRODUCTION.md).
	rnQuickReLUIters = 6000
)

func (e *env) relunetSetting() rnSetting {
	m := e.cfg.Mode
	scales := pick(m, 2, 5, 5)
	ch := pick(m, 8, 32, 256)
	dipIters := pick(m, 30, 1000, 1000)
	st := rnSetting{
		factor: pick(m, 16, 4, 4),
		images: pick(m, []string{"house256.png"}, []string{"house256.png", "cameraman256.png"},
			[]string{"house256.png", "cameraman256.png", "peppers256.png"}),
		seeds:  pick(m, 2, 2, 5),
		points: pick(m, 10, 100, 200),
		methods: []rnMethod{
			{"dip", "DIP skip net", fmt.Sprintf(rnSkipSpec, scales, ch, "leakyrelu"), dipIters, 0, 0},
			{"relunet", "ReLUNet (MLP on coordinates)", fmt.Sprintf(rnReLUSpec, pick(m, 3, 10, 10), pick(m, 16, 64, 256)),
				pick(m, 30, rnQuickReLUIters, 30000), pick(m, rnReLUBatch, 0, rnReLUBatch), 0},
		},
	}
	if m != Quick {
		// dipgp's addition, left out of quick mode for time.
		st.methods = append(st.methods, rnMethod{"identity", "skip net, identity activations",
			fmt.Sprintf(rnSkipSpec, scales, ch, "identity"), dipIters, 0, 0})
	}
	// Their DIP-128 and DIP-2048 (README.md: dip.py --linear --n_ch_up 128 --n_ch_down 128, and 2048).
	for _, w := range pick(m, []int{16}, []int{128}, []int{128, 2048}) {
		st.methods = append(st.methods, rnMethod{fmt.Sprintf("fc%d", w), fmt.Sprintf("DIP-linear %d (dip-fc)", w),
			fmt.Sprintf(rnFCSpec, scales, w), dipIters, 0, pick(m, 1, 2, 2)})
	}
	if e.cfg.Iters > 0 {
		for i := range st.methods {
			st.methods[i].iters = e.cfg.Iters
		}
	}
	return st
}

// downsample resizes img by an integer factor f as cv2.resize's default
// (bilinear, no anti-aliasing) does: output pixel i reads the source at
// f i + (f-1)/2, interpolating linearly between its two neighbours.
func downsample(img imageio.Image, f int) imageio.Image {
	w, h := img.W/f, img.H/f
	out := imageio.New(w, h, img.C)
	src := func(i, n int) (int, int, float64) {
		s := float64(i)*float64(f) + float64(f-1)/2
		i0 := int(math.Floor(s))
		i1 := min(i0+1, n-1)
		return i0, i1, s - float64(i0)
	}
	for c := 0; c < img.C; c++ {
		for y := 0; y < h; y++ {
			y0, y1, fy := src(y, img.H)
			for x := 0; x < w; x++ {
				x0, x1, fx := src(x, img.W)
				at := func(yy, xx int) float64 { return img.Pix[(yy*img.W+xx)*img.C+c] }
				top := (1-fx)*at(y0, x0) + fx*at(y0, x1)
				bot := (1-fx)*at(y1, x0) + fx*at(y1, x1)
				out.Pix[(y*w+x)*img.C+c] = (1-fy)*top + fy*bot
			}
		}
	}
	return out
}

// rnRun is one training run of the comparison, as stored in a shard's
// unit file.
type rnRun struct {
	Image    string      `json:"image"`
	Seed     int         `json:"seed"`
	Method   string      `json:"method"`
	Best     float64     `json:"best"`
	BestIter int         `json:"best_iter"`
	Final    float64     `json:"final"`
	Iters    []int       `json:"iters"`
	PSNR     []float64   `json:"psnr"`
	FBC      [][]float64 `json:"fbc"`
	Resid    [][]float64 `json:"resid"`        // residual ratio per band (bands of radial bins)
	StepSec  float64     `json:"step_seconds"` // mean wall time of a training step
}

// halfFit returns, per band, the first measured iteration at which the
// residual ratio |F(f_t - y)| / |F(f_0 - y)| of the band falls to
// rnHalfLevel (NaN when it never does).
func (r rnRun) halfFit() []float64 {
	out := make([]float64, dip.FBCBands)
	for b := range out {
		out[b] = math.NaN()
		for i, h := range r.Resid {
			if h[b] <= rnHalfLevel {
				out[b] = float64(r.Iters[i])
				break
			}
		}
	}
	return out
}

// fbcAt returns the FBC bands at the measurement closest to iteration it.
func (r rnRun) fbcAt(it int) []float64 {
	best := 0
	for i, t := range r.Iters {
		if abs(t-it) < abs(r.Iters[best]-it) {
			best = i
		}
	}
	return r.FBC[best]
}

// lowFirst reports whether the bands reach half fit in order, lowest
// first (a band never fitted comes after every fitted one).
func lowFirst(half []float64) bool {
	for b := 1; b < len(half); b++ {
		lo, hi := half[b-1], half[b]
		if math.IsNaN(lo) && !math.IsNaN(hi) || !math.IsNaN(lo) && !math.IsNaN(hi) && hi < lo {
			return false
		}
	}
	return true
}

func runReLUNetVsDIP(e *env) error {
	st := e.relunetSetting()
	ps := pairsOf(st.images, st.seeds)
	e.steps(len(ps))
	total := 0
	for _, mt := range st.methods {
		total += mt.iters
	}
	runs, done, err := e.rnPairs(ps, total, func(p pair) ([]rnRun, error) { return e.rnPair(st, p) })
	e.rnSettingMD(st)
	if err != nil || !done {
		return e.shardNote(err, len(ps))
	}
	return e.rnReport(st, runs, len(ps))
}

// rnPair trains the three networks on one (image, seed) pair.
func (e *env) rnPair(st rnSetting, p pair) ([]rnRun, error) {
	img, _, err := e.testImage(p.image, 0, 1)
	if err != nil {
		return nil, err
	}
	clean := downsample(img, st.factor)
	prob, err := dip.NewProblem(clean, dip.TaskOptions{Task: dip.Denoise, Sigma: rnSigma, Seed: e.seed(700 + p.seed)})
	if err != nil {
		return nil, err
	}
	var out []rnRun
	for _, mt := range st.methods {
		spec := fmt.Sprintf("%s,out_channels=%d", mt.spec, clean.C)
		if mt.key != "relunet" {
			spec += fmt.Sprintf(",in_channels=%d", clean.C)
		}
		a, err := parseArch(spec, []int{clean.H, clean.W})
		if err != nil {
			return nil, err
		}
		every := max(1, mt.iters/st.points)
		if mt.every > 0 {
			// DIP-linear fits within tens of iterations: measure densely
			// enough to time its bands.
			every = mt.every
		}
		cfg := dip.Config{Problem: prob, Arch: a, Iters: mt.iters, Every: every, Seed: e.seed(800 + p.seed),
			Opt: dip.Optimizer{Kind: dip.Adam, LR: rnLR}, BurnIn: -1, Bins: 2 * dip.FBCBands, PixelBatch: mt.batch}
		r, err := e.train(fmt.Sprintf("%s, %s, seed %d", p.image, mt.label, p.seed), spec, cfg, false)
		if err != nil {
			return out, err
		}
		ms := r.res.Measurements
		run := rnRun{Image: p.image, Seed: p.seed, Method: mt.key, Best: r.res.Best.PSNR, BestIter: r.res.Best.Iter,
			Final: ms[len(ms)-1].PSNR, StepSec: r.res.StepSeconds}
		for _, m := range ms {
			run.Iters = append(run.Iters, m.Iter)
			run.PSNR = append(run.PSNR, m.PSNR)
			run.FBC = append(run.FBC, m.FBC)
			run.Resid = append(run.Resid, bandsOf(m.Ratio, dip.FBCBands))
		}
		out = append(out, run)
	}
	return out, nil
}

func (e *env) rnSettingMD(st rnSetting) {
	e.md("## Setting\n\n%d image(s) (%v, grey) downsampled by %d with cv2.resize's bilinear rule (make_dataset.py), "+
		"Gaussian noise of std %g/255 re-drawn per seed, x %d seeds (each seed re-draws the noise, the network and its input). "+
		"Every network is trained with Adam, lr %g, on the full image, without input perturbation or averaging. Networks:",
		len(st.images), st.images, st.factor, rnSigma, st.seeds, rnLR)
	var rows [][]string
	for _, mt := range st.methods {
		b := "every pixel"
		if mt.batch > 0 {
			b = fmt.Sprintf("%d random pixels", mt.batch)
		}
		rows = append(rows, []string{mt.label, "`" + mt.spec + "`", fmt.Sprint(mt.iters), b})
	}
	e.table([]string{"network", "preset (out_channels and in_channels set per image)", "iterations", "loss per step on"}, rows)
	e.md("Departures from the authors' code: in full mode the ReLUNet is trained as relunet.py does, Adam lr %g on %d random "+
		"pixels per step drawn with replacement (dip's PixelBatch), 30,000 steps; quick mode trains it on every pixel at every "+
		"step (full batch, the same expected gradient), which reaches its best PSNR within its 6000 steps where the 2048-pixel "+
		"minibatch does not (measured on house256: REPRODUCTION.md). Their noisy images are clipped to "+
		"[0, 1] and saved as 8-bit PNG; dipgp's noisy target is not. Their DIP-128 and DIP-2048 (README.md: `dip.py --linear`) "+
		"are skip.py with use_fc: every conv replaced by nn.Linear on the flattened tensor, no batch norm or up-sampling, "+
		"LeakyReLU kept, a last nn.Linear to the image and the sigmoid; that is the dip-fc preset, without skip branches: "+
		"skip.py's use_fc skip branch (Flatten, concatenated) cannot run as stored (the nn.Linear after it expects "+
		"num_channels_skip + k inputs, the branch gives the whole flattened tensor, and utils.Concat reads shape[2] of a 2-D "+
		"tensor), and the stored dip.py has no --linear flag to say how they ran it. The skip net with identity activations "+
		"(a linear convolutional network with the sigmoid output) is dipgp's addition, not their DIP-linear.", rnLR, rnReLUBatch)
}

// bandsOf averages the residual ratios of the radial bins (lowest
// frequency first) over n contiguous groups of bins.
func bandsOf(ratio []float64, n int) []float64 {
	out := make([]float64, n)
	for b := range out {
		lo, hi := b*len(ratio)/n, (b+1)*len(ratio)/n
		var s float64
		for _, v := range ratio[lo:hi] {
			s += v
		}
		out[b] = s / float64(max(1, hi-lo))
	}
	return out
}
