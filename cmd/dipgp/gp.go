package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register("gp", "GP regression with an architecture's infinite-width kernel (or an RBF/Matern baseline): denoising and inpainting.", &gpCmd{})
}

type gpCmd struct {
	Denoise gpDenoiseCmd `cmd:"" help:"Denoise an image (clean image + seeded Gaussian noise) with the GP posterior mean."`
	Inpaint gpInpaintCmd `cmd:"" help:"Fill in the missing pixels of an image (mask from a PNG or a random keep fraction) with the GP posterior mean and variance."`
}

// kernelHelp explains which kernel the GP commands use.
const kernelHelp = "The prior is the NNGP of the architecture's pre-activation output (the network without its final activation, e.g. without the sigmoid): that output is the Gaussian process of the infinite-width limit, while a squashed output is not Gaussian. One GP per channel, sharing the kernel and the hyperparameters."

// kernelFlags are the flags that select and compute a kernel.
type kernelFlags struct {
	Arch    string `help:"Architecture: preset (PRESET:key=value,...) or YAML/JSON file (see 'dipgp arch list')." default:"dip-skip"`
	Approx  string `help:"Cyclostationary kernels: auto (exact Fourier blocks when affordable, else the phase-averaged map), exact, or average (always the phase-averaged, stationary map)." default:"auto" enum:"auto,exact,average"`
	MaxMem  string `help:"Refuse kernel computations whose estimated memory exceeds this (e.g. 8GB, 6GiB). Default: 75% of the machine's memory." name:"max-memory"`
	Workers int    `help:"Goroutines (0 = all cores). Results do not depend on it."`
	bnFlags

	// extra, when not nil, adds a command's own allocations at an output
	// size to the memory estimate (e.g. sample's draws).
	extra     memoryNeed
	extraWhat string
}

func (k kernelFlags) extraBytes(size []int) int64 {
	if k.extra == nil {
		return 0
	}
	return k.extra(size)
}

func (k kernelFlags) approx() gp.Approx {
	switch k.Approx {
	case "exact":
		return gp.Exact
	case "average":
		return gp.PhaseAverage
	}
	return gp.Auto
}

// prior diagonalizes a kernel map as --approx says, warning on stderr
// when an exact factorization will take long.
func (k kernelFlags) prior(m kernel.Map) (*gp.Prior, error) {
	o := gp.PriorOptions{Approx: k.approx(), Workers: k.Workers}
	if w := gp.ExactWork(m); w > 0 && (o.Approx == gp.Exact || (o.Approx == gp.Auto && w <= gp.DefaultMaxWork)) && w > 2e9 {
		fmt.Fprintf(os.Stderr, "dipgp: exact Fourier-block factorization of the period-%d kernel: roughly %.0f s single-threaded\n", m.Period, w*5e-9)
	}
	return gp.NewPrior(m, o)
}

// parseArch parses --arch and checks the number of axes.
func parseArch(spec string, dims int) (arch.Arch, error) {
	c, err := loadArch(spec, dims)
	return c.Arch, err
}

// computeKernels returns the NNGP (and the NTK if ntk) of the
// architecture's pre-activation output at the given output size, with a
// progress bar.
func computeKernels(ctx context.Context, g *Globals, a arch.Arch, size []int, ntk bool, k kernelFlags) (nngp, ntkm kernel.Map, err error) {
	if err := a.Validate(size); err != nil {
		return kernel.Map{}, kernel.Map{}, sizeError(a, size, err)
	}
	pre := a.PreActivation()
	limit, err := memoryLimit(k.MaxMem)
	if err != nil {
		return kernel.Map{}, kernel.Map{}, err
	}
	e, err := kernel.NewEstimate(pre, size, kernel.Options{NTK: ntk})
	if err != nil {
		return kernel.Map{}, kernel.Map{}, err
	}
	// The prior's diagonalization and the command's outputs hold a few
	// more maps.
	need := func(s []int) int64 { return e.Bytes(s) + 4*e.MapBytes(s) + k.extraBytes(s) }
	if err := refuseMemory("the kernel of "+a.String()+k.extraWhat, a, size, limit, need); err != nil {
		return kernel.Map{}, kernel.Map{}, err
	}
	prog := newProgress(g)
	bar := prog.Bar("kernel "+a.String(), 0)
	o := k.apply(kernel.Options{NTK: ntk, Workers: k.Workers, MaxBytes: limit, Progress: bar.Func()})
	nngp, ntkm, rep, err := kernel.ComputeReport(ctx, pre, size, o)
	bar.Done()
	prog.Wait()
	if err == nil {
		warnDegenerate(a, nngp)
		if !g.Quiet {
			printBN(rep)
		}
	}
	return nngp, ntkm, err
}

