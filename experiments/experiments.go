package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Mode selects the size of an experiment's run.
type Mode int

// Modes, from the cheapest.
const (
	// Tiny runs every step of an experiment on toy sizes in seconds: it is
	// what the tests run. Its numbers only show that the pipeline works.
	Tiny Mode = iota
	// Quick runs small sizes in minutes on a laptop: the shapes of the
	// papers' curves, not their exact numbers.
	Quick
	// Full runs the papers' settings, whatever it costs (stated in
	// Experiment.FullCost).
	Full
)

// String returns "tiny", "quick" or "full".
func (m Mode) String() string {
	switch m {
	case Tiny:
		return "tiny"
	case Quick:
		return "quick"
	case Full:
		return "full"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads "tiny", "quick" or "full".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tiny":
		return Tiny, nil
	case "quick":
		return Quick, nil
	case "full":
		return Full, nil
	}
	return 0, fmt.Errorf("experiments: mode %q is not tiny, quick or full", s)
}

// pick returns the value for the mode.
func pick[T any](m Mode, tiny, quick, full T) T {
	switch m {
	case Tiny:
		return tiny
	case Quick:
		return quick
	}
	return full
}

// Config is how to run an experiment.
type Config struct {
	// Out is the output folder; an experiment writes into Out/NAME.
	Out string
	// Mode is Tiny, Quick or Full.
	Mode Mode
	// Seed determines every random draw of the experiment (networks,
	// inputs, noise, masks, GP samples); the same seed gives the same
	// files.
	Seed uint64
	// Images is the folder with the papers' test images (cameraman256.png,
	// house256rgb.png, triangle-0.2.png, ...); empty means the images
	// embedded in package data (data/images). A folder given here must
	// exist and hold the images: one that does not, or that lacks an image
	// the experiment reads, is an error naming the folder and the file.
	// Only when an image is missing from the embedded set do Tiny and
	// Quick fall back to imageio.Synthetic (and say so in the report);
	// Full fails with an error naming the file.
	Images string
	// Archs are the architectures of arch-sweep (preset strings or
	// YAML/JSON files); nil selects the four presets.
	Archs []string
	// Samples, when positive, replaces the mode's number of random
	// networks per curve of the Monte Carlo experiments (cheng-mc-1d,
	// cheng-encdec-1d): an intermediate setting between Quick and Full.
	Samples int
	// Iters, when positive, replaces the mode's number of iterations per
	// run of the training experiments.
	Iters int
	// Workers bounds the goroutines of kernel computations and Monte Carlo
	// sampling (0 = all cores). Results do not depend on it.
	Workers int
	// Progress, when not nil, is called as an experiment advances, with the
	// steps done, the total and a short message.
	Progress func(done, total int, msg string)
	// Log, when not nil, receives one line per note (departures from the
	// paper, fall-backs) as they happen.
	Log io.Writer
	// Command is the command line that reproduces the run, written into
	// the report ("" writes the equivalent dipgp command).
	Command string
	// Shard and Shards split a run of an experiment whose cost is in Monte
	// Carlo checks (Experiment.Shardable): this run samples the networks i
	// with i mod Shards == Shard of every check and writes their
	// statistics under Out/NAME/units/. Shards 0 or 1: no split.
	Shard, Shards int
	// MergeFrom, when set, lists the Out folders of the shards of one run:
	// the experiment reads and merges their statistics instead of sampling,
	// which gives the result of one unsharded run.
	MergeFrom []string
}

// Experiment is one reproducible analysis.
type Experiment struct {
	// Name is the command-line name, e.g. "cheng-kernels-1d".
	Name string
	// Summary says in one sentence what the experiment shows.
	Summary string
	// Paper names the figure or table it reproduces (or extends).
	Paper string
	// TinyCost, QuickCost and FullCost estimate the wall time on two
	// cores and say what each mode runs.
	TinyCost, QuickCost, FullCost string
	// Images lists the test images the experiment reads from
	// Config.Images.
	Images []string
	// Shardable says that the experiment's cost is in independent units
	// (random networks of Monte Carlo checks, training runs, (image, seed)
	// pairs, ...), which Config.Shard splits and Config.MergeFrom merges.
	Shardable bool
	// ShardUnits names, in the plural, the units a shard runs, e.g.
	// "(image, seed) pairs"; empty when the experiment is not Shardable.
	ShardUnits string
	// TakesIters says that Config.Iters (--iters) sets the iterations of
	// the experiment's training runs, TakesSamples that Config.Samples
	// (--samples) sets its random networks per curve. Run refuses an
	// override that the experiment would ignore.
	TakesIters, TakesSamples bool

	run func(e *env) error
}

// Cost returns the cost estimate for a mode.
func (x Experiment) Cost(m Mode) string {
	return pick(m, x.TinyCost, x.QuickCost, x.FullCost)
}

