// Package gp turns a kernel map (kernel.Map, the exact infinite-width NNGP or
// NTK of an architecture on the periodic grid) into the answers researchers
// ask for (docs/theory.md sections 4 to 6):
//
//   - Spectrum: the eigenvalues of the covariance, by FFT for stationary maps
//     and from the coupled P^2 x P^2 Fourier blocks for cyclostationary ones,
//     with radial profiles, a fitted power-law slope and the half-power
//     frequency.
//   - Prior and Sample: draws from the GP prior (FFT synthesis, or the exact
//     symmetric square root of every Fourier block).
//   - Denoise and Inpaint: GP regression with the architecture's kernel, with
//     the signal scale and noise level given or fitted by maximizing the
//     (restricted) log marginal likelihood; inpainting by preconditioned
//     conjugate gradients with FFT products.
//   - Family: periodized RBF and Matern baselines with a fitted length scale.
//   - Predict: the training dynamics that plain gradient descent on the NTK
//     predicts, per frequency, as FBC bands, and as a PSNR curve with its best
//     stopping iteration.
//
// # Diagonalization
//
// Everything rests on one exact representation of the covariance, built by
// NewPrior. A stationary map is diagonal in the Fourier basis. A map of
// period P couples frequency w only with w + M m (M = N / P, m in Z_P per
// axis), so the covariance is block diagonal in the Fourier basis with
// blocks of P^d frequencies (docs/theory.md section 4). Each block is Hermitian;
// it is diagonalized through its real symmetric form [[Re B, -Im B],
// [Im B, Re B]], which has the same eigenvalues, each twice, and whose
// functions g(R) are the real forms of g(B). A block and its mirror block at
// -w are complex conjugates of each other, so only one of each pair is
// factorized. The cost is about N^2 P^4 (2-D), which is fine for periods up
// to about 8 at 512 x 512; beyond a work budget NewPrior uses the
// phase-averaged (stationary) map instead and says so in Prior.Note.
//
// # Conventions
//
// Grids are row-major, [H, W] or [N], as in package kernel and internal/fft2.
// Frequencies are in cycles per pixel. Data values are in the units of the
// caller (images: [0, 1], so a noise level of 25 on the 0..255 scale is
// 25/255). Regression uses a constant mean with a flat prior: the mean is
// the generalized least squares estimate and the likelihood is the
// restricted (REML) one, which is the exact likelihood of the data with its
// constant component removed.
//
// Random draws take an explicit seed; draw i of a call uses its own PCG
// stream (seed, i), so results do not depend on the number of workers.
//
// gp imports kernel (and internal helpers); it must not import nn, netinit,
// dip, experiments or cmd.
package gp
