package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/checkreport"
	"github.com/dipgp/dipgp/kernel"
	"github.com/dipgp/dipgp/netinit"
)

func init() {
	register("check", "The main job: sample random finite networks and compare the covariance of their outputs with the exact infinite-width kernel (NNGP), with error bars.", &checkCmd{})
}

type checkCmd struct {
	Run   checkRunCmd   `cmd:"" default:"withargs" help:"Run the check (the default: 'dipgp check FLAGS' is 'dipgp check run FLAGS'; see also 'dipgp check merge --help')."`
	Merge checkMergeCmd `cmd:"" help:"Merge the outputs of 'dipgp check --shard i/n' runs into the result of one run with all samples."`
}

// defaultCheckArch is the architecture of a bare 'dipgp check': DIP's skip
// net with two scales, but with the choices under which the infinite-width
// limit is informative and reached at width 128 (see README): no batch
// norm (its rule is a mean-field approximation), variance-preserving normal
// init (PyTorch's default init without batch norm shrinks the signal until
// the output is a constant), a zero-mean Gaussian input (DIP's
// uniform [0, 0.1) input is 96% mean, which makes the kernel nearly flat)
// and no output sigmoid (after it, a finite-width bias of order
// depth/width shows in the kernel's level).
const defaultCheckArch = "dip-skip:scales=2,channels=128,bn=false,pad=circular,init=normal,sw=1.4,sb=0.1,input=gaussian,in_scale=1,out_act=identity"

type checkRunCmd struct {
	Arch          string `help:"Architecture: preset (PRESET:key=value,...) or YAML/JSON file." default:"${check_arch}"`
	Size          string `help:"Output size: N (1-D), S (SxS) or HxW." default:"32"`
	Width         *int   `help:"Set the width: a preset's channels key, or in a file every conv with the file's widest channel count."`
	Widths        string `help:"Width sweep, e.g. 16,32,64,128,256 (set as --width does): error against width with the fitted slope."`
	Samples       int    `help:"Number of random networks." default:"1500"`
	Seed          uint64 `help:"Seed of every random draw." default:"1"`
	Workers       int    `help:"Networks evaluated in parallel (0 = all cores). Results do not depend on it."`
	FixedInput    bool   `help:"Keep one input noise for all networks (default: a fresh input per network)."`
	Margin        int    `help:"Border pixels left out of the estimate (-1: 0 for circular padding, a quarter of the side otherwise)." default:"-1"`
	Layer         string `help:"Estimate the tensor saved under this name (an intermediate layer) instead of the output."`
	PreActivation bool   `help:"Look at the output before the final activation." name:"pre-activation"`
	NTK           bool   `help:"Check the NTK instead of the NNGP: the row of the centre pixel, Theta(x0, x0+d), of networks in the NTK parameterization (add param=ntk) against the analytic NTK." name:"ntk"`
	Shard         string `help:"Run shard i of n (i/n, i from 0): draws networks i, i+n, i+2n, ...; merge the outputs with 'dipgp check merge'."`
	MaxMemory     string `help:"Refuse when the estimated memory exceeds this (e.g. 8GB, 6GiB). Default: 75% of the machine's memory." name:"max-memory"`
	Out           string `help:"Output folder." default:"out/check"`
	JSON          bool   `help:"Print the summary as JSON on stdout." name:"json"`
	bnFlags

	parsed cliArch // --arch as parsed (before --layer and --pre-activation)
}

func (c *checkRunCmd) config() (netinit.CheckConfig, error) {
	var cfg netinit.CheckConfig
	ca, err := loadArch(c.Arch, 0)
	if err != nil {
		return cfg, err
	}
	if c.Width != nil {
		if ca, err = ca.withWidth(*c.Width, []string{"channels"}); err != nil {
			return cfg, err
		}
	}
	c.parsed = ca
	a := ca.Arch
	size, err := parseSize(c.Size, a.Dims)
	if err != nil {
		return cfg, err
	}
	if err := a.Validate(size); err != nil {
		return cfg, err
	}
	if c.Layer != "" {
		in, _ := a.InputSize(size)
		if a, err = a.Upto(c.Layer); err != nil {
			return cfg, err
		}
		size = a.OutputSize(in)
	}
	if c.PreActivation {
		a = a.PreActivation()
	}
	limit, err := memoryLimit(c.MaxMemory)
	if err != nil {
		return cfg, err
	}
	e, err := kernel.NewEstimate(a, size, kernel.Options{})
	if err != nil {
		return cfg, err
	}
	if err := refuseMemory("the check of "+a.String(), a, size, limit, checkNeed(a, e, c.Workers)); err != nil {
		return cfg, err
	}
	if c.Samples < 2 {
		return cfg, fmt.Errorf("--samples is %d; use at least 2 (error bars need the spread between networks)", c.Samples)
	}
	o := netinit.Options{Samples: c.Samples, Seed: c.Seed, Workers: c.Workers, FixedInput: c.FixedInput, Margin: c.Margin}
	if c.Shard != "" {
		i, n, ok := strings.Cut(c.Shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
			return cfg, fmt.Errorf("--shard %q must be i/n with 0 <= i < n, e.g. 0/4", c.Shard)
		}
		o.Shard, o.Shards = si, sn
	}
	return netinit.CheckConfig{Arch: a, Size: size, Options: o, BN: kernel.BNMode(c.BN), BNSamples: c.BNSamples, BNSeed: c.BNSeed, BNMaxFlops: c.BNMaxFlops, BNMeanFieldNEff: c.BNMeanFieldNEff}, nil
}