// imageFlags select the target image.
type imageFlags struct {
	Image string `help:"Clean image (PNG or JPEG, gray or RGB, values taken in [0, 1]); default: a synthetic test image of --size."`
	Size  string `help:"Size of the synthetic image when --image is not given (S or HxW)." default:"128"`
	Gray  bool   `help:"Convert the image to gray."`
	Crop  bool   `help:"Crop the image to the largest centred size the architecture accepts, instead of failing."`

	// maxMem is the command's --max-memory, for the estimate made before
	// a synthetic image is drawn.
	maxMem string
}

// loadImage returns the clean image; baseline kernels accept any size, so
// a is only checked when check is true.
func (f imageFlags) load(a arch.Arch, check bool) (imageio.Image, string, error) {
	var img imageio.Image
	name := f.Image
	if f.Image == "" {
		size, err := parseSize(f.Size, 2)
		if err != nil {
			return img, "", err
		}
		if err := f.fits(a, size, check); err != nil {
			return img, "", err
		}
		img = imageio.Synthetic(size[1], size[0], 3)
		name = fmt.Sprintf("synthetic %dx%d", size[0], size[1])
	} else {
		var err error
		if img, err = imageio.Load(f.Image); err != nil {
			return img, "", err
		}
		if alphaUsed(f.Image) {
			fmt.Fprintf(os.Stderr, "dipgp: warning: %s has transparent pixels; the alpha channel is dropped and the colour values are used as stored\n", f.Image)
		}
	}
	if f.Gray {
		img = img.ToGray()
	}
	if !check {
		return img, name, nil
	}
	size := []int{img.H, img.W}
	if err := a.Validate(size); err != nil {
		h, w, ok := largestCrop(a, img.H, img.W)
		if !ok {
			return img, "", fmt.Errorf("image %s is %dx%d: %w\nno crop of it passes this architecture's checks (it needs at least %d pixels per axis, and more with batch norm at the coarsest scale): use a larger image or fewer scales", name, img.H, img.W, err, a.Divisor())
		}
		if !f.Crop {
			return img, "", fmt.Errorf("image %s is %dx%d: %w\nuse --crop to take the largest centred crop the architecture accepts (%dx%d), or resize the image to multiples of %d", name, img.H, img.W, err, h, w, a.Divisor())
		}
		if img, err = imageio.CenterCrop(img, w, h); err != nil {
			return img, "", err
		}
		name += fmt.Sprintf(" (cropped to %dx%d)", h, w)
	}
	return img, name, nil
}

// fits refuses a synthetic image whose command would not fit in memory:
// the architecture's kernels (when check) and some 32 float64 images.
func (f imageFlags) fits(a arch.Arch, size []int, check bool) error {
	limit, err := memoryLimit(f.maxMem)
	if err != nil {
		return err
	}
	var e kernel.Estimate
	// A coordinate input has no kernel map (kernel refuses it); the
	// command runs without the kernel's prediction and says so.
	check = check && a.Input.Dist != arch.Coords
	if check {
		if err := a.Validate(size); err != nil {
			return sizeError(a, size, err)
		}
		if e, err = kernel.NewEstimate(a.PreActivation(), size, kernel.Options{NTK: true}); err != nil {
			return err
		}
	}
	need := func(s []int) int64 {
		b := 32 * 3 * 8 * points(s)
		if check {
			b += e.Bytes(s) + 4*e.MapBytes(s)
		}
		return b
	}
	what := fmt.Sprintf("a GP on a synthetic %s image", sizeString(size))
	if check {
		what += " with the kernel of " + a.String()
	}
	return refuseMemory(what, a, size, limit, need)
}

// channels returns the image's channels as grid slices (copies).
func channels(img imageio.Image) [][]float64 {
	out := make([][]float64, img.C)
	for c := range out {
		out[c] = append([]float64(nil), img.Channel(c)...)
	}
	return out
}

// fromChannels builds an image from grid channels.
func fromChannels(ch [][]float64, w, h int) imageio.Image {
	img := imageio.New(w, h, len(ch))
	for c := range ch {
		copy(img.Channel(c), ch[c])
	}
	return img
}

// clip01 returns a copy of img with values clipped to [0, 1].
func clip01(img imageio.Image) imageio.Image {
	c := img.Clone()
	for i, v := range c.Pix {
		c.Pix[i] = math.Min(1, math.Max(0, v))
	}
	return c
}

