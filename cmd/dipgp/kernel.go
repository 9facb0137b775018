package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
	"github.com/dipgp/dipgp/kernel"
)

func init() {
	register("kernel", "Compute the exact infinite-width NNGP and NTK of an architecture's output on the periodic grid and write them (.npy), a summary (kernel.json) and figures.", &kernelCmd{})
}

type kernelCmd struct {
	Arch          string `help:"Architecture: preset (PRESET:key=value,...) or YAML/JSON file (see 'dipgp arch list')." default:"dip-skip"`
	Size          string `help:"Output size: N (1-D), HxW, or S for SxS." default:"64"`
	Out           string `help:"Output directory." default:"out/kernel" type:"path"`
	JSON          bool   `help:"Also print the summary (kernel.json) on stdout." name:"json"`
	PreActivation bool   `help:"Kernels of the output before the final activation (e.g. without the sigmoid)." name:"pre-activation"`
	MaxMemory     string `help:"Refuse when the estimated memory exceeds this: bytes, or with a unit (512MB, 8GB = 8e9 bytes, 8GiB or 8G = 8*2^30 bytes). Default: 75% of the machine's memory." name:"max-memory"`
	Workers       int    `help:"Goroutines (0 = all cores). Results do not depend on it."`
	Quadrature    int    `help:"Order of the Gauss rules for tanh and sigmoid (0 = the default, 64)."`
	bnFlags
}

// kernelSummary is kernel.json.
type kernelSummary struct {
	Arch             string     `json:"arch"`
	PreActivation    bool       `json:"pre_activation"`
	Dims             int        `json:"dims"`
	Size             []int      `json:"size"`
	Period           int        `json:"period"`
	Parameterization string     `json:"ntk_parameterization"`
	NNGP             mapSummary `json:"nngp"`
	NTK              mapSummary `json:"ntk"`
	Seconds          float64    `json:"seconds"`
	// BN is the batch-norm rule; BNSegments says how each segment with a
	// batch norm was computed, with the Monte Carlo's standard errors.
	BN             string             `json:"bn"`
	BNSamples      int                `json:"bn_samples,omitempty"`
	BNSeed         uint64             `json:"bn_seed"`
	BNSegments     []kernel.BNSegment `json:"bn_segments,omitempty"`
	PeakBytes      int64              `json:"peak_bytes"`
	PeakSource     string             `json:"peak_bytes_source"`
	EstimatedBytes int64              `json:"estimated_bytes"`
	Files          []string           `json:"files"`
	Layout         string             `json:"layout"`
}

type mapSummary struct {
	// Variance is K(x, x) averaged over the grid, with its minimum and
	// maximum over the phases.
	Variance    float64 `json:"variance"`
	VarianceMin float64 `json:"variance_min"`
	VarianceMax float64 `json:"variance_max"`
	// NonStationarity is ||k - kbar||^2 / ||k||^2 (0 for a stationary map).
	NonStationarity float64 `json:"nonstationarity"`
}

func summarize(m kernel.Map) mapSummary {
	v := m.Variance()
	s := mapSummary{Variance: m.MeanVariance(), VarianceMin: math.Inf(1), VarianceMax: math.Inf(-1), NonStationarity: m.NonStationarity()}
	for _, x := range v {
		s.VarianceMin = math.Min(s.VarianceMin, x)
		s.VarianceMax = math.Max(s.VarianceMax, x)
	}
	return s
}