func (c *checkRunCmd) Run(ctx context.Context, g *Globals) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if err := prepareOut(c.Out, g, false, c.Arch); err != nil {
		return err
	}
	if c.Widths != "" {
		return c.sweep(ctx, g, cfg)
	}
	r, err := c.one(ctx, g, cfg, c.Out)
	if r.Samples >= 2 {
		c.print(r)
	}
	return err
}

// one runs a single check with a progress bar, writing partial results
// every 15 s and the final (or interrupted) result at the end.
func (c *checkRunCmd) one(ctx context.Context, g *Globals, cfg netinit.CheckConfig, dir string) (netinit.CheckResult, error) {
	prog := newProgress(g)
	total := cfg.Options.Samples
	if cfg.Options.Shards > 1 {
		total = (cfg.Options.Samples - cfg.Options.Shard + cfg.Options.Shards - 1) / cfg.Options.Shards
	}
	bar := prog.Bar(fmt.Sprintf("%s width %d", cfg.Arch, netinit.Width(cfg.Arch)), int64(total))
	lastWrite := time.Now()
	cfg.Partial = func(done, total int, r netinit.CheckResult) {
		bar.Set(int64(done), int64(total))
		bar.SetMessage(fmt.Sprintf("rms err %.3g (shape %.3g), %.0f%% within 2 SE", r.Comparison.RMSRelError, r.Shape.RMSRelError, 100*r.Shape.Within2))
		if time.Since(lastWrite) > 15*time.Second && done < total {
			lastWrite = time.Now()
			if err := checkreport.WriteCheck(dir, cfg, r); err != nil {
				fmt.Fprintln(os.Stderr, "dipgp: writing partial results:", err)
			}
		}
	}
	check := netinit.Check
	if c.NTK {
		check = netinit.CheckNTK
	}
	r, err := check(ctx, cfg)
	bar.Done()
	prog.Wait()
	if len(r.Analytic.Data) > 0 {
		warnDegenerate(cfg.Arch, r.Analytic)
	}
	if r.Samples >= 2 && r.Stats != nil {
		if werr := checkreport.WriteCheck(dir, cfg, r); werr != nil {
			return r, errors.Join(err, werr)
		}
		if err != nil && ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "dipgp: interrupted after %d of %d networks; the results so far are in %s\n", r.Samples, total, dir)
		}
	}
	return r, err
}

func (c *checkRunCmd) print(r netinit.CheckResult) {
	if c.JSON {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Println(string(b))
		return
	}
	if err := checkreport.WriteSummary(os.Stdout, r); err != nil {
		fmt.Fprintln(os.Stderr, "dipgp:", err)
		return
	}
	if !r.Test.Agree && c.parsed.Layers != nil {
		fmt.Println(explainDiffer(c.parsed.Arch, c.BN))
	}
}

// explainDiffer lists what in the architecture makes a finite network
// depart from the infinite-width kernel, the known causes first.
func explainDiffer(a arch.Arch, bn string) string {
	var why []string
	hasBN := false
	if pl, err := a.Plan(nil); err == nil {
		for _, n := range pl.Nodes {
			if _, ok := n.Layer.(arch.BatchNorm); ok {
				hasBN = true
			}
		}
	}
	if hasBN && bn == string(kernel.BNMeanField) {
		why = append(why, "batch norm with --bn meanfield: the statistics of one image are taken as exact, an error that does not shrink with width; use --bn exact")
	}
	if hasBN && bn != string(kernel.BNMeanField) {
		why = append(why, "batch norm: the exact rule's own Monte Carlo error (see the batch-norm lines above; raise --bn-samples)")
	}
	if a.Init.Scheme == arch.PyTorch {
		why = append(why, "PyTorch's init shrinks the signal layer by layer, so the kernel is nearly constant and small relative errors show; try init=normal,sw=1.4")
	}
	if a.Pad != arch.Circular {
		why = append(why, fmt.Sprintf("%s padding: the kernel is computed on the periodic grid, so the border (outside the margin) differs; try pad=circular", a.Pad))
	}
	why = append(why, fmt.Sprintf("finite width %d: the error shrinks as 1/width; see it with --widths", netinit.Width(a)))
	return "why it may differ: " + strings.Join(why, "; ")
}

