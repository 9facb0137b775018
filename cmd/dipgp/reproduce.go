package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dipgp/dipgp/experiments"
)

func init() {
	register("reproduce", "Reproduce the papers' figures and tables (Cheng et al. 2019, Chakrabarty and Maji 2019, Shi et al. 2022), one command each: 'dipgp reproduce --list', 'dipgp reproduce NAME [--quick]', 'dipgp reproduce all --quick'.", &reproduceCmd{})
}

// reproduceOut is where the command prints (a variable for tests).
var reproduceOut io.Writer = os.Stdout

type reproduceCmd struct {
	Names   []string `arg:"" optional:"" name:"name" help:"Experiments to run (see --list), or 'all'."`
	List    bool     `help:"List the experiments: what each reproduces and what it costs in quick and full mode."`
	Quick   bool     `help:"Small sizes: minutes per experiment instead of the papers' settings."`
	Tiny    bool     `help:"Toy sizes: seconds per experiment, to check that everything runs (the numbers mean nothing)."`
	Out     string   `help:"Output folder: each experiment writes OUT/NAME/report.md, CSV data and PNG + SVG figures." default:"out/reproduce"`
	Seed    uint64   `help:"Seed of every random draw." default:"1"`
	Images  string   `help:"Folder with the papers' test images (cameraman256.png, house256rgb.png, triangle-0.2.png, ...) to use instead of the set embedded in dipgp (data/images of the repository). The folder must exist and hold the images the experiments read: a missing folder or image is an error (only without --images do quick and tiny runs fall back to a synthetic image for an image the embedded set lacks)." placeholder:"DIR"`
	Arch    []string `help:"Architecture for arch-sweep (preset PRESET:key=value,... or YAML/JSON file); repeat the flag for several. Default: the four presets." sep:"none"`
	Samples int      `help:"Random networks per curve, replacing the mode's (an intermediate setting), for ${samples_experiments}; the others refuse it."`
	Iters   int      `help:"Iterations per training run, replacing the mode's, for ${iters_experiments}; the others refuse it."`
	Workers int      `help:"Goroutines for kernels and Monte Carlo (0 = all cores). Results do not depend on it."`
	Shard   string   `help:"Run one shard i/n of a shardable experiment (see --list): shard i runs the units i, i+n, i+2n, ... of the experiment's work, which are for ${shard_units}. Merge the shards' --out folders with 'dipgp reproduce merge DIR...'." placeholder:"i/n"`
}

func (c *reproduceCmd) Run(ctx context.Context, g *Globals) error {
	if c.List {
		return c.list()
	}
	if len(c.Names) == 0 {
		return errors.New("reproduce: give an experiment name (see 'dipgp reproduce --list') or 'all'")
	}
	if c.Names[0] == "merge" {
		return c.merge(ctx, g, c.Names[1:])
	}
	shard, shards, err := parseShard(c.Shard)
	if err != nil {
		return err
	}
	if c.Quick && c.Tiny {
		return errors.New("reproduce: give --quick or --tiny, not both")
	}
	mode := experiments.Full
	switch {
	case c.Quick:
		mode = experiments.Quick
	case c.Tiny:
		mode = experiments.Tiny
	}
	if err := checkImagesFlag(c.Images); err != nil {
		return err
	}
	var xs []experiments.Experiment
	for _, n := range c.Names {
		if n == "all" {
			xs = append(xs, experiments.List()...)
			continue
		}
		x, err := experiments.Lookup(n)
		if err != nil {
			return err
		}
		xs = append(xs, x)
	}
	for _, x := range xs { // before anything runs
		if err := x.CheckOverrides(experiments.Config{Iters: c.Iters, Samples: c.Samples}); err != nil {
			return err
		}
	}
	if len(c.Arch) > 0 {
		ok := false
		for _, x := range xs {
			ok = ok || x.Name == "arch-sweep"
		}
		if !ok {
			return errors.New("reproduce: --arch is for arch-sweep; add arch-sweep to the experiments")
		}
	}
	if shards > 1 {
		if err := writeShardInfo(c.Out, shardInfo{Names: c.Names, Mode: mode.String(), Seed: c.Seed, Images: c.Images,
			Samples: c.Samples, Iters: c.Iters, Shard: shard, Shards: shards}); err != nil {
			return err
		}
	}
	return c.runAll(ctx, g, xs, mode, shard, shards, nil)
}

