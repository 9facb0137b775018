// Package kernel computes the exact infinite-width NNGP and NTK of an
// architecture from package arch on the periodic grid, layer by layer
// (theory.md sections 1 to 3), as stationary or cyclostationary maps (Map).
//
// Map is the one covariance type of dipgp: netinit's Monte Carlo estimates
// are Maps too, so analytic and empirical kernels compare directly.
//
// kernel imports arch only (of dipgp's packages); it must not import gp, nn,
// netinit, dip, experiments or cmd.
package kernel