// Result is what a run wrote.
type Result struct {
	// Name is the experiment, Dir the folder it wrote into and Report the
	// path of report.md.
	Name, Dir, Report string
	// Mode and Seed are those of the run.
	Mode Mode
	Seed uint64
	// Files are the files written, relative to Dir.
	Files []string
	// Numbers are the headline numbers (also in numbers.json); every value
	// is finite.
	Numbers map[string]float64
	// Notes are the departures from the paper's setting and the
	// fall-backs taken.
	Notes []string
	// Seconds is the wall time.
	Seconds float64
	// Complete is false when the run was interrupted.
	Complete bool
}

var registry []Experiment

func register(x Experiment) {
	registry = append(registry, x)
}

// List returns the experiments in the order of the issue that asked for
// them: the kernel, GP and Monte Carlo ones first, then the training ones.
func List() []Experiment {
	out := append([]Experiment(nil), registry...)
	sort.SliceStable(out, func(i, j int) bool { return order(out[i].Name) < order(out[j].Name) })
	return out
}

var names = []string{"cheng-kernels-1d", "cheng-mc-1d", "cheng-encdec-1d", "encdec-bn-1d", "prior-samples", "dip-kernel-2d",
	"gp-inpaint", "denoise-sgld", "denoise-sgld-table", "inpaint-sgld-table", "spectral-order", "spectral-lowpass", "fbc", "arch-sweep", "shi-controls", "shi-stopping"}

func order(name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return len(names)
}

// Lookup returns the experiment with the given name.
func Lookup(name string) (Experiment, error) {
	for _, x := range registry {
		if x.Name == name {
			return x, nil
		}
	}
	var all []string
	for _, x := range List() {
		all = append(all, x.Name)
	}
	return Experiment{}, fmt.Errorf("experiments: no experiment %q; choose one of %s (or all)", name, strings.Join(all, ", "))
}

// Run runs the experiment and writes its files into cfg.Out/x.Name. When
// ctx is cancelled it stops at the next step, writes the report of what was
// done (marked interrupted) and returns ctx's error with the result.
func (x Experiment) Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Out == "" {
		return nil, errors.New("experiments: no output folder; set Config.Out (--out)")
	}
	if cfg.Mode < Tiny || cfg.Mode > Full {
		return nil, fmt.Errorf("experiments: unknown mode %d; use Tiny, Quick or Full", cfg.Mode)
	}
	if x.run == nil {
		return nil, fmt.Errorf("experiments: %s has no run function", x.Name)
	}
	if (cfg.Shards > 1 || len(cfg.MergeFrom) > 0) && !x.Shardable {
		return nil, fmt.Errorf("experiments: %s does not split into shards (only these do: %s); run it unsharded", x.Name, strings.Join(shardable(), ", "))
	}
	if cfg.Shards > 1 && (cfg.Shard < 0 || cfg.Shard >= cfg.Shards) {
		return nil, fmt.Errorf("experiments: shard %d of %d does not exist; give --shard i/n with 0 <= i < n", cfg.Shard, cfg.Shards)
	}
	if err := x.CheckOverrides(cfg); err != nil {
		return nil, err
	}
	if err := checkImageDir(cfg.Images, x.Name, x.Images); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.Out, x.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	e := newEnv(ctx, cfg, x, dir)
	t0 := time.Now()
	err := x.run(e)
	e.res.Seconds = time.Since(t0).Seconds()
	e.res.Complete = err == nil
	if werr := e.finish(err); werr != nil {
		return e.res, errors.Join(err, werr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return e.res, fmt.Errorf("%s interrupted: %w", x.Name, err)
		}
		return e.res, fmt.Errorf("%s: %w", x.Name, err)
	}
	return e.res, nil
}

// shardable lists the experiments that split into shards.
func shardable() []string { return namesWhere(func(x Experiment) bool { return x.Shardable }) }

// TakingIters lists the experiments whose training runs --iters sets.
func TakingIters() []string { return namesWhere(func(x Experiment) bool { return x.TakesIters }) }

// TakingSamples lists the experiments whose networks per curve --samples
// sets.
func TakingSamples() []string { return namesWhere(func(x Experiment) bool { return x.TakesSamples }) }

// namesWhere lists the experiments for which keep is true, in List's order.
func namesWhere(keep func(Experiment) bool) []string {
	var out []string
	for _, x := range List() {
		if keep(x) {
			out = append(out, x.Name)
		}
	}
	return out
}

// CheckOverrides returns an error when cfg overrides the iterations
// (Iters) or the networks per curve (Samples) of an experiment that does
// not take them, naming those that do; an ignored override would run the
// mode's numbers under a report that claims otherwise.
func (x Experiment) CheckOverrides(cfg Config) error {
	if cfg.Iters > 0 && !x.TakesIters {
		return fmt.Errorf("experiments: %s does not take --iters, it would run its mode's iterations (these take it: %s); leave --iters out for it", x.Name, strings.Join(TakingIters(), ", "))
	}
	if cfg.Samples > 0 && !x.TakesSamples {
		return fmt.Errorf("experiments: %s does not take --samples, it would run its mode's networks (these take it: %s); leave --samples out for it", x.Name, strings.Join(TakingSamples(), ", "))
	}
	return nil
}
