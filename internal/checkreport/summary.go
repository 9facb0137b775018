package checkreport

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dipgp/dipgp/netinit"
)

// WriteSummary writes a check's result as a plain-text table (what was
// run, the second-moment and shape comparisons side by side, the timings)
// followed by its verdict.
func WriteSummary(w io.Writer, r netinit.CheckResult) error {
	cm, sh := r.Comparison, r.Shape
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	input := map[bool]string{true: "fixed", false: "fresh"}[r.FixedInput]
	incomplete := map[bool]string{true: "", false: " INCOMPLETE"}[r.Complete]
	fmt.Fprintf(tw, "architecture\t%s\n", r.Arch)
	fmt.Fprintf(tw, "size, width\t%v, %d channels\n", r.Size, r.Width)
	fmt.Fprintf(tw, "networks\t%d (seed %d, %s input)%s\n", r.Samples, r.Seed, input, incomplete)
	fmt.Fprintf(tw, "kernel period\t%d (non-stationarity %.3g)\n", r.Period, r.Analytic.NonStationarity())
	fmt.Fprintf(tw, "region\t%s\n", r.Region)
	fmt.Fprintf(tw, "analytic variance\t%.6g (contrast: the kernel varies by %.3g of it over offsets)\n", cm.Variance, Contrast(r))
	fmt.Fprintf(tw, "\tsecond moment\tshape (row-centered)\n")
	fmt.Fprintf(tw, "max |error| / var\t%.3g\t%.3g\n", cm.MaxRelError, sh.MaxRelError)
	fmt.Fprintf(tw, "RMS error / var\t%.3g\t%.3g\n", cm.RMSRelError, sh.RMSRelError)
	fmt.Fprintf(tw, "mean bias / var\t%+.3g\t\n", cm.BiasRelError)
	fmt.Fprintf(tw, "mean stderr / var\t%.3g\t%.3g\n", cm.MeanStderr, sh.MeanStderr)
	fmt.Fprintf(tw, "excess RMS / var\t%.3g\t%.3g\n", cm.ExcessRMS, sh.ExcessRMS)
	fmt.Fprintf(tw, "within 2 SE / 3 SE\t%.1f%% / %.1f%%\t%.1f%% / %.1f%%\n", 100*cm.Within2, 100*cm.Within3, 100*sh.Within2, 100*sh.Within3)
	fmt.Fprintf(tw, "entries compared\t%d\t%d\n", cm.Entries, sh.Entries)
	fmt.Fprintf(tw, "time\tkernel %.2f s, sampling %.1f s (%.1f networks/s)\n", r.KernelSeconds, r.SampleSeconds, r.NetsPerSecond)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Verdict)
	return err
}

// Contrast returns (max - min) / variance of the analytic map: how much
// the kernel varies with the offset.
func Contrast(r netinit.CheckResult) float64 {
	if len(r.Analytic.Data) == 0 || !(r.Comparison.Variance > 0) {
		return 0
	}
	lo, hi := r.Analytic.Data[0], r.Analytic.Data[0]
	for _, v := range r.Analytic.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	return (hi - lo) / r.Comparison.Variance
}
