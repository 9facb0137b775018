// Package netinit is the Monte Carlo side of dipgp's main check: it draws
// many randomly initialized finite networks (package nn), estimates the
// covariance of their outputs as a kernel.Map with standard errors, and
// compares it with the analytic infinite-width kernel of package kernel
// (docs/theory.md sections 1, 2 and 6).
//
// Estimates are built from sufficient statistics (Stats) that merge exactly,
// so a run can be split into shards on many machines and combined.
//
// netinit computes and stores (WriteStats, Merge); it does not present:
// figures, tables and report text are internal/checkreport's.
//
// netinit imports arch, kernel and nn; it must not import gp, dip,
// experiments, cmd or plotting.
package netinit