func (c *kernelCmd) Run(ctx context.Context, g *Globals) error {
	a, err := parseArch(c.Arch, 0)
	if err != nil {
		return err
	}
	size, err := parseSize(c.Size, a.Dims)
	if err != nil {
		return err
	}
	if err := a.Validate(size); err != nil {
		return sizeError(a, size, err)
	}
	if c.PreActivation {
		a = a.PreActivation()
	}
	if err := prepareOut(c.Out, g, false, c.Arch); err != nil {
		return err
	}
	limit, err := c.memoryLimit()
	if err != nil {
		return err
	}
	o := c.apply(kernel.Options{NTK: true, Workers: c.Workers, Quadrature: c.Quadrature})
	e, err := kernel.NewEstimate(a, size, o)
	if err != nil {
		return err
	}
	if err := refuseMemory("the kernels of "+a.String(), a, size, limit, kernelNeed(e)); err != nil {
		return err
	}
	// The size fits by the cheap upper bound, so the exact dry run
	// (kernel.Memory, which follows every allocation) is affordable: it is
	// the estimate reported, within a few percent of the measured peak.
	need, err := exactKernelNeed(a, size, o)
	if err != nil {
		return err
	}

	prog := newProgress(g)
	bar := prog.Bar("kernel "+a.String(), 0)
	o.Progress = bar.Func()
	start := time.Now()
	nngp, ntk, rep, err := kernel.ComputeReport(ctx, a, size, o)
	bar.Done()
	prog.Wait()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	warnDegenerate(a, nngp)
	// The pool's spare buffers are garbage now; return them to the system,
	// so that what stays resident while the outputs are written is the maps.
	runtime.GC()
	debug.FreeOSMemory()

	sum := kernelSummary{
		Arch: a.String(), PreActivation: c.PreActivation, Dims: a.Dims, Size: size, Period: nngp.Period,
		Parameterization: "ntk", Seconds: secs, EstimatedBytes: need,
		BN: string(o.BN), BNSamples: o.Samples, BNSeed: o.Seed, BNSegments: rep.BN,
		Layout: "nngp.npy and ntk.npy: float64, shape (P, P, H, W) in 2-D or (P, N) in 1-D; [py][px][dy][dx] = K(x, x + d) for x = p (mod P), offsets d wrapped on the grid (d = 0 at index 0)",
	}
	// The summaries, the figures and the two .npy files only read the maps:
	// on many cores they overlap (each .npy is written from memory as it is).
	err = concurrently(c.Workers,
		func() error { sum.NNGP = summarize(nngp); return nil },
		func() error { sum.NTK = summarize(ntk); return nil },
		func() error { return writeKernelFigures(c.Out, a, nngp, ntk) },
		func() error { return npy.WriteFloat64(filepath.Join(c.Out, "nngp.npy"), nngp.Shape(), nngp.Data) },
		func() error { return npy.WriteFloat64(filepath.Join(c.Out, "ntk.npy"), ntk.Shape(), ntk.Data) },
	)
	if err != nil {
		return err
	}
	sum.Files = []string{"nngp.npy", "ntk.npy", "kernel.json", "nngp.png", "nngp.svg", "profile.png", "profile.svg"}
	sum.PeakBytes, sum.PeakSource = peakBytes()
	if err := writeJSON(filepath.Join(c.Out, "kernel.json"), sum, c.JSON); err != nil {
		return err
	}
	if c.JSON {
		return nil
	}
	if !g.Quiet {
		printBN(rep)
		fmt.Fprintf(os.Stderr, "period %d, NNGP variance %.6g (non-stationarity %.3g), NTK variance %.6g; %.2f s, peak %s; wrote %s\n",
			nngp.Period, sum.NNGP.Variance, sum.NNGP.NonStationarity, sum.NTK.Variance, secs, kernel.FormatBytes(sum.PeakBytes), c.Out)
	}
	return nil
}

// exactKernelNeed is the memory of the whole command by kernel.Memory's
// dry run: the propagation, or, when larger, the two output maps (the .npy
// writer streams them through a small buffer) and 64 MiB.
func exactKernelNeed(a arch.Arch, size []int, o kernel.Options) (int64, error) {
	m, err := kernel.Memory(a, size, o)
	if err != nil {
		return 0, err
	}
	p, err := kernel.OutputPeriod(a, size)
	if err != nil {
		return 0, err
	}
	mapBytes := int64(8)
	for _, n := range size {
		mapBytes *= int64(n) * int64(p)
	}
	return max(m, 2*mapBytes+64<<20), nil
}

func sizeString(size []int) string {
	if len(size) == 1 {
		return strconv.Itoa(size[0])
	}
	return fmt.Sprintf("%dx%d", size[0], size[1])
}

