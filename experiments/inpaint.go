package experiments

import (
	"fmt"
	"math"
	"strings"

	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register(Experiment{
		Name:      "gp-inpaint",
		Summary:   "GP inpainting at Cheng et al.'s protocol: the kernel of a 2-scale skip net (exact NNGP) against RBF and Matern-5/2 kernels with fitted length scales, on their 64x64 cameraman and mask, and over the 11-image Bernoulli inpainting set (mean and spread); PSNR with the kept pixels copied in.",
		Paper:     "Cheng et al. (CVPR 2019), GP inpainting with the DIP kernel against an RBF kernel (GP_DIP_Inpainting.ipynb, GP_RBF_Inpainting.ipynb and utils/GP_DIP_utils.py of ZezhouCheng/GP-DIP)",
		Images:    []string{"cheng-inpainting64/cameraman64.png", "cheng-inpainting64/mask64.png", "bernoulli11/"},
		TinyCost:  "about 3 s: Cheng's 64x64 image and 32x32 crops of 3 images of the set",
		QuickCost: "about 2 min: Cheng's 64x64 image and 128x128 centre crops of the 11 images of the set",
		FullCost:  "about 30 min: Cheng's 64x64 image and the 11 images of the set at full size",
		run:       runGPInpaint,
	})
}

// quantNoise is the standard deviation of 8-bit quantization,
// 1/(255 sqrt(12)): the noise of observations that are exact up to their
// storage.
var quantNoise = 1 / (255 * math.Sqrt(12))

// bernoulli11 lists the 11-image Bernoulli inpainting set (bernoulli11/,
// NAME.png and NAME_mask.png with 255 = kept).
var bernoulli11 = []string{"Cameraman256", "Lena512", "barbara", "boat", "couple", "fingerprint", "hill", "house", "man", "montage", "peppers256"}

// inpaintMethods is what gp-inpaint compares.
var inpaintMethods = []string{"GP-DIP", "GP-RBF", "GP-Matern52"}

// chengPSNR is Cheng et al.'s measure (utils/GP_DIP_utils.py,
// GP_DIP_inpaint): the kept pixels copied in, the missing ones the
// posterior mean clipped to [0, 1], PSNR over the whole image; and the PSNR
// over the missing pixels alone.
func chengPSNR(mean, clean []float64, mask []bool) (all, missing float64, err error) {
	out := make([]float64, len(mean))
	for i, ok := range mask {
		if ok {
			out[i] = clean[i]
		} else {
			out[i] = math.Min(1, math.Max(0, mean[i]))
		}
	}
	n := len(clean)
	o, c := imageio.Image{W: n, H: 1, C: 1, Pix: out}, imageio.Image{W: n, H: 1, C: 1, Pix: clean}
	if all, err = imageio.PSNR(o, c); err != nil {
		return
	}
	missing, err = imageio.MaskedPSNR(o, c, mask, false)
	return
}

