package netinit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// CheckConfig is one run of the equivalence check: an architecture, an
// output size and the sampling options.
type CheckConfig struct {
	Arch    arch.Arch
	Size    []int
	Options Options
	// KernelWorkers is passed to kernel.Compute (0 = GOMAXPROCS).
	KernelWorkers int
	// BN, BNSamples and BNSeed select the kernel's batch-norm rule (see
	// kernel.Options; the zero values mean the exact rule with its
	// defaults).
	BN        kernel.BNMode
	BNSamples int
	BNSeed    uint64
	// BNMaxFlops and BNMeanFieldNEff are those of kernel.Options.
	BNMaxFlops      float64
	BNMeanFieldNEff float64
	// Partial, if set, is called during sampling, at most every
	// PartialEvery (default 2 s) and once at the end, with the result from
	// the networks so far: for a running error estimate and for writing
	// partial results as a run goes.
	Partial      func(done, total int, r CheckResult)
	PartialEvery time.Duration
}

// CheckResult is the outcome of a check: the analytic kernel, the Monte
// Carlo estimate with its standard errors and their comparison.
type CheckResult struct {
	Arch       string     `json:"arch"`
	Size       []int      `json:"size"`
	Width      int        `json:"width"`
	Samples    int        `json:"samples"`
	Seed       uint64     `json:"seed"`
	FixedInput bool       `json:"fixed_input"`
	Period     int        `json:"period"`
	Margin     int        `json:"margin"`
	Region     string     `json:"region"`
	Shard      string     `json:"shard,omitempty"`
	Complete   bool       `json:"complete"`
	Comparison Comparison `json:"comparison"`
	// Shape compares the row-centered kernels (each phase's row minus its
	// mean over offsets): the kernel's shape without the common-mode part,
	// whose sampling noise otherwise hides structural errors.
	Shape Comparison `json:"shape"`
	// Test is the calibrated agreement test (Hotelling T^2 on a reduced
	// basis, with p-values); it sets the verdict.
	Test Agreement `json:"test"`
	// Verdict is the one-line conclusion of Test.
	Verdict       string  `json:"verdict"`
	KernelSeconds float64 `json:"kernel_seconds"`
	// BN is the kernel's batch-norm rule and BNSegments how each segment
	// was computed (with the Monte Carlo's standard errors).
	BN            string             `json:"bn"`
	BNSegments    []kernel.BNSegment `json:"bn_segments,omitempty"`
	SampleSeconds float64            `json:"sample_seconds"`
	NetsPerSecond float64            `json:"networks_per_second"`

	Analytic  kernel.Map `json:"-"`
	Empirical kernel.Map `json:"-"`
	Stderr    kernel.Map `json:"-"`
	Stats     *Stats     `json:"-"`
}

// Width returns the width (channels of the widest conv or units of the
// widest dense layer without image, branches included) of an architecture, or 0 when it is not valid.
func Width(a arch.Arch) int {
	p, err := a.Plan(nil)
	if err != nil {
		return 0
	}
	w := 0
	for _, n := range p.Nodes {
		if c, ok := n.Layer.(arch.Conv); ok {
			w = max(w, c.Out)
		}
		if d, ok := n.Layer.(arch.Dense); ok && !d.Image {
			w = max(w, d.Out)
		}
	}
	return w
}

// Check computes the analytic NNGP of cfg.Arch's output, samples random
// networks (all of cfg.Options' shard) and compares the two. When ctx is
// cancelled during sampling it returns the result from the networks
// completed so far (Complete false) and ctx.Err().
func Check(ctx context.Context, cfg CheckConfig) (CheckResult, error) {
	r := CheckResult{Arch: cfg.Arch.String(), Size: cfg.Size, Width: Width(cfg.Arch), Seed: cfg.Options.Seed,
		FixedInput: cfg.Options.FixedInput}
	t0 := time.Now()
	ko := kernel.Options{Workers: cfg.KernelWorkers, BN: cfg.BN, Samples: cfg.BNSamples, Seed: cfg.BNSeed, BNMaxFlops: cfg.BNMaxFlops, BNMeanFieldNEff: cfg.BNMeanFieldNEff}
	nngp, _, rep, err := kernel.ComputeReport(ctx, cfg.Arch, cfg.Size, ko)
	if err != nil {
		return r, err
	}
	r.BN, r.BNSegments = string(cfg.BN), rep.BN
	if r.BN == "" {
		r.BN = string(kernel.BNExact)
	}
	r.KernelSeconds = time.Since(t0).Seconds()
	r.Analytic = nngp
	o := cfg.Options
	o.Period = nngp.Period
	if o.Margin < 0 {
		o.Margin = autoMargin(cfg.Arch, cfg.Size)
	}
	r.Period, r.Margin = o.Period, o.Margin
	r.Region = "the whole periodic grid"
	if o.Margin > 0 {
		r.Region = fmt.Sprintf("interior: %d pixels from every border left out (padding %s breaks stationarity there)", o.Margin, cfg.Arch.Pad)
	}
	return r.sample(ctx, cfg, o, func(o Options) (*Stats, error) { return Sample(ctx, cfg.Arch, cfg.Size, o) })
}