// writeJSON writes v as indented JSON to path and, if echo, to stdout.
func writeJSON(path string, v any, echo bool) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if echo {
		os.Stdout.Write(b)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// writeCSV writes a header and rows of numbers.
func writeCSV(path string, header []string, rows [][]float64) error {
	var sb strings.Builder
	sb.WriteString(strings.Join(header, ","))
	sb.WriteByte('\n')
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				sb.WriteByte(',')
			}
			if !math.IsNaN(v) {
				sb.WriteString(strconv.FormatFloat(v, 'g', 10, 64))
			}
		}
		sb.WriteByte('\n')
	}
	return atomicfile.WriteFile(path, []byte(sb.String()), 0o644)
}

// finitePoints returns the points of (x, y) with finite y.
func finitePoints(x, y []float64) (fx, fy []float64) {
	for i, v := range y {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			fx = append(fx, x[i])
			fy = append(fy, v)
		}
	}
	return fx, fy
}

// baselineFlags select a baseline kernel.
type baselineFlags struct {
	Kernel string  `help:"Kernel: arch (the architecture's NNGP), rbf or matern (periodized baselines with a fitted length scale)." default:"arch" enum:"arch,rbf,matern"`
	Nu     float64 `help:"Smoothness of the Matern kernel: 1.5 or 2.5." default:"2.5" enum:"1.5,2.5"`
	Length float64 `help:"Length scale in pixels of a baseline kernel (0 = fit by marginal likelihood)."`
}

func (b baselineFlags) family() (gp.Family, error) {
	switch b.Kernel {
	case "rbf":
		return gp.RBF, nil
	case "matern":
		if b.Nu == 1.5 {
			return gp.Matern32, nil
		}
		return gp.Matern52, nil
	}
	return 0, fmt.Errorf("kernel %q is not a baseline", b.Kernel)
}

// gpResult is the JSON summary of gp denoise and gp inpaint.
type gpResult struct {
	Command      string    `json:"command"`
	Arch         string    `json:"arch,omitempty"`
	Kernel       string    `json:"kernel"`
	Image        string    `json:"image"`
	Size         []int     `json:"size"`
	Channels     int       `json:"channels"`
	Sigma255     float64   `json:"sigma_255,omitempty"`
	Keep         float64   `json:"observed_fraction,omitempty"`
	Seed         uint64    `json:"seed"`
	PSNRInput    jsonFloat `json:"psnr_input_db"`
	PSNRRestored jsonFloat `json:"psnr_restored_db"`
	PSNRMissing  jsonFloat `json:"psnr_missing_pixels_db,omitempty"`
	Hyper        gp.Hyper  `json:"hyperparameters"`
	Noise255     float64   `json:"noise_255"`
	Note         string    `json:"note"`
	Iterations   []int     `json:"cg_iterations,omitempty"`
	Residuals    []float64 `json:"cg_relative_residuals,omitempty"`
	Seconds      float64   `json:"seconds"`
	KernelSecs   float64   `json:"kernel_seconds"`
}

type gpDenoiseCmd struct {
	kernelFlags
	imageFlags
	baselineFlags
	Sigma    float64 `help:"Noise standard deviation on the 0..255 scale." default:"25"`
	Seed     uint64  `help:"Seed of the noise." default:"1"`
	FitNoise bool    `help:"Fit the noise level by marginal likelihood instead of using --sigma." name:"fit-noise"`
	MinNoise float64 `help:"Floor of a fitted noise level, 0..255 scale (default: the 8-bit quantization noise 1/sqrt(12))." default:"0.2887" name:"min-noise"`
	Scale    float64 `help:"Signal scale s^2 (prior covariance s^2 K); 0 = fit by marginal likelihood."`
	Out      string  `help:"Output folder." default:"out/gp-denoise"`
	JSON     bool    `help:"Print the summary as JSON on stdout." name:"json"`
}

func (c *gpDenoiseCmd) Help() string {
	return kernelHelp + " The restored image is the posterior mean with a constant mean of flat prior; the scale (and with --fit-noise the noise) maximize the restricted log marginal likelihood, computed exactly in Fourier space (or in the exact Fourier blocks of a cyclostationary kernel). Writes clean.png, noisy.png, restored.png and summary.json (PSNRs, fitted hyperparameters)."
}