// inpaintAll runs the three kernels on one image and mask and returns the
// PSNRs (Cheng's measure, missing pixels) per method, in inpaintMethods'
// order, and the restored DIP image.
func (e *env) inpaintAll(img imageio.Image, mask []bool, nngp kernel.Map, o gp.InpaintOptions) (all, miss []float64, dip []float64, err error) {
	y := make([]float64, len(img.Pix))
	for i, ok := range mask {
		if ok {
			y[i] = img.Pix[i]
		}
	}
	size := []int{img.H, img.W}
	for _, name := range inpaintMethods {
		var r *gp.Restoration
		switch name {
		case "GP-DIP":
			r, err = gp.Inpaint(nngp, [][]float64{y}, mask, o)
		case "GP-RBF":
			r, err = gp.InpaintBaseline(gp.RBF, size, [][]float64{y}, mask, 0, o)
		default:
			r, err = gp.InpaintBaseline(gp.Matern52, size, [][]float64{y}, mask, 0, o)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		a, m, perr := chengPSNR(r.Mean[0], img.Pix, mask)
		if perr != nil {
			return nil, nil, nil, perr
		}
		all, miss = append(all, a), append(miss, m)
		if name == "GP-DIP" {
			dip = r.Mean[0]
		}
	}
	return all, miss, dip, nil
}

// testMask loads a mask image like testImage; when the file is missing
// (quick and tiny modes) it draws a 50% Bernoulli mask and notes it.
func (e *env) testMask(file string, side, w, h int, seed uint64) ([]bool, error) {
	img, src, err := e.testImage(file, side, 1)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(src, "synthetic") || img.W != w || img.H != h {
		e.note("mask %s not available at %dx%d: using a random 50%% mask (seed %d)", file, w, h, seed)
		return imageio.RandomMask(w, h, 0.5, seed), nil
	}
	m := make([]bool, len(img.Pix))
	for i, v := range img.Pix {
		m[i] = v > 0.5
	}
	return m, nil
}

// dipKernel returns the exact NNGP of Cheng et al.'s 2-scale skip net
// (before its output non-linearity) on the grid, cached by size.
func (e *env) dipKernel(cache map[[2]int]kernel.Map, spec string, h, w int) (kernel.Map, error) {
	if k, ok := cache[[2]int{h, w}]; ok {
		return k, nil
	}
	a, err := parseArch(spec, []int{h, w})
	if err != nil {
		return kernel.Map{}, err
	}
	k, _, err := kernel.Compute(e.ctx, a.PreActivation(), []int{h, w}, kernel.Options{Workers: e.cfg.Workers})
	if err == nil {
		cache[[2]int{h, w}] = k
	}
	return k, err
}

// chengInpaintSpec is the network of Cheng et al.'s GP-DIP kernel
// (utils/GP_DIP_utils.py, prior_sampling: get_net 'skip' with 32 input
// channels, num_scales = 2, skip_n11 = 4, bilinear up-sampling, no
// sigmoid; DIP's defaults otherwise: LeakyReLU, batch norm, uniform input
// noise of scale 0.1). Padding is circular (theirs: reflection, with the
// kernel estimated at the centre of 500x500 maps).
const chengInpaintSpec = "dip-skip:out_channels=1,scales=2,skip=4,up=bilinear,in_channels=32,pad=circular"

func runGPInpaint(e *env) error {
	m := e.cfg.Mode
	names := pick(m, bernoulli11[:2], bernoulli11, bernoulli11)
	side := pick(m, 32, 128, 0)
	fitWindow := pick(m, 8, 0, 0)
	e.steps(1 + len(names))
	o := gp.InpaintOptions{Noise: quantNoise, FitWindow: fitWindow, Seed: e.seed(10)}
	e.md("## Setting\n\nCheng et al.'s protocol (utils/GP_DIP_utils.py and GP_DIP_Inpainting.ipynb of ZezhouCheng/GP-DIP): "+
		"the 64x64 cameraman (resized, not cropped) and their 50%% mask, both from their test_data_inpainting.npz; "+
		"the GP posterior mean restores the missing pixels, the kept pixels are copied in, the restored pixels are "+
		"clipped to [0, 1], and PSNR is over the whole image. Their kernel is a Monte Carlo estimate from 2000 random "+
		"2-scale skip nets of width 1024; dipgp uses the exact infinite-width NNGP of the same network (`%s`, the output "+
		"before its sigmoid). Their GP interpolates exactly (no noise); dipgp fixes the noise at the 8-bit quantization "+
		"level %.4g and fits the constant mean and the signal scale (`gp.Inpaint`). RBF and Matern-5/2 have their "+
		"length scale fitted by the restricted marginal likelihood (`gp.InpaintBaseline`; Cheng et al. fitted the RBF's "+
		"with GPyTorch).\n\nThen the same on the 11-image Bernoulli inpainting set (bernoulli11/, 50%% masks, grey)%s.",
		chengInpaintSpec, quantNoise, map[bool]string{true: fmt.Sprintf(", centre %dx%d crops of image and mask", side, side), false: ", whole images"}[side > 0])
	cache := map[[2]int]kernel.Map{}
	// Cheng et al.'s own image and mask.
	chengSide := pick(m, 32, 64, 64) // tiny: the centre of their image
	img, src, err := e.testImage("cheng-inpainting64/cameraman64.png", chengSide, 1)
	if err != nil {
		return err
	}
	mask, err := e.testMask("cheng-inpainting64/mask64.png", chengSide, img.W, img.H, e.seed(1))
	if err != nil {
		return err
	}
	nngp, err := e.dipKernel(cache, chengInpaintSpec, img.H, img.W)
	if err != nil {
		return err
	}
	all, miss, dip, err := e.inpaintAll(img, mask, nngp, o)
	if err != nil {
		return err
	}
	var rows [][]string
	for i, name := range inpaintMethods {
		key := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
		e.num("psnr_cheng64_"+key, all[i])
		e.num("psnr_missing_cheng64_"+key, miss[i])
		rows = append(rows, []string{name, f2(all[i]), f2(miss[i])})
	}
	e.num("psnr_cheng64_dip_minus_rbf", all[0]-all[1])
	e.md("## Cheng et al.'s image and mask\n\n%s.", src)
	e.table([]string{"kernel", "PSNR (kept pixels copied in, dB)", "PSNR missing pixels (dB)"}, rows)
	if p, err := e.image("cheng64_gp_dip", imageio.Image{W: img.W, H: img.H, C: 1, Pix: dip}); err == nil {
		q, _ := e.image("cheng64_clean", img)
		e.images([]string{q, p}, []string{"clean", "GP-DIP posterior mean"})
	}
	if err := e.step("Cheng et al.'s 64x64 image"); err != nil {
		return err
	}
	return e.inpaintSet(names, side, cache, o)
}

// inpaintSet runs the kernels over the Bernoulli set and reports the mean
// and spread of each and of the paired difference GP-DIP - GP-RBF.
func (e *env) inpaintSet(names []string, side int, cache map[[2]int]kernel.Map, o gp.InpaintOptions) error {
	per := make([][]float64, len(inpaintMethods))
	var rows, csvRows [][]string
	for i, name := range names {
		img, src, err := e.testImage("bernoulli11/"+name+".png", side, 1)
		if err != nil {
			return err
		}
		mask, err := e.testMask("bernoulli11/"+name+"_mask.png", side, img.W, img.H, e.seed(20+i))
		if err != nil {
			return err
		}
		nngp, err := e.dipKernel(cache, chengInpaintSpec, img.H, img.W)
		if err != nil {
			return err
		}
		all, _, _, err := e.inpaintAll(img, mask, nngp, o)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		row := []string{src}
		for k, v := range all {
			per[k] = append(per[k], v)
			row = append(row, f2(v))
		}
		rows = append(rows, row)
		csvRows = append(csvRows, append([]string{name}, row[1:]...))
		if err := e.step(name); err != nil {
			return err
		}
	}
	var sum [][]string
	for k, name := range inpaintMethods {
		mu, sd := meanSD(per[k])
		key := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
		e.num("psnr_set_mean_"+key, mu)
		e.num("psnr_set_sd_"+key, sd)
		sum = append(sum, []string{name, f2(mu), f2(sd)})
	}
	d := make([]float64, len(per[0]))
	for i := range d {
		d[i] = per[0][i] - per[1][i]
	}
	mu, sd := meanSD(d)
	se := sd / math.Sqrt(float64(len(d)))
	e.num("psnr_set_dip_minus_rbf", mu)
	e.num("psnr_set_dip_minus_rbf_se", se)
	wins := 0
	for _, v := range d {
		if v > 0 {
			wins++
		}
	}
	e.md("## The 11-image Bernoulli set\n\nPSNR (dB, kept pixels copied in) per image:")
	e.table(append([]string{"image"}, inpaintMethods...), rows)
	e.table([]string{"kernel", "mean PSNR (dB)", "sd over images"}, sum)
	verdict := "within its uncertainty: no difference is claimed"
	if math.Abs(mu) > 2*se {
		verdict = "beyond twice its standard error"
	}
	e.md("GP-DIP minus GP-RBF, paired over the %d images: %s ± %s dB (mean ± standard error; GP-DIP ahead on %d of %d), %s.",
		len(d), f2(mu), f2(se), wins, len(d), verdict)
	dm := make([]float64, len(per[0]))
	for i := range dm {
		dm[i] = per[0][i] - per[2][i]
	}
	mm, sm := meanSD(dm)
	sem := sm / math.Sqrt(float64(len(dm)))
	e.num("psnr_set_dip_minus_matern", mm)
	e.num("psnr_set_dip_minus_matern_se", sem)
	e.md("GP-DIP minus GP-Matern52, paired: %s ± %s dB (%s).", f2(mm), f2(sem),
		map[bool]string{true: "beyond twice its standard error", false: "within twice its standard error: no difference is claimed"}[math.Abs(mm) > 2*sem])
	return e.csvText("psnr_set", append([]string{"image"}, inpaintMethods...), csvRows)
}

// meanSD returns the mean and the sample standard deviation (0 for one value).
func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)-1))
}
