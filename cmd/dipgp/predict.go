package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/plotting"
)

func init() {
	register("predict", "Training dynamics that gradient descent on the NTK predicts for denoising an image or a 1-D signal: per-frequency residuals, FBC bands, PSNR curve and best stopping iteration.", &predictCmd{})
}

type predictCmd struct {
	kernelFlags
	imageFlags
	Signal string  `help:"Clean 1-D signal for a 1-D architecture (dims=1): a .npy of N values, or a .csv/.txt of N numbers in one column or one row; default: a synthetic signal of --size samples."`
	Sigma  float64 `help:"Noise standard deviation on the 0..255 scale." default:"25"`
	Seed   uint64  `help:"Seed of the noise." default:"1"`
	LR     float64 `help:"Gradient-descent step eta (0 = 1/lambda_max, half the divergence limit 2/lambda_max)." name:"lr"`
	Iters  int     `help:"Number of iterations." default:"5000"`
	F0     float64 `help:"Constant initial output f_0 (0.5 mimics a sigmoid output at initialization)." name:"f0"`
	Out    string  `help:"Output folder." default:"out/predict"`
	JSON   bool    `help:"Print the summary as JSON on stdout." name:"json"`
}

func (c *predictCmd) Help() string {
	return "Linearized plain gradient descent on 1/2 ||f - y||^2 with step eta and the NTK Theta of the architecture's pre-activation output " +
		"(NTK parameterization, without the final activation): f_t = y - (I - eta Theta)^t (y - f_0), y = clean + noise (docs/theory.md section 5). " +
		"Writes psnr.csv (iteration, expected PSNR: the noise-averaged error per mode (1 - eta lambda)^(2t) |x - f_0|^2 + (1 - (1 - eta lambda)^t)^2 sigma^2; " +
		"realized PSNR: the seeded noise realization), fbc.csv (FBC bands H_1..H_5 of Shi et al. on the grayscale images), residual.csv " +
		"(predicted |F(f_t - y)| / |F(f_0 - y)| per radial ring), decay.csv ((1 - eta lambda)^t per ring), rings.csv (ring frequency, mean " +
		"NTK eigenvalue, half-fit iteration), psnr.png, fbc.png, residual.png and summary.json (best stopping iteration and PSNR). Iterations up " +
		"to 2000 are all reported, later ones log-spaced. Adam, batch-norm statistics and the output sigmoid break this linear picture."
}

type predictSummary struct {
	Arch             string    `json:"arch"`
	Image            string    `json:"image"`
	Size             []int     `json:"size"`
	Sigma255         float64   `json:"sigma_255"`
	Seed             uint64    `json:"seed"`
	LR               float64   `json:"lr"`
	Iters            int       `json:"iters"`
	F0               float64   `json:"f0"`
	LambdaMax        float64   `json:"lambda_max"`
	MaxLR            float64   `json:"max_stable_lr"`
	BestIter         int       `json:"best_iter_expected"`
	BestAtHorizon    bool      `json:"best_at_horizon"`
	BestPSNR         jsonFloat `json:"best_psnr_expected_db"`
	BestIterRealized int       `json:"best_iter_realized"`
	BestPSNRRealized jsonFloat `json:"best_psnr_realized_db"`
	FinalPSNR        jsonFloat `json:"final_psnr_expected_db"`
	NoisyPSNR        jsonFloat `json:"noisy_psnr_db"`
	Note             string    `json:"note"`
	Seconds          float64   `json:"seconds"`
}