func (c *gpDenoiseCmd) Run(ctx context.Context, g *Globals) error {
	start := time.Now()
	if c.Sigma < 0 || c.Sigma > 255 {
		return fmt.Errorf("--sigma %g must be in [0, 255]", c.Sigma)
	}
	if c.Sigma == 0 && !c.FitNoise {
		return fmt.Errorf("--sigma 0 leaves nothing to denoise; give a noise level, or --fit-noise to fit one")
	}
	var a arch.Arch
	var err error
	if c.Kernel == "arch" {
		if a, err = parseArch(c.Arch, 2); err != nil {
			return err
		}
	}
	c.imageFlags.maxMem = c.MaxMem
	clean, name, err := c.imageFlags.load(a, c.Kernel == "arch")
	if err != nil {
		return err
	}
	if err := prepareOut(c.Out, g, false, c.Image, c.Arch); err != nil {
		return err
	}
	noisy := imageio.AddNoise(clean, c.Sigma/255, c.Seed)
	size := []int{clean.H, clean.W}
	o := gp.DenoiseOptions{Scale: c.Scale, MinNoise: c.MinNoise / 255}
	if !c.FitNoise {
		o.Noise = c.Sigma / 255
	}
	y := channels(noisy)
	res := gpResult{Command: "gp denoise", Image: name, Size: size, Channels: clean.C, Sigma255: c.Sigma, Seed: c.Seed, Kernel: c.Kernel}
	var r *gp.Restoration
	if c.Kernel == "arch" {
		res.Arch = a.String()
		t := time.Now()
		k, _, err := computeKernels(ctx, g, a, size, false, c.kernelFlags)
		if err != nil {
			return err
		}
		res.KernelSecs = time.Since(t).Seconds()
		p, err := c.kernelFlags.prior(k)
		if err != nil {
			return err
		}
		if r, err = p.DenoiseContext(ctx, y, o); err != nil {
			return err
		}
	} else {
		fam, err := c.family()
		if err != nil {
			return err
		}
		res.Kernel = fam.String()
		if r, err = gp.DenoiseBaselineContext(ctx, fam, size, y, c.Length, o); err != nil {
			return err
		}
	}
	restored := clip01(fromChannels(r.Mean, clean.W, clean.H))
	res.PSNRInput = psnr(clip01(noisy), clean)
	res.PSNRRestored = psnr(restored, clean)
	res.Hyper, res.Note = r.Hyper, r.Note
	res.Noise255 = r.Hyper.Noise * 255
	res.Seconds = time.Since(start).Seconds()
	for _, f := range []struct {
		name string
		img  imageio.Image
	}{{"clean.png", clean}, {"noisy.png", noisy}, {"restored.png", restored}} {
		if err := imageio.Save(filepath.Join(c.Out, f.name), f.img); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(c.Out, "summary.json"), res, c.JSON); err != nil {
		return err
	}
	if !c.JSON {
		printGP(res)
	}
	return nil
}

// psnr returns the PSNR of a against the reference b (same sizes).
func psnr(a, b imageio.Image) jsonFloat {
	v, err := imageio.PSNR(a, b)
	if err != nil {
		return jsonFloat(math.NaN())
	}
	return jsonFloat(v)
}

func printGP(r gpResult) {
	h := r.Hyper
	fmt.Printf("%s (%s kernel) on %s: PSNR %.2f dB -> %.2f dB", r.Command, r.Kernel, r.Image, r.PSNRInput, r.PSNRRestored)
	if r.PSNRMissing != 0 {
		fmt.Printf(" (missing pixels %.2f dB)", r.PSNRMissing)
	}
	fmt.Printf("\nscale %.4g, noise %.4g (%.3g on 0..255)", h.Scale, h.Noise, h.Noise*255)
	if h.Length > 0 {
		fmt.Printf(", length %.4g px", h.Length)
	}
	if len(h.Fitted) > 0 {
		fmt.Printf("; fitted: %s", strings.Join(h.Fitted, ", "))
	}
	fmt.Println()
	if len(h.AtEdge) > 0 {
		fmt.Printf("warning: %s ended on the edge of the search range\n", strings.Join(h.AtEdge, ", "))
	}
	if len(r.Iterations) > 0 {
		fmt.Printf("conjugate gradients: iterations %v, relative residuals %.2g\n", r.Iterations, r.Residuals)
	}
	fmt.Println(r.Note)
}

