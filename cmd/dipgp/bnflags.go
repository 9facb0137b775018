package main

import (
	"fmt"
	"os"

	"github.com/dipgp/dipgp/kernel"
)

// bnFlags select the batch-norm rule of the kernel computation.
type bnFlags struct {
	BN              string  `help:"Batch-norm rule of the kernel: exact (Monte Carlo over exact Gaussian fields, with error estimates; docs/batchnorm.md) or meanfield (divide by the expected variance: fast, biased on small grids)." default:"exact" enum:"exact,meanfield" name:"bn"`
	BNSamples       int     `help:"Fields drawn per batch-norm segment by the exact rule (0 = kernel.DefaultSamples)." name:"bn-samples"`
	BNSeed          uint64  `help:"Seed of the exact batch-norm rule's Monte Carlo (0, the default, is kernel.Options' default)." default:"0" name:"bn-seed"`
	BNMaxFlops      float64 `help:"Largest estimated cost (flops) of one segment's Monte Carlo; costlier segments use mean field and are reported (0 = kernel.DefaultBNMaxFlops, -1 = no limit). The cost grows with --bn-samples." name:"bn-max-flops"`
	BNMeanFieldNEff float64 `help:"Segments whose input has at least this n_eff (and only ReLU, LeakyReLU or identity activations) use mean field, which errs there by about 2/n_eff (0 = kernel.DefaultBNMeanFieldNEff, -1 = never)." name:"bn-meanfield-neff"`
}

// apply sets the batch-norm fields of kernel options.
func (b bnFlags) apply(o kernel.Options) kernel.Options {
	o.BN = kernel.BNMode(b.BN)
	o.Samples = b.BNSamples
	o.Seed = b.BNSeed
	o.BNMaxFlops = b.BNMaxFlops
	o.BNMeanFieldNEff = b.BNMeanFieldNEff
	return o
}

// printBN writes one line per batch-norm segment of a report to stderr.
func printBN(rep kernel.Report) {
	var secs, flops float64
	for _, s := range rep.BN {
		secs += s.Seconds
		flops += s.Flops
	}
	if len(rep.BN) == 0 {
		return
	}
	mc := 0
	for _, s := range rep.BN {
		if s.Method == "montecarlo" {
			mc++
		}
	}
	fmt.Fprintf(os.Stderr, "batch norm: %d segments, %d by Monte Carlo (%.2f s); largest standard error %.2g of the variance\n", len(rep.BN), mc, secs, maxSE(rep))
}

func maxSE(rep kernel.Report) float64 {
	m := 0.0
	for _, s := range rep.BN {
		m = max(m, s.SE, s.SENTK)
	}
	return m
}