func (c *predictCmd) Run(ctx context.Context, g *Globals) error {
	start := time.Now()
	if c.Sigma < 0 || c.Sigma > 255 {
		return fmt.Errorf("--sigma %g must be in [0, 255]", c.Sigma)
	}
	if c.Iters < 1 {
		return fmt.Errorf("--iters %d must be at least 1", c.Iters)
	}
	if c.LR < 0 {
		return fmt.Errorf("--lr %g must be positive (0 = 1/lambda_max)", c.LR)
	}
	a, err := parseArch(c.Arch, 0)
	if err != nil {
		return err
	}
	clean, name, err := c.load(a)
	if err != nil {
		return err
	}
	if err := prepareOut(c.Out, g, false, c.Image, c.Signal, c.Arch); err != nil {
		return err
	}
	size := gridOf(clean)
	_, ntk, err := computeKernels(ctx, g, a, size, true, c.kernelFlags)
	if err != nil {
		return err
	}
	p, err := c.kernelFlags.prior(ntk)
	if err != nil {
		return err
	}
	lr := c.LR
	if lr == 0 {
		lr = 1 / p.MaxEigenvalue()
	}
	noisy := imageio.AddNoise(clean, c.Sigma/255, c.Seed)
	y := channels(noisy)
	f0 := make([][]float64, clean.C)
	for ch := range f0 {
		f0[ch] = make([]float64, p.Points())
		for i := range f0[ch] {
			f0[ch][i] = c.F0
		}
	}
	pr, err := p.Predict(y, gp.PredictOptions{LR: lr, Iters: c.Iters, F0: f0, Clean: channels(clean), Noise: c.Sigma / 255})
	if err != nil {
		return err
	}
	sum := predictSummary{Arch: a.String(), Image: name, Size: size, Sigma255: c.Sigma, Seed: c.Seed, LR: lr, Iters: c.Iters, F0: c.F0,
		LambdaMax: pr.LambdaMax, MaxLR: pr.MaxLR, BestIter: pr.BestIter, BestPSNR: jsonFloat(pr.BestPSNR),
		BestIterRealized: pr.BestIterRealized, BestPSNRRealized: jsonFloat(pr.BestPSNRRealized),
		FinalPSNR: jsonFloat(pr.PSNRExpected[len(pr.PSNRExpected)-1]), Note: p.Note()}
	sum.NoisyPSNR = psnr(noisy, clean)
	if clean.H == 1 { // a signal's values are not clipped to [0, 1]
		sum.NoisyPSNR = jsonFloat(imageio.PSNRValues(noisy.Pix, clean.Pix, false))
	}
	sum.BestAtHorizon = pr.BestIter >= c.Iters
	if sum.BestAtHorizon {
		sum.Note += fmt.Sprintf("; the expected PSNR still rises at the last iteration %d: the optimum lies beyond --iters", c.Iters)
	}
	sum.Seconds = time.Since(start).Seconds()
	if err := c.write(pr); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(c.Out, "summary.json"), sum, c.JSON); err != nil {
		return err
	}
	if !c.JSON {
		fmt.Printf("predicted gradient descent on the NTK of %s, %s, sigma %g, lr %.4g (divergence at %.4g), %d iterations\n", sum.Arch, name, c.Sigma, lr, pr.MaxLR, c.Iters)
		best := fmt.Sprintf("best stopping iteration %d", pr.BestIter)
		if sum.BestAtHorizon {
			best = fmt.Sprintf("no optimum within %d iterations (the PSNR still rises at the last one; raise --iters)", c.Iters)
		}
		fmt.Printf("noisy PSNR %.2f dB; %s with expected PSNR %.2f dB (realized noise: %d, %.2f dB); at the end %.2f dB\n",
			sum.NoisyPSNR, best, pr.BestPSNR, pr.BestIterRealized, pr.BestPSNRRealized, sum.FinalPSNR)
		fmt.Println(p.Note())
		fmt.Printf("written to %s\n", c.Out)
	}
	return nil
}

// load returns the clean image (2-D architecture) or signal (1-D).
func (c *predictCmd) load(a arch.Arch) (imageio.Image, string, error) {
	switch a.Dims {
	case 2:
		if c.Signal != "" {
			return imageio.Image{}, "", fmt.Errorf("--signal %s is for 1-D architectures; %s is 2-D: give a 1-D one (e.g. dip-skip:dims=1,scales=3) or an image with --image", c.Signal, a)
		}
		c.imageFlags.maxMem = c.MaxMem
		return c.imageFlags.load(a, true)
	case 1:
		if c.Image != "" {
			return imageio.Image{}, "", fmt.Errorf("--image %s is for 2-D architectures; %s is 1-D (dims=1): give the signal with --signal (.npy or .csv of N values)", c.Image, a)
		}
		x, name, err := loadSignal(a, c.Signal, c.Size)
		return imageio.Image{W: len(x), H: 1, C: 1, Pix: x}, name, err
	}
	return imageio.Image{}, "", fmt.Errorf("--arch %s is %d-D; predict needs images (dims=2) or 1-D signals (dims=1)", a, a.Dims)
}