type gpInpaintCmd struct {
	kernelFlags
	imageFlags
	baselineFlags
	Mask       string   `help:"Mask image: observed where the value is above 0.5 (same size as the image)." xor:"mask"`
	Keep       *float64 `help:"Random mask keeping this fraction of the pixels, in (0, 1]; default 0.5 when no --mask." xor:"mask" placeholder:"0.5"`
	Seed       uint64   `help:"Seed of the random mask, the noise and the posterior draws." default:"1"`
	Sigma      float64  `help:"Noise added to the observed pixels, on the 0..255 scale (default none)."`
	Noise      float64  `help:"Noise level of the observations on the 0..255 scale; 0 = fit by marginal likelihood."`
	MinNoise   float64  `help:"Floor of a fitted noise level, 0..255 scale (default: the 8-bit quantization noise 1/sqrt(12))." default:"0.2887" name:"min-noise"`
	Precond    string   `help:"Conjugate-gradient preconditioner: jacobi (the diagonal), circulant (P (rho K + tau I)^-1 P^T by FFT: fewer iterations, twice the work each) or none." default:"jacobi" enum:"jacobi,circulant,none"`
	Scale      float64  `help:"Signal scale s^2 (prior covariance s^2 K); 0 = fit by marginal likelihood."`
	Tol        float64  `help:"Relative residual at which conjugate gradients stop." default:"1e-6"`
	MaxIter    int      `help:"Conjugate-gradient iteration limit per solve." default:"5000" name:"max-iter"`
	VarSamples int      `help:"Posterior draws for the variance map (std.png, variance.npy); 0 = none." default:"8" name:"var-samples"`
	Out        string   `help:"Output folder." default:"out/gp-inpaint"`
	JSON       bool     `help:"Print the summary as JSON on stdout." name:"json"`
}

func (c *gpInpaintCmd) Help() string {
	return kernelHelp + " The restored image is the posterior mean (constant mean of flat prior), computed by preconditioned conjugate gradients on (K_OO + tau I) a = y_O with FFT (or Fourier-block) products; scale and noise maximize the restricted marginal likelihood of the observed pixels in 9 windows of 20x20 pixels. Writes clean.png, mask.png, observed.png (missing pixels black), restored.png, std.png and variance.npy (posterior standard deviation and variance from --var-samples draws) and summary.json."
}

func (c *gpInpaintCmd) Run(ctx context.Context, g *Globals) error {
	start := time.Now()
	keep, err := c.keep()
	if err != nil {
		return err
	}
	var a arch.Arch
	if c.Kernel == "arch" {
		if a, err = parseArch(c.Arch, 2); err != nil {
			return err
		}
	}
	c.imageFlags.maxMem = c.MaxMem
	clean, name, err := c.imageFlags.load(a, c.Kernel == "arch")
	if err != nil {
		return err
	}
	if err := prepareOut(c.Out, g, false, c.Image, c.Mask, c.Arch); err != nil {
		return err
	}
	mask, err := c.mask(clean, keep)
	if err != nil {
		return err
	}
	nobs := 0
	for _, b := range mask {
		if b {
			nobs++
		}
	}
	obs := clean
	if c.Sigma > 0 {
		obs = imageio.AddNoise(clean, c.Sigma/255, c.Seed)
	}
	size := []int{clean.H, clean.W}
	res := gpResult{Command: "gp inpaint", Image: name, Size: size, Channels: clean.C, Sigma255: c.Sigma, Seed: c.Seed, Kernel: c.Kernel, Keep: float64(nobs) / float64(len(mask))}
	r, err := c.restore(ctx, g, a, size, channels(obs), mask, &res)
	if err != nil {
		return err
	}
	restored := clip01(fromChannels(r.Mean, clean.W, clean.H))
	observed := clip01(obs)
	for ch := 0; ch < observed.C; ch++ {
		pl := observed.Channel(ch)
		for i, b := range mask {
			if !b {
				pl[i] = 0
			}
		}
	}
	res.PSNRInput = psnr(observed, clean)
	res.PSNRRestored = psnr(restored, clean)
	if v, err := imageio.MaskedPSNR(restored, clean, mask, false); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		res.PSNRMissing = jsonFloat(v)
	}
	res.Hyper, res.Note = r.Hyper, r.Note
	res.Noise255 = r.Hyper.Noise * 255
	res.Iterations, res.Residuals = r.Iterations, r.Residual
	res.Seconds = time.Since(start).Seconds()
	if err := c.write(clean, observed, restored, mask, r); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(c.Out, "summary.json"), res, c.JSON); err != nil {
		return err
	}
	if !c.JSON {
		printGP(res)
		c.warnResiduals(r)
	}
	return nil
}

