package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/gp"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register("spectrum", "Eigenvalue spectrum of an architecture's NNGP (and NTK): radial profile, power-law slope, half-power frequency.", &spectrumCmd{})
}

type spectrumCmd struct {
	kernelFlags
	Size  string  `help:"Output size: N (1-D), S (SxS) or HxW." default:"64"`
	NTK   bool    `help:"Also compute the NTK (NTK parameterization) and its spectrum." name:"ntk"`
	Exact bool    `help:"Exact eigenvalues of a cyclostationary kernel (its coupled Fourier blocks, cost ~N^2 P^4) instead of the diagonal (the power spectrum of the phase-averaged kernel)."`
	FitLo float64 `help:"Low end of the power-law fit range, cycles/pixel." default:"0.0625" name:"fit-lo"`
	FitHi float64 `help:"High end of the power-law fit range, cycles/pixel." default:"0.25" name:"fit-hi"`
	Out   string  `help:"Output folder." default:"out/spectrum"`
	JSON  bool    `help:"Print the summary as JSON on stdout." name:"json"`
}

func (c *spectrumCmd) Help() string {
	return "The kernel is that of the architecture's pre-activation output (without the final activation), on the periodic grid. " +
		"Writes spectrum.npy (NNGP eigenvalue per DFT frequency, shape (H, W) in numpy.fft order, DC at [0, 0]; with --exact the exact eigenvalues " +
		"placed on frequencies by rank within each coupled block), spectrum_ntk.npy with --ntk, radial.csv (ring frequency in cycles/pixel, ring " +
		"mean of the NNGP and NTK spectra; rings k/min(H,W), DC left out), spectrum.png (log heat map, fftshifted: DC in the centre), radial.png " +
		"(log-log, with the fitted power law dashed) and summary.json. The half-power frequency is where the radial profile falls to half of its " +
		"value at the first ring (1/min(H,W) cycles/pixel), interpolated in log value. The off-diagonal energy ||k - kbar||^2/||k||^2 says how far " +
		"a cyclostationary kernel is from its phase average; with --exact the deviation between exact and diagonal eigenvalues is reported too."
}

type spectrumSummary struct {
	Arch        string      `json:"arch"`
	Size        []int       `json:"size"`
	NNGP        gp.Summary  `json:"nngp"`
	NTK         *gp.Summary `json:"ntk,omitempty"`
	Seconds     float64     `json:"seconds"`
	KernelSecs  float64     `json:"kernel_seconds"`
	PreActivate bool        `json:"pre_activation"`
}

func (c *spectrumCmd) Run(ctx context.Context, g *Globals) error {
	start := time.Now()
	a, err := parseArch(c.Arch, 0)
	if err != nil {
		return err
	}
	size, err := parseSize(c.Size, a.Dims)
	if err != nil {
		return err
	}
	if !(c.FitLo > 0 && c.FitHi > c.FitLo) {
		return fmt.Errorf("--fit-lo %g and --fit-hi %g must satisfy 0 < lo < hi", c.FitLo, c.FitHi)
	}
	if err := prepareOut(c.Out, g, false, c.Arch); err != nil {
		return err
	}
	k, th, err := computeKernels(ctx, g, a, size, c.NTK, c.kernelFlags)
	if err != nil {
		return err
	}
	sum := spectrumSummary{Arch: a.String(), Size: size, KernelSecs: time.Since(start).Seconds(), PreActivate: true}
	maps := []kernel.Map{k}
	if c.NTK {
		maps = append(maps, th)
	}
	if c.Exact && k.Period > 1 {
		if est := gp.ExactWork(k) * 1e-9 * float64(len(maps)); est > 10 {
			fmt.Fprintf(os.Stderr, "dipgp: exact spectrum of a period-%d kernel at %v: roughly %.0f s (single core)\n", k.Period, size, est)
		}
	}
	var specs []gp.Spec
	var radial []gp.Radial
	for i, m := range maps {
		s, err := gp.Spectrum(m, c.Exact)
		if err != nil {
			return err
		}
		sm, err := s.Summarize(c.FitLo, c.FitHi)
		if err != nil {
			return err
		}
		r, err := s.Radial()
		if err != nil {
			return err
		}
		if i == 0 {
			sum.NNGP = sm
		} else {
			sum.NTK = &sm
		}
		specs = append(specs, s)
		radial = append(radial, r)
	}
	sum.Seconds = time.Since(start).Seconds()
	names := []string{"spectrum", "spectrum_ntk"}
	labels := []string{"NNGP", "NTK"}
	for i, s := range specs {
		v := s.Power
		if s.Exact {
			v = s.Eigen
		}
		if err := npy.WriteFloat64(filepath.Join(c.Out, names[i]+".npy"), size, v); err != nil {
			return err
		}
		if err := spectrumPlot(filepath.Join(c.Out, names[i]), labels[i], a.String(), size, v); err != nil {
			return err
		}
	}
	header := []string{"frequency", "nngp"}
	if c.NTK {
		header = append(header, "ntk")
	}
	rows := make([][]float64, len(radial[0].Freq))
	for k := range rows {
		rows[k] = []float64{radial[0].Freq[k]}
		for _, r := range radial {
			rows[k] = append(rows[k], r.Mean[k])
		}
	}
	if err := writeCSV(filepath.Join(c.Out, "radial.csv"), header, rows); err != nil {
		return err
	}
	fits := []gp.Summary{sum.NNGP}
	if sum.NTK != nil {
		fits = append(fits, *sum.NTK)
	}
	if err := radialPlot(filepath.Join(c.Out, "radial"), a.String(), radial, fits, labels); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(c.Out, "summary.json"), sum, c.JSON); err != nil {
		return err
	}
	if !c.JSON {
		for i, sm := range fits {
			printSpectrum(labels[i], sm)
		}
		fmt.Printf("written to %s\n", c.Out)
	}
	return nil
}