// memoryLimit returns --max-memory in bytes, or 75% of the machine's
// memory.
func (c *kernelCmd) memoryLimit() (int64, error) { return memoryLimit(c.MaxMemory) }

// machineMemory returns MemTotal from /proc/meminfo in bytes.
func machineMemory() (int64, error) {
	return procField("/proc/meminfo", "MemTotal:")
}

// peakBytes returns the peak resident memory of the process (VmHWM from
// /proc/self/status), or the Go runtime's total obtained from the OS when
// that is not available.
func peakBytes() (int64, string) {
	if b, err := procField("/proc/self/status", "VmHWM:"); err == nil {
		return b, "VmHWM (peak resident set size)"
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys), "Go runtime MemStats.Sys"
}

// procField reads a "Name: value kB" line of a /proc file.
func procField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		fs := strings.Fields(line[len(name):])
		if len(fs) == 0 {
			break
		}
		v, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			return 0, err
		}
		if len(fs) > 1 && strings.EqualFold(fs[1], "kB") {
			v *= 1024
		}
		return v, nil
	}
	return 0, fmt.Errorf("%s has no %s line", path, name)
}

// centred returns the offsets -n/2 .. n-1-n/2 and, for each, the index of
// that offset wrapped on an axis of n points.
func centred(n int) (off []float64, idx []int) {
	for i := 0; i < n; i++ {
		d := i - n/2
		off = append(off, float64(d))
		idx = append(idx, (d%n+n)%n)
	}
	return off, idx
}

