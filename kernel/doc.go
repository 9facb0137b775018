// Package kernel computes the exact infinite-width NNGP and NTK of an
// architecture from package arch on the periodic grid, layer by layer
// (docs/theory.md sections 1 to 3), as stationary or cyclostationary maps (Map).
//
// Map is the one covariance type of dipgp: netinit's Monte Carlo estimates
// are Maps too, so analytic and empirical kernels compare directly.
//
// # Propagation
//
// Compute propagates, per tensor, the second moment M(x, x') = E[h(x)
// h(x')] of the field values (not the covariance: post-activations have a
// non-zero mean) and the NTK T, as maps of period P, together with whether
// the field is a zero-mean Gaussian field (a pre-activation), which an
// activation requires. Every layer kind has its rule in the file of the
// same name as in arch (conv.go, act.go, pool.go, upsample.go,
// batchnorm.go, concat.go, dense.go, input.go); the linear layers share the
// separable-gather machinery of linear.go. Memory is P^2 H W values per
// map instead of (H W)^2: dip-skip's five up-samplings give P = 32, so a
// 256x256 map is 512 MiB where the full covariance would be 32 GiB.
//
// Buffers come from a pool that reuses them, most layers work in place
// (activations, batch norm, 1x1 and all stride-1 convs), and work is split
// over phases and offset blocks, with results bit-identical for any number
// of workers. Memory runs the same propagation without data, so its
// estimate follows the allocations exactly.
//
// # Accuracy
//
// Closed forms are used for relu, leakyrelu, erf and identity; tanh and
// sigmoid use a Hermite (Mehler) series with a rigorous truncation bound of
// 1e-12 (relative), cross-checked against two high-order quadratures (see
// act.go). Tests compare with a brute-force propagation of the full (HW)^2
// matrices written independently from docs/theory.md (agreement to 1e-9
// relative, NNGP and NTK, on 16x16 and length 64), with docs/theory.md
// section 7's values, and with closed forms for linear networks.
//
// # Batch norm
//
// Batch norm over one image's grid divides by a random spatial variance.
// The default rule (BNExact, docs/batchnorm.md) is exact at infinite
// width: every stretch from a pre-activation to the next conv that holds a
// batch norm is evaluated by Monte Carlo over exact draws of the Gaussian
// pre-activation field (cyclostationary square roots per Fourier block),
// with the mean-field rule as control variate and the NTK differentiated
// through the statistics; ComputeReport returns the standard errors. The
// mean-field rule (BNMeanField) divides by the expected variance; segments
// whose Monte Carlo would cost more than Options.BNMaxFlops use it too.
//
// # Performance
//
// dip-skip with all defaults (period 32), NNGP and NTK at 256x256, with
// the mean-field batch-norm rule: about 9 s of CPU time (two goroutines; about 5 s of wall time on an idle
// 2-core machine) and 1.35 GB peak resident memory (Memory estimates
// 1.2 GiB); 512x512: about 48 s of CPU time and 5.2 GB (estimate 4.8 GiB).
// See bench_test.go. The exact batch-norm rule adds about 35 s of CPU time
// at 256x256 (docs/batchnorm.md section 6) and no memory to the peak.
//
// kernel imports arch only (of dipgp's packages); it must not import gp, nn,
// netinit, dip, experiments or cmd.
package kernel