func printSpectrum(label string, s gp.Summary) {
	kind := "diagonal (phase-averaged power spectrum)"
	if s.Exact {
		kind = "exact eigenvalues"
	}
	fmt.Printf("%s: period %d, %s\n", label, s.Period, kind)
	fmt.Printf("  power-law slope %.3f over [%.4g, %.4g] cycles/pixel\n", s.Slope, s.FitLo, s.FitHi)
	if s.HalfPowerOK {
		fmt.Printf("  half-power frequency %.4g cycles/pixel\n", s.HalfPower)
	} else {
		fmt.Printf("  the radial spectrum never falls to half of its first-ring level\n")
	}
	fmt.Printf("  largest eigenvalue %.4g, DC %.4g, mean eigenvalue %.4g\n", s.MaxEigen, s.DC, s.Trace)
	if s.Period > 1 {
		fmt.Printf("  off-diagonal energy %.3g", s.OffDiagonal)
		if s.Exact {
			fmt.Printf(", exact vs diagonal eigenvalues differ by %.3g (relative)", s.Deviation)
		}
		fmt.Println()
	}
}

// fftshift returns a grid with DC moved to the centre.
func fftshift(v []float64, size []int) []float64 {
	h, w := 1, size[0]
	if len(size) == 2 {
		h, w = size[0], size[1]
	}
	out := make([]float64, len(v))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[((y+h/2)%h)*w+(x+w/2)%w] = v[y*w+x]
		}
	}
	return out
}

func spectrumPlot(base, label, archName string, size []int, v []float64) error {
	if len(size) == 1 {
		n := size[0]
		var x, y []float64
		for i := 1; i <= n/2; i++ {
			x = append(x, float64(i)/float64(n))
			y = append(y, v[i])
		}
		p, err := plotting.Lines(label+" spectrum of "+archName, "frequency (cycles/sample)", "eigenvalue", []plotting.Series{{Name: label, X: x, Y: y}}, plotting.Options{LogX: true, LogY: true})
		if err != nil {
			return err
		}
		return plotting.Save(p, base, 6*vg.Inch, 4*vg.Inch)
	}
	p, err := plotting.Heatmap(label+" spectrum of "+archName+" (fftshifted, log)", fmt.Sprintf("frequency index x (DC at %d)", size[1]/2), fmt.Sprintf("frequency index y (DC at %d)", size[0]/2), size[1], size[0], fftshift(v, size), true)
	if err != nil {
		return err
	}
	return plotting.Save(p, base, 6*vg.Inch, 5*vg.Inch)
}

func radialPlot(base, archName string, radial []gp.Radial, fits []gp.Summary, labels []string) error {
	var series []plotting.Series
	for i, r := range radial {
		var x, y []float64
		for k, f := range r.Freq {
			if v := r.Mean[k]; v > 0 && !math.IsInf(v, 0) {
				x = append(x, f)
				y = append(y, v)
			}
		}
		series = append(series, plotting.Series{Name: labels[i], X: x, Y: y})
		// The fitted power law over its range.
		pl, err := gp.FitPowerLaw(r, fits[i].FitLo, fits[i].FitHi)
		if err != nil {
			continue
		}
		fx := []float64{pl.Lo, pl.Hi}
		fy := []float64{math.Pow(10, pl.Intercept) * math.Pow(pl.Lo, pl.Slope), math.Pow(10, pl.Intercept) * math.Pow(pl.Hi, pl.Slope)}
		series = append(series, plotting.Series{Name: fmt.Sprintf("%s fit, slope %.2f", labels[i], pl.Slope), X: fx, Y: fy, Dashed: true})
	}
	p, err := plotting.Lines("Radial spectrum of "+archName, "frequency (cycles/pixel)", "mean eigenvalue", series, plotting.Options{LogX: true, LogY: true, LegendLeft: true, LegendBottom: true})
	if err != nil {
		return err
	}
	return plotting.Save(p, base, 6*vg.Inch, 4*vg.Inch)
}