func (c *checkRunCmd) sweep(ctx context.Context, g *Globals, cfg netinit.CheckConfig) error {
	widths, err := parseCounts("--widths", c.Widths)
	if err != nil {
		return err
	}
	var s netinit.Sweep
	const rowFmt = "%6v %9v %12v %10v %11v %14v %13v %13v %17v  %v\n"
	if !c.JSON {
		fmt.Printf(rowFmt, "width", "networks", "RMS err/var", "bias/var", "stderr/var", "shape RMS err", "shape excess", "shape stderr", "shape within 2SE", "verdict")
	}
	for _, w := range widths {
		ca, err := c.parsed.withWidth(w, []string{"channels"})
		if err != nil {
			return err
		}
		a := ca.Arch
		if c.Layer != "" {
			if a, err = a.Upto(c.Layer); err != nil {
				return err
			}
		}
		if c.PreActivation {
			a = a.PreActivation()
		}
		wc := cfg
		wc.Arch = a
		r, err := c.one(ctx, g, wc, filepath.Join(c.Out, fmt.Sprintf("width%d", w)))
		if err != nil {
			return err
		}
		s.Points = append(s.Points, netinit.SweepPoint{Width: w, Result: r})
		cm := r.Comparison
		if !c.JSON {
			sh := r.Shape
			g := func(x float64) string { return fmt.Sprintf("%.3g", x) }
			fmt.Printf(rowFmt, w, r.Samples, g(cm.RMSRelError), fmt.Sprintf("%+.3g", cm.BiasRelError), g(cm.MeanStderr), g(sh.RMSRelError), g(sh.ExcessRMS), g(sh.MeanStderr), fmt.Sprintf("%.1f%%", 100*sh.Within2), fmt.Sprintf("%s (p = %.2g)", map[bool]string{true: "agree", false: "differ"}[r.Test.Agree], r.Test.Joint.P))
		}
		s = netinit.Fit(s)
		if err := checkreport.WriteSweep(c.Out, s); err != nil {
			return err
		}
	}
	if c.JSON {
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Println(string(b))
	} else {
		fmt.Println(s.Summary())
	}
	return nil
}

type checkMergeCmd struct {
	Parts []string `arg:"" help:"Output folders of the shards." type:"existingdir"`
	Out   string   `help:"Output folder." default:"out/check"`
	JSON  bool     `help:"Print the summary as JSON on stdout." name:"json"`

	BN         string  `help:"Compare with the kernel of this batch-norm rule instead of the run's (exact or meanfield): the same networks against another rule, without drawing them again." enum:",exact,meanfield" default:"" name:"bn"`
	BNSamples  int     `help:"With --bn: fields per batch-norm segment of the exact rule (0 = kernel.DefaultSamples)." name:"bn-samples"`
	BNSeed     uint64  `help:"With --bn: seed of the exact rule's Monte Carlo (0 = kernel.Options' default)." name:"bn-seed"`
	BNMaxFlops float64 `help:"With --bn: largest estimated cost of one segment's Monte Carlo (0 = kernel.DefaultBNMaxFlops, -1 = no limit)." name:"bn-max-flops"`
}

func (c *checkMergeCmd) Run(ctx context.Context, g *Globals) error {
	if err := prepareOut(c.Out, g, false, c.Parts...); err != nil {
		return err
	}
	var set func(*netinit.CheckConfig)
	if c.BN != "" {
		set = func(cfg *netinit.CheckConfig) {
			cfg.BN, cfg.BNSamples, cfg.BNSeed, cfg.BNMaxFlops = kernel.BNMode(c.BN), c.BNSamples, c.BNSeed, c.BNMaxFlops
		}
	}
	cfg, r, err := netinit.MergeAs(ctx, c.Parts, set)
	if err != nil {
		return err
	}
	if _, err := json.Marshal(r); err != nil {
		where := nonFinite(r)
		if where == "" {
			where = err.Error()
		}
		return fmt.Errorf("the merged result has a non-finite value (%s): a shard's statistics are corrupt; nothing was written to %s", where, c.Out)
	}
	if err := checkreport.WriteCheck(c.Out, cfg, r); err != nil {
		return err
	}
	(&checkRunCmd{JSON: c.JSON}).print(r)
	if !r.Complete {
		fmt.Fprintf(os.Stderr, "dipgp: merged %d of %d networks; shards are missing\n", r.Samples, cfg.Options.Samples)
	}
	return nil
}