func (c *predictCmd) write(pr *gp.Prediction) error {
	it := make([]float64, len(pr.Iters))
	for i, t := range pr.Iters {
		it[i] = float64(t)
	}
	rows := make([][]float64, len(it))
	for i := range rows {
		rows[i] = []float64{it[i], pr.PSNRExpected[i], pr.PSNRRealized[i]}
	}
	if err := writeCSV(filepath.Join(c.Out, "psnr.csv"), []string{"iter", "psnr_expected", "psnr_realized"}, rows); err != nil {
		return err
	}
	for i := range rows {
		rows[i] = append([]float64{it[i]}, pr.FBC[i]...)
	}
	if err := writeCSV(filepath.Join(c.Out, "fbc.csv"), []string{"iter", "band1", "band2", "band3", "band4", "band5"}, rows); err != nil {
		return err
	}
	ringHeader := []string{"iter"}
	for _, f := range pr.Freq {
		ringHeader = append(ringHeader, "f="+strconv.FormatFloat(f, 'g', 6, 64))
	}
	for _, file := range []struct {
		name string
		data [][]float64
	}{{"residual.csv", pr.Residual}, {"decay.csv", pr.Decay}} {
		for i := range rows {
			rows[i] = append([]float64{it[i]}, file.data[i]...)
		}
		if err := writeCSV(filepath.Join(c.Out, file.name), ringHeader, rows); err != nil {
			return err
		}
	}
	rings := make([][]float64, len(pr.Freq))
	for k := range rings {
		rings[k] = []float64{pr.Freq[k], pr.Lambda[k], pr.HalfIter[k]}
	}
	if err := writeCSV(filepath.Join(c.Out, "rings.csv"), []string{"frequency", "lambda", "half_fit_iter"}, rings); err != nil {
		return err
	}
	// Figures (log iteration axis; iteration 0 is left out).
	ex, ey := finitePoints(it, pr.PSNRExpected)
	rx, ry := finitePoints(it, pr.PSNRRealized)
	series := []plotting.Series{
		{Name: "expected", X: ex, Y: ey},
		{Name: "realized noise", X: rx, Y: ry, Dashed: true},
	}
	pl, err := plotting.Lines(fmt.Sprintf("Predicted PSNR (best %.2f dB at %d)", pr.BestPSNR, pr.BestIter), "iteration", "PSNR (dB)", series, plotting.Options{LogX: true, LegendLeft: true})
	if err != nil {
		return err
	}
	if err := plotting.Save(pl, filepath.Join(c.Out, "psnr"), 6*vg.Inch, 4*vg.Inch); err != nil {
		return err
	}
	series = nil
	for b := 0; b < 5; b++ {
		y := make([]float64, len(it))
		ok := true
		for i := range y {
			y[i] = pr.FBC[i][b]
			ok = ok && !math.IsNaN(y[i])
		}
		if ok {
			series = append(series, plotting.Series{Name: fmt.Sprintf("band %d", b+1), X: it, Y: y})
		}
	}
	if len(series) > 0 {
		pl, err = plotting.Lines("Predicted FBC bands", "iteration", "H_b(t)", series, plotting.Options{LogX: true, LegendOutside: true})
		if err != nil {
			return err
		}
		if err := plotting.Save(pl, filepath.Join(c.Out, "fbc"), 7*vg.Inch, 4*vg.Inch); err != nil {
			return err
		}
	}
	series = nil
	nr := len(pr.Freq)
	for _, k := range []int{0, nr / 16, nr / 8, nr / 4, nr / 2, nr - 1} {
		if k < 0 || k >= nr || (len(series) > 0 && series[len(series)-1].Name == ringName(pr.Freq[k])) {
			continue
		}
		var x, y []float64
		for i := range it {
			if v := pr.Residual[i][k]; !math.IsNaN(v) && v >= 1e-4 { // plotted down to 1e-4
				x = append(x, it[i])
				y = append(y, v)
			}
		}
		if len(x) > 0 {
			series = append(series, plotting.Series{Name: ringName(pr.Freq[k]), X: x, Y: y})
		}
	}
	if len(series) == 0 {
		return nil
	}
	pl, err = plotting.Lines("Predicted residual ratio |F(f_t - y)| / |F(f_0 - y)|\n(drawn down to 1e-4)", "iteration", "ratio", series, plotting.Options{LogX: true, LogY: true, LegendOutside: true})
	if err != nil {
		return err
	}
	return plotting.Save(pl, filepath.Join(c.Out, "residual"), 8*vg.Inch, 4.5*vg.Inch)
}

func ringName(f float64) string { return fmt.Sprintf("f = %.3g", f) }
