// Package dip trains the deep image prior with dipgp's finite network engine
// (nn) and measures, frequency by frequency, what the network fits, so that
// real training can be compared with the dynamics the neural tangent kernel
// predicts (theory.md sections 5 and 6).
//
// # Tasks
//
// A Problem holds the clean image x, the degraded target y the network is
// fitted to and, for inpainting, the mask of observed pixels:
//
//   - fit: y = x.
//   - denoise: y = x + e, e Gaussian with standard deviation Sigma/255
//     (Sigma given on the 0..255 scale, as in the DIP paper), drawn from
//     an explicit seed; y is not clipped.
//   - inpaint: y = m * x with m a 0/1 mask (from a file or drawn with a
//     keep fraction from a seed); the loss only sees observed pixels.
//
// # Training
//
// Train runs the loop: the network's input is its fixed noise z, perturbed
// at every step by fresh Gaussian noise of standard deviation RegNoise
// (DIP's reg_noise_std, 1/30 by default for Adam); the loss is DIP's
// mean squared error over all values, L = mean((m*(f - y))^2), whose
// gradient with respect to the output is 2 m (f - y) / n. Optimizers: plain
// gradient descent, Adam (both as PyTorch defines them, through nn), and
// stochastic gradient Langevin dynamics in two forms:
//
//   - sgld-cheng (Cheng et al., CVPR 2019): an Adam step with weight decay
//     (L2 added to the gradient, as torch.optim.Adam's weight_decay), then
//     Gaussian noise of standard deviation ParamNoise*LR added to every
//     convolution weight. The posterior mean is the average of the outputs
//     after BurnIn, one sample every SampleEvery steps.
//   - sgld (textbook Langevin): with U(theta) = ||m(f - y)||^2 / (2 s^2) +
//     ||theta||^2 / (2 p^2) the negative log posterior (noise variance s^2,
//     prior standard deviation p), theta <- theta - (eps/2) grad U + N(0, eps)
//     on every parameter, eps = LR.
//
// Every random draw (network, input, input perturbation, Langevin noise,
// task noise and mask) comes from an explicit seed; perturbations of step t
// use their own stream derived from (seed, t), so a resumed run draws
// exactly what an uninterrupted run draws.
//
// # Measurements
//
// Every Every steps Train records the loss; the PSNR against the clean
// image of the output, of DIP's exponential average of the outputs and of
// the average after burn-in (the SGLD posterior mean); the frequency-band
// correspondence (FBC) of Shi et al. exactly as theory.md section 6 defines
// it (FBC); and the per-frequency residual ratio |F(f_t - y)| / |F(f_0 - y)|
// in radial bins (RatioBins). Trajectory distance (Chakrabarty and Maji)
// between two runs is SSE.
//
// # Comparison with the kernel
//
// Compare takes the measurements of a run and the NTK of the same
// architecture (from package kernel, spectra and predicted dynamics from
// package gp) and reports, per radial bin, the observed and predicted
// half-fit iterations and their Spearman rank correlation, and per FBC
// band the RMS gap between the observed and the predicted curves. For
// optimizers without a fixed step (Adam, sgld-cheng) it fits one time
// scale (an effective step) and says so.
//
// dip imports arch, nn, kernel, gp and internal packages of dipgp; it must
// not import netinit, experiments or cmd.
package dip