// writeKernelFigures writes nngp.png/svg (the phase-averaged NNGP,
// normalized, with d = 0 in the centre) and profile.png/svg (profiles of
// the normalized phase-averaged NNGP and NTK).
func writeKernelFigures(dir string, a arch.Arch, nngp, ntk kernel.Map) error {
	k := nngp.Stationary().Normalized()
	t := ntk.Stationary().Normalized()
	where := fmt.Sprintf("%s, %s, period %d", shortArch(a), sizeString(nngp.Size), nngp.Period)
	if nngp.Dims() == 1 {
		return writeKernelFigures1D(dir, where, nngp, k, t)
	}
	h, w := nngp.Size[0], nngp.Size[1]
	_, ix := centred(w)
	_, iy := centred(h)
	// Row 0 is drawn at the top: put the largest dy there so that dy
	// grows upwards along the axis.
	img := make([]float64, h*w)
	for r := 0; r < h; r++ {
		dy := iy[h-1-r]
		for c := 0; c < w; c++ {
			img[r*w+c] = k.Data[dy*w+ix[c]]
		}
	}
	p, err := plotting.HeatmapWith("NNGP E[f(x) f(x+d)] / E[f(x)^2], phase-averaged\n"+where, "offset dx (pixels)", "offset dy (pixels)", w, h, img,
		plotting.HeatmapOptions{Extent: [4]float64{float64(-w/2) - 0.5, float64(w-w/2) - 0.5, float64(-h/2) - 0.5, float64(h-h/2) - 0.5}})
	if err != nil {
		return err
	}
	if err := plotting.Save(p, filepath.Join(dir, "nngp"), 6*vg.Inch, 5*vg.Inch); err != nil {
		return err
	}
	// Profiles for d >= 0 (the phase-averaged map is even: kbar(-d) =
	// kbar(d)), NNGP and NTK side by side.
	var panels []*plot.Plot
	for _, m := range []struct {
		name string
		m    kernel.Map
	}{{"NNGP", k}, {"NTK", t}} {
		var ox, yx, oy, yy []float64
		for x := 0; x <= w/2; x++ {
			ox = append(ox, float64(x))
			yx = append(yx, m.m.Data[x])
		}
		for y := 0; y <= h/2; y++ {
			oy = append(oy, float64(y))
			yy = append(yy, m.m.Data[y*w])
		}
		// Radial: mean over the offsets d (wrapped to the centred range)
		// with round(|d|) = r.
		rmax := min(h, w) / 2
		sum := make([]float64, rmax+1)
		cnt := make([]float64, rmax+1)
		for y := 0; y < h; y++ {
			dy := y
			if dy >= h-h/2 {
				dy -= h
			}
			for x := 0; x < w; x++ {
				dx := x
				if dx >= w-w/2 {
					dx -= w
				}
				r := int(math.Round(math.Hypot(float64(dy), float64(dx))))
				if r <= rmax {
					sum[r] += m.m.Data[y*w+x]
					cnt[r]++
				}
			}
		}
		var rr, yr []float64
		for r := range sum {
			if cnt[r] > 0 {
				rr = append(rr, float64(r))
				yr = append(yr, sum[r]/cnt[r])
			}
		}
		series := []plotting.Series{
			{Name: "along x (dy = 0)", X: ox, Y: yx},
			{Name: "along y (dx = 0)", X: oy, Y: yy, Dashed: true},
			{Name: "radial mean, |d|", X: rr, Y: yr},
		}
		p, err := plotting.Lines(m.name+" profiles (phase-averaged)\n"+where, "offset |d| (pixels)", m.name+" K(d) / K(0)", series, plotting.Options{})
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	return plotting.SideBySide(filepath.Join(dir, "profile"), panels[0], panels[1], 12*vg.Inch, 4.5*vg.Inch)
}

func writeKernelFigures1D(dir, where string, nngp, k, t kernel.Map) error {
	n := nngp.Size[0]
	P := nngp.Period
	_, idx := centred(n)
	mv := nngp.MeanVariance()
	if mv == 0 {
		mv = 1
	}
	// Heat map: one row per phase (P rows), offsets centred.
	img := make([]float64, P*n)
	for r := 0; r < P; r++ {
		p := P - 1 - r // phase 0 at the bottom
		for c, i := range idx {
			img[r*n+c] = nngp.Data[p*n+i] / mv
		}
	}
	hp, err := plotting.HeatmapWith("NNGP K(x, x+d) / mean variance, per phase p = x mod P\n"+where, "offset d (samples)", "phase p", n, P, img,
		plotting.HeatmapOptions{Extent: [4]float64{float64(-n/2) - 0.5, float64(n-n/2) - 0.5, -0.5, float64(P) - 0.5}})
	if err != nil {
		return err
	}
	if err := plotting.Save(hp, filepath.Join(dir, "nngp"), 7*vg.Inch, 3.5*vg.Inch); err != nil {
		return err
	}
	// Profiles for d = 0 .. N/2 (the phase-averaged map is even).
	var series []plotting.Series
	var half []float64
	for d := 0; d <= n/2; d++ {
		half = append(half, float64(d))
	}
	val := func(m kernel.Map, row int, scale float64) []float64 {
		var y []float64
		for d := 0; d <= n/2; d++ {
			y = append(y, m.Data[row*n+d]/scale)
		}
		return y
	}
	series = append(series, plotting.Series{Name: "NNGP (phase-averaged)", X: half, Y: val(k, 0, 1)},
		plotting.Series{Name: "NTK (phase-averaged)", X: half, Y: val(t, 0, 1), Dashed: true})
	for p := 0; p < min(P, 4) && P > 1; p++ {
		series = append(series, plotting.Series{Name: fmt.Sprintf("NNGP from x = %d (mod %d)", p, P), X: half, Y: val(nngp, p, mv)})
	}
	lp, err := plotting.Lines("Kernel profiles (normalized)\n"+where, "offset d (samples)", "K(x, x+d) / mean K(x, x)", series, plotting.Options{})
	if err != nil {
		return err
	}
	return plotting.Save(lp, filepath.Join(dir, "profile"), 7*vg.Inch, 4.5*vg.Inch)
}

// shortArch is an architecture's name for a figure title: the preset
// name, with "..." when keys follow (the full string is in the JSON).
func shortArch(a arch.Arch) string {
	name, rest, _ := strings.Cut(a.String(), ":")
	if rest != "" {
		name += ":..."
	}
	if len(name) > 32 {
		name = name[:29] + "..."
	}
	return name
}