// keep returns the fraction of pixels a random mask keeps, after checking
// the numeric flags.
func (c *gpInpaintCmd) keep() (float64, error) {
	keep := 0.5
	if c.Keep != nil {
		keep = *c.Keep
	}
	if keep <= 0 || keep > 1 {
		return 0, fmt.Errorf("--keep %g must be in (0, 1]: the fraction of pixels observed (0 would observe none)", keep)
	}
	if c.Sigma < 0 || c.Noise < 0 || c.Scale < 0 || c.MinNoise < 0 {
		return 0, fmt.Errorf("--sigma, --noise, --min-noise and --scale must be >= 0")
	}
	return keep, nil
}

// mask returns the observed pixels: the --mask file, or a random mask
// keeping the fraction keep.
func (c *gpInpaintCmd) mask(clean imageio.Image, keep float64) ([]bool, error) {
	if c.Mask == "" {
		return imageio.RandomMask(clean.W, clean.H, keep, c.Seed), nil
	}
	mask, w, h, err := imageio.LoadMask(c.Mask)
	if err != nil {
		return nil, err
	}
	if w != clean.W || h != clean.H {
		return nil, fmt.Errorf("mask %s is %dx%d but the image is %dx%d (after any --crop); give a mask of the image's size", c.Mask, h, w, clean.H, clean.W)
	}
	return mask, nil
}

// restore computes the posterior of the observed channels y under the
// architecture's kernel or a baseline, filling the kernel's fields of res.
func (c *gpInpaintCmd) restore(ctx context.Context, g *Globals, a arch.Arch, size []int, y [][]float64, mask []bool, res *gpResult) (*gp.Restoration, error) {
	o := gp.InpaintOptions{Scale: c.Scale, Noise: c.Noise / 255, MinNoise: c.MinNoise / 255, Tol: c.Tol, MaxIter: c.MaxIter,
		VarSamples: c.VarSamples, Seed: c.Seed, Precond: c.Precond}
	if c.Kernel != "arch" {
		fam, err := c.family()
		if err != nil {
			return nil, err
		}
		res.Kernel = fam.String()
		return gp.InpaintBaselineContext(ctx, fam, size, y, mask, c.Length, o)
	}
	res.Arch = a.String()
	t := time.Now()
	k, _, err := computeKernels(ctx, g, a, size, false, c.kernelFlags)
	if err != nil {
		return nil, err
	}
	res.KernelSecs = time.Since(t).Seconds()
	p, err := c.kernelFlags.prior(k)
	if err != nil {
		return nil, err
	}
	return p.InpaintContext(ctx, y, mask, o)
}

// write saves the images, the mask and, with posterior draws, the variance
// and the standard-deviation map.
func (c *gpInpaintCmd) write(clean, observed, restored imageio.Image, mask []bool, r *gp.Restoration) error {
	for _, f := range []struct {
		name string
		img  imageio.Image
	}{{"clean.png", clean}, {"observed.png", observed}, {"restored.png", restored}} {
		if err := imageio.Save(filepath.Join(c.Out, f.name), f.img); err != nil {
			return err
		}
	}
	if err := imageio.SaveMask(filepath.Join(c.Out, "mask.png"), mask, clean.W, clean.H); err != nil {
		return err
	}
	if r.Var == nil {
		return nil
	}
	if err := npy.WriteFloat64(filepath.Join(c.Out, "variance.npy"), []int{clean.H, clean.W}, r.Var); err != nil {
		return err
	}
	std := imageio.New(clean.W, clean.H, 1)
	var mx float64
	for _, v := range r.Var {
		mx = math.Max(mx, math.Sqrt(math.Max(v, 0)))
	}
	for i, v := range r.Var {
		if mx > 0 {
			std.Pix[i] = math.Sqrt(math.Max(v, 0)) / mx
		}
	}
	return imageio.Save(filepath.Join(c.Out, "std.png"), std)
}

// warnResiduals warns about the solves that stopped short of --tol.
func (c *gpInpaintCmd) warnResiduals(r *gp.Restoration) {
	for k, rr := range r.Residual {
		if rr > 10*c.Tol {
			fmt.Fprintf(os.Stderr, "warning: solve %d stopped at relative residual %.2g after %d iterations (--tol %g); raise --max-iter\n", k, rr, r.Iterations[k], c.Tol)
		}
	}
}

// alphaUsed reports whether the image file has a pixel that is not fully
// opaque (imageio drops alpha).
func alphaUsed(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return false
	}
	if o, ok := m.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	return false
}
