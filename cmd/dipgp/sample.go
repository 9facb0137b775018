package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register("sample", "Draw samples from the GP prior of an architecture (its infinite-width NNGP).", &sampleCmd{})
}

type sampleCmd struct {
	kernelFlags
	Size string `help:"Output size: N (1-D), S (SxS) or HxW." default:"64"`
	N    int    `help:"Number of samples." default:"4" name:"n"`
	Seed uint64 `help:"Seed; sample i is the same whatever --n and --workers are." default:"1"`
	Out  string `help:"Output folder." default:"out/sample"`
	JSON bool   `help:"Print the summary as JSON on stdout." name:"json"`
}

func (c *sampleCmd) Help() string {
	return "The kernel is that of the architecture's pre-activation output (without the final activation). Samples are K^(1/2) z for white noise z: " +
		"FFT synthesis for a stationary kernel, the exact symmetric square root of every coupled Fourier block for a cyclostationary one (or, with " +
		"--approx average or beyond the work budget, the phase-averaged kernel; summary.json says which). Writes samples.npy (n, H, W) or (n, N), " +
		"sample_000.png ... (2-D; value v shown as 0.5 + v / (6 sd), sd = sqrt of the mean prior variance, clipped) or samples.png (1-D curves), " +
		"and summary.json."
}

type sampleSummary struct {
	Arch    string  `json:"arch"`
	Size    []int   `json:"size"`
	N       int     `json:"n"`
	Seed    uint64  `json:"seed"`
	Period  int     `json:"period"`
	Note    string  `json:"note"`
	PriorSD float64 `json:"prior_sd"`
}

func (c *sampleCmd) Run(ctx context.Context, g *Globals) error {
	if c.N < 1 {
		return fmt.Errorf("--n %d must be at least 1", c.N)
	}
	a, err := parseArch(c.Arch, 0)
	if err != nil {
		return err
	}
	size, err := parseSize(c.Size, a.Dims)
	if err != nil {
		return err
	}
	if err := prepareOut(c.Out, g, false, c.Arch); err != nil {
		return err
	}
	// The draws and their flat copy for samples.npy.
	c.kernelFlags.extra = func(s []int) int64 { return 2 * 8 * int64(c.N) * points(s) }
	c.kernelFlags.extraWhat = fmt.Sprintf(" with %d draws (%s each, kept twice)", c.N, kernel.FormatBytes(8*points(size)))
	k, _, err := computeKernels(ctx, g, a, size, false, c.kernelFlags)
	if err != nil {
		return err
	}
	p, err := c.kernelFlags.prior(k)
	if err != nil {
		return err
	}
	draws, err := p.SampleContext(ctx, c.N, c.Seed)
	if err != nil {
		return err
	}
	sd := math.Sqrt(k.MeanVariance())
	sum := sampleSummary{Arch: a.String(), Size: size, N: c.N, Seed: c.Seed, Period: k.Period, Note: p.Note(), PriorSD: sd}
	flat := make([]float64, 0, c.N*p.Points())
	for _, d := range draws {
		flat = append(flat, d...)
	}
	if err := npy.WriteFloat64(filepath.Join(c.Out, "samples.npy"), append([]int{c.N}, size...), flat); err != nil {
		return err
	}
	if len(size) == 2 {
		for i, d := range draws {
			img := imageio.New(size[1], size[0], 1)
			for j, v := range d {
				img.Pix[j] = math.Min(1, math.Max(0, 0.5+v/(6*sd)))
			}
			if err := imageio.Save(filepath.Join(c.Out, fmt.Sprintf("sample_%03d.png", i)), img); err != nil {
				return err
			}
		}
	} else {
		var series []plotting.Series
		for i, d := range draws {
			x := make([]float64, len(d))
			for j := range x {
				x[j] = float64(j)
			}
			series = append(series, plotting.Series{Name: fmt.Sprintf("sample %d", i), X: x, Y: d})
		}
		pl, err := plotting.Lines("GP prior samples of "+a.String(), "position", "value", series, plotting.Options{})
		if err != nil {
			return err
		}
		if err := plotting.Save(pl, filepath.Join(c.Out, "samples"), 7*vg.Inch, 4*vg.Inch); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(c.Out, "summary.json"), sum, c.JSON); err != nil {
		return err
	}
	if !c.JSON {
		fmt.Printf("%d samples of %s at %v (prior sd %.4g); %s\nwritten to %s\n", c.N, a.String(), size, sd, p.Note(), c.Out)
	}
	return nil
}