// sample runs the sampler with progress reporting, then finishes r.
func (r CheckResult) sample(ctx context.Context, cfg CheckConfig, o Options, sampler func(Options) (*Stats, error)) (CheckResult, error) {
	if o.Shards > 1 {
		r.Shard = fmt.Sprintf("%d/%d", o.Shard, o.Shards)
	}
	t1 := time.Now()
	if cfg.Partial != nil {
		every := cfg.PartialEvery
		if every <= 0 {
			every = 2 * time.Second
		}
		o.ProgressEvery = every
		o.Progress = func(done, total int, s *Stats) {
			if s.N < 2 {
				return
			}
			p := r
			if p.finish(s) == nil {
				p.SampleSeconds = time.Since(t1).Seconds()
				p.NetsPerSecond = float64(s.N) / p.SampleSeconds
				cfg.Partial(done, total, p)
			}
		}
	}
	stats, serr := sampler(o)
	r.SampleSeconds = time.Since(t1).Seconds()
	if stats == nil {
		return r, serr
	}
	if err := r.finish(stats); err != nil {
		return r, errors.Join(serr, err)
	}
	r.Complete = serr == nil
	r.NetsPerSecond = float64(stats.N) / r.SampleSeconds
	return r, serr
}

// finish fills the estimate and comparison from the statistics.
func (r *CheckResult) finish(stats *Stats) error {
	r.Stats = stats
	r.Samples = stats.N
	if stats.N < 2 {
		return fmt.Errorf("netinit: only %d network(s) sampled; need at least 2 for error bars", stats.N)
	}
	var err error
	if r.Empirical, r.Stderr, err = stats.Estimate(); err != nil {
		return err
	}
	if r.Comparison, err = Compare(r.Analytic, r.Empirical, r.Stderr); err != nil {
		return err
	}
	cm, cse, err := stats.Centered()
	if err != nil {
		return err
	}
	a, err := r.Analytic.WithPeriod(stats.Period)
	if err != nil {
		return err
	}
	ca := a.Clone()
	CenterRows(ca.Data, a.Data, stats.Valid, a.Points())
	// Errors of the shape are relative to the same variance as the rest.
	if r.Shape, err = CompareScaled(ca, cm, cse, r.Comparison.Variance); err != nil {
		return err
	}
	if r.Test, err = Agree(r.Analytic, stats.Period, stats.Feat); err != nil {
		return err
	}
	// The calibrated test decides; the entry-wise counts stay descriptive.
	r.Comparison.Consistent = r.Test.Agree
	r.Shape.Consistent = !(r.Test.Shape.P < r.Test.Alpha)
	r.Verdict = r.Test.Summary()
	return nil
}

// statsMeta is what a shard writes next to its sums (stats.json).
type statsMeta struct {
	Arch       json.RawMessage `json:"arch"`
	Size       []int           `json:"size"`
	Seed       uint64          `json:"seed"`
	FixedInput bool            `json:"fixed_input"`
	Period     int             `json:"period"`
	Margin     int             `json:"margin"`
	Samples    int             `json:"samples_total"`
	Shard      int             `json:"shard"`
	Shards     int             `json:"shards"`
	N          int             `json:"n"`
	BN         string          `json:"bn,omitempty"`
	BNSamples  int             `json:"bn_samples,omitempty"`
	BNSeed     uint64          `json:"bn_seed,omitempty"`
	BNMaxFlops float64         `json:"bn_max_flops,omitempty"`
	BNNEff     float64         `json:"bn_meanfield_neff,omitempty"`
}