// runAll runs the experiments one after the other.
func (c *reproduceCmd) runAll(ctx context.Context, g *Globals, xs []experiments.Experiment, mode experiments.Mode, shard, shards int, merge []string) error {
	var errs []error
	for _, x := range xs {
		if ctx.Err() != nil {
			break
		}
		err := c.runOne(ctx, g, x, mode, shard, shards, merge)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "dipgp: %v\n", err)
			errs = append(errs, err)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(errs) > 0 {
		return fmt.Errorf("reproduce: %d of %d experiments failed (see above)", len(errs), len(xs))
	}
	return nil
}

func (c *reproduceCmd) runOne(ctx context.Context, g *Globals, x experiments.Experiment, mode experiments.Mode, shard, shards int, merge []string) error {
	prog := newProgress(g)
	bar := prog.Bar(x.Name, 0)
	fn := bar.Func()
	cfg := experiments.Config{Out: c.Out, Mode: mode, Seed: c.Seed, Images: c.Images, Archs: c.Arch, Samples: c.Samples, Iters: c.Iters, Workers: c.Workers,
		Shard: shard, Shards: shards, MergeFrom: merge,
		Progress: func(done, total int, msg string) { fn.Report(done, total, msg) }}
	if !g.Quiet {
		cfg.Log = os.Stderr
	}
	over := ""
	if c.Samples > 0 {
		over += fmt.Sprintf("; --samples %d", c.Samples)
	}
	if c.Iters > 0 {
		over += fmt.Sprintf("; --iters %d", c.Iters)
	}
	if err := prepareOut(filepath.Join(c.Out, x.Name), g, false, append([]string{c.Images}, c.Arch...)...); err != nil {
		return err
	}
	fmt.Fprintf(reproduceOut, "%s (%s mode: %s%s)\n", x.Name, mode, x.Cost(mode), over)
	res, err := x.Run(ctx, cfg)
	bar.Done()
	prog.Wait()
	if res != nil {
		status := "done"
		if err != nil {
			status = "stopped"
		}
		fmt.Fprintf(reproduceOut, "  %s in %s: %s\n", status, time.Duration(res.Seconds*float64(time.Second)).Round(100*time.Millisecond), res.Report)
	}
	return err
}

func (c *reproduceCmd) list() error {
	w := tabwriter.NewWriter(reproduceOut, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tQUICK\tFULL\tWHAT")
	for _, x := range experiments.List() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", x.Name, costTime(x.QuickCost), costTime(x.FullCost), oneLine(x.Summary, 80))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(reproduceOut, "\nRun 'dipgp reproduce NAME --quick' (minutes) or without --quick (the papers' settings); 'dipgp reproduce all --quick' runs them all.")
	for _, x := range experiments.List() {
		fmt.Fprintf(reproduceOut, "\n%s\n  %s\n  reproduces: %s\n  quick: %s\n  full:  %s\n", x.Name, x.Summary, x.Paper, x.QuickCost, x.FullCost)
		if len(x.Images) > 0 {
			fmt.Fprintf(reproduceOut, "  images: %s\n", strings.Join(x.Images, ", "))
		}
		if x.Shardable {
			fmt.Fprintf(reproduceOut, "  shards: yes (--shard i/n, then 'dipgp reproduce merge')\n")
		} else {
			fmt.Fprintf(reproduceOut, "  shards: no (runs whole; --shard is refused)\n")
		}
	}
	return nil
}

// checkImagesFlag returns an error unless dir, the --images folder, is
// empty (the embedded set) or an existing folder.
func checkImagesFlag(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("reproduce: --images %s: %v; give the folder that holds the papers' test images, or leave --images out to use the set embedded in dipgp", dir, err)
	case !st.IsDir():
		return fmt.Errorf("reproduce: --images %s is a file, not a folder; give the folder that holds the papers' test images, or leave --images out to use the set embedded in dipgp", dir)
	}
	return nil
}

// costTime returns the time part of a cost ("about 2 min: N = 512, ..."
// gives "about 2 min").
func costTime(s string) string {
	t, _, _ := strings.Cut(s, ":")
	return t
}

// oneLine shortens s to n characters at a word boundary.
func oneLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], " ")
	if cut < n/2 {
		cut = n
	}
	return s[:cut] + " ..."
}
