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
		Summary:   "GP inpainting with the DIP kernel (the exact NNGP of DIP's skip network) against RBF and Matern-5/2 kernels with fitted length scales, on cameraman with half the pixels kept: a 64x64 centre crop (as Cheng et al.), then the whole 256x256 image.",
		Paper:     "Cheng et al. (CVPR 2019), GP inpainting with the DIP kernel against an RBF kernel (their GP_DIP_Inpainting and GP_RBF_Inpainting notebooks)",
		Images:    []string{"cameraman256.png"},
		TinyCost:  "about 3 s: 32x32 crop, small fit windows",
		QuickCost: "about 1 min: 64x64 crop and 256x256",
		FullCost:  "about 4 min: 64x64 crop and 256x256, with Monte Carlo posterior variance maps",
		run:       runGPInpaint,
	})
}

// quantNoise is the standard deviation of 8-bit quantization,
// 1/(255 sqrt(12)): the noise of observations that are exact up to their
// storage.
var quantNoise = 1 / (255 * math.Sqrt(12))

func runGPInpaint(e *env) error {
	m := e.cfg.Mode
	sides := pick(m, []int{32}, []int{64, 256}, []int{64, 256})
	keep := 0.5
	varSamples := pick(m, 0, 0, 32)
	fitWindow := pick(m, 8, 0, 0)
	e.steps(3 * len(sides))
	full, src, err := e.testImage("cameraman256.png", 0, 1)
	if err != nil {
		return err
	}
	scales := pick(m, 3, 5, 5)
	spec := fmt.Sprintf("dip-skip:out_channels=1,pad=circular,scales=%d", scales)
	e.md("## Setting\n\nImage: %s. Each pixel is kept with probability %g (`imageio.RandomMask`, seed %d); the GP "+
		"posterior mean at every pixel is the restoration (`gp.Inpaint`: constant mean by generalized least squares, "+
		"signal scale and observation noise fitted by the restricted marginal likelihood on windows of the observed "+
		"pixels, conjugate gradients in the kernel's Fourier modes).\n\n"+
		"- **GP-DIP:** the exact infinite-width NNGP of DIP's skip network (`%s`, the output before its sigmoid).\n"+
		"- **GP-RBF, GP-Matern-5/2:** periodized baselines whose length scale is fitted with the scale and noise (`gp.InpaintBaseline`).\n\n"+
		"Each kernel is run twice: with the observation noise fitted (REML), and with it fixed at %.4g, the standard "+
		"deviation of 8-bit quantization, since the kept pixels are exact. PSNR = 10 log10(1/MSE) of the posterior mean "+
		"(not clipped) against the clean image, over all pixels and over the missing pixels only; the missing pixels are "+
		"the fair comparison, since a kernel whose fitted noise is larger also smooths the kept pixels.", src, keep, e.seed(1), spec, quantNoise)
	var rows [][]string
	var csvRows [][]string
	for si, side := range sides {
		img := full
		if side < full.W || side < full.H {
			if img, err = imageio.CenterCrop(full, side, side); err != nil {
				return err
			}
		}
		size := []int{side, side}
		mask := imageio.RandomMask(side, side, keep, e.seed(1+si))
		y := make([]float64, len(img.Pix))
		for i, ok := range mask {
			if ok {
				y[i] = img.Pix[i]
			}
		}
		masked := imageio.Image{W: side, H: side, C: 1, Pix: y}
		opt := gp.InpaintOptions{VarSamples: varSamples, Seed: e.seed(10 + si), FitWindow: fitWindow}
		tag := fmt.Sprintf("%dx%d", side, side)
		a, err := parseArch(spec, size)
		if err != nil {
			return err
		}
		nngp, _, err := kernel.Compute(e.ctx, a.PreActivation(), size, kernel.Options{Workers: e.cfg.Workers})
		if err != nil {
			return err
		}
		if err := e.step(tag + " DIP kernel"); err != nil {
			return err
		}
		type method struct {
			name string
			res  *gp.Restoration
		}
		var methods []method
		// Each kernel twice: with the noise fitted, and with the noise
		// fixed at the 8-bit quantization level of the observations.
		for _, fixed := range []bool{false, true} {
			o := opt
			o.VarSamples = 0
			suffix := ""
			if fixed {
				o.VarSamples = varSamples
				o.Noise = quantNoise
				suffix = " (noise fixed)"
			}
			rd, err := gp.Inpaint(nngp, [][]float64{y}, mask, o)
			if err != nil {
				return fmt.Errorf("GP-DIP %s: %w", tag, err)
			}
			methods = append(methods, method{"GP-DIP" + suffix, rd})
			for _, fam := range []gp.Family{gp.RBF, gp.Matern52} {
				rb, err := gp.InpaintBaseline(fam, size, [][]float64{y}, mask, 0, o)
				if err != nil {
					return fmt.Errorf("GP-%s %s: %w", fam, tag, err)
				}
				methods = append(methods, method{"GP-" + fam.String() + suffix, rb})
			}
			if err := e.step(tag + " GP" + suffix); err != nil {
				return err
			}
		}
		// Images and numbers.
		paths := []string{}
		labels := []string{}
		p, err := e.image("clean_"+tag, img)
		if err != nil {
			return err
		}
		paths, labels = append(paths, p), append(labels, "clean")
		if p, err = e.image("observed_"+tag, masked); err != nil {
			return err
		}
		paths, labels = append(paths, p), append(labels, fmt.Sprintf("observed (%.0f%%, missing = 0)", 100*keep))
		pm, _ := imageio.PSNR(masked, img)
		for _, mt := range methods {
			out := imageio.Image{W: side, H: side, C: 1, Pix: mt.res.Mean[0]}
			all, err := imageio.PSNR(out, img)
			if err != nil {
				return err
			}
			miss, err := imageio.MaskedPSNR(out, img, mask, false)
			if err != nil {
				return err
			}
			base := strings.NewReplacer("-", "_", " (noise fixed)", "_fixed").Replace(strings.ToLower(mt.name))
			key := base + "_" + tag
			e.num("psnr_"+key, all)
			e.num("psnr_missing_"+key, miss)
			if p, err = e.image(base+"_"+tag, out); err != nil {
				return err
			}
			h := mt.res.Hyper
			paths, labels = append(paths, p), append(labels, fmt.Sprintf("%s: %s dB", mt.name, f2(all)))
			length := "-"
			if h.Length > 0 {
				length = fg(h.Length, 3)
			}
			iters := 0
			for _, it := range mt.res.Iterations {
				iters += it
			}
			rows = append(rows, []string{tag, mt.name, f2(all), f2(miss), fg(h.Scale, 3), fg(h.Noise, 3), length, fmt.Sprint(iters), strings.Join(h.AtEdge, ", ")})
			csvRows = append(csvRows, []string{tag, mt.name, fmt.Sprint(all), fmt.Sprint(miss), fmt.Sprint(h.Scale), fmt.Sprint(h.Noise), fmt.Sprint(h.Length), fmt.Sprint(iters)})
			if mt.res.Var != nil {
				sd := make([]float64, len(mt.res.Var))
				for i, v := range mt.res.Var {
					sd[i] = math.Sqrt(math.Max(v, 0))
				}
				mx := 0.0
				for _, v := range sd {
					mx = math.Max(mx, v)
				}
				for i := range sd {
					sd[i] /= math.Max(mx, 1e-300)
				}
				if p, err = e.image(base+"_std_"+tag, imageio.Image{W: side, H: side, C: 1, Pix: sd}); err != nil {
					return err
				}
				paths, labels = append(paths, p), append(labels, mt.name+" posterior std (scaled to max)")
			}
		}
		e.num("psnr_observed_"+tag, pm)
		e.md("## %s\n\nObserved image (missing pixels set to 0): %s dB.", tag, f2(pm))
		e.images(paths, labels)
	}
	e.md("## PSNR")
	e.table([]string{"image", "method", "PSNR all (dB)", "PSNR missing (dB)", "scale s^2", "noise std", "length (pixels)", "CG iterations", "fit at edge"}, rows)
	if err := e.csvText("psnr", []string{"image", "method", "psnr_all_db", "psnr_missing_db", "scale", "noise", "length", "cg_iterations"}, csvRows); err != nil {
		return err
	}
	for _, side := range sides {
		tag := fmt.Sprintf("%dx%d", side, side)
		n := e.res.Numbers
		d := n["psnr_gp_dip_"+tag] - n["psnr_gp_rbf_"+tag]
		dm := n["psnr_missing_gp_dip_"+tag] - n["psnr_missing_gp_rbf_"+tag]
		df := n["psnr_missing_gp_dip_fixed_"+tag] - n["psnr_missing_gp_rbf_fixed_"+tag]
		e.num("psnr_gain_dip_over_rbf_"+tag, d)
		e.num("psnr_missing_gain_dip_over_rbf_"+tag, dm)
		e.num("psnr_missing_gain_dip_over_rbf_fixed_"+tag, df)
		e.md("%s: GP-DIP minus GP-RBF = %s dB over all pixels, %s dB over the missing pixels (noise fitted), %s dB over the missing pixels (noise fixed).", tag, f2(d), f2(dm), f2(df))
	}
	return nil
}
