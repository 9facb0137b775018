// Package dip trains the deep image prior with dipgp's finite network engine
// (nn) and measures, frequency by frequency, what the network fits, so that
// real training can be compared with the dynamics the neural tangent kernel
// predicts (docs/theory.md sections 5 and 6).
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
// A 1-D signal of N samples (NewSignalProblem) is held as an image of width
// N and height 1 and is fitted by a 1-D architecture (dims=1); its FBC
// bands and radial bins are those of its 1-D spectrum, and its PSNRs are
// not clipped to [0, 1].
//
// # Training
//
// Train runs the loop: the network's input is its fixed noise z, perturbed
// at every step by fresh Gaussian noise of standard deviation RegNoise
// (DIP's reg_noise_std, 1/30 by default for Adam); the loss is DIP's
// mean squared error over all values, L = mean((m*(f - y))^2), whose
// gradient with respect to the output is 2 m (f - y) / n. Optimizers: plain
// gradient descent (nn.SGD), Adam (torch.optim.Adam: the same float32
// operations as nn.Adam, bit for bit, with the moments exposed for
// checkpoints), and stochastic gradient Langevin dynamics in two forms:
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
// use their own streams derived from (seed, t) (and the channel for the
// input, drawn in parallel with a ziggurat), so a resumed run draws exactly
// what an uninterrupted run draws, at any thread count.
//
// # Measurements
//
// Every Every steps Train records the loss; the PSNR against the clean
// image of the output, of DIP's exponential average of the outputs and of
// the average after burn-in (the SGLD posterior mean); the frequency-band
// correspondence (FBC) of Shi et al. exactly as docs/theory.md section 6 defines
// it (FBC); and the per-frequency residual ratio |F(f_t - y)| / |F(f_0 - y)|
// in radial bins (RatioBins). Trajectory distance (Chakrabarty and Maji)
// between two runs is SSE.
//
// # Comparison with the kernel
//
// NewKernel computes the NTK Theta of the run's architecture (package
// kernel, NTK parameterization, through the final activation in the
// mean-field sense) and diagonalizes it (gp.NewPrior: exactly, through the
// coupled Fourier blocks, when it is cyclostationary). Compare predicts
// the run's measurements from its own start f_0: for fit and denoise the
// residual r_t = (1 - eta_eff Theta)^t r_0 per channel with eta_eff =
// EffectiveStep (2 LR / n for DIP's mean squared error over n values; the
// drift LR / (2 s^2) for textbook SGLD), computed with gp.Prior.Apply; for
// inpaint r_{t+1} = r_t - eta_eff Theta (M r_t) is iterated. The predicted
// outputs y + r_t are measured exactly as the observed ones. It reports
// (Agreement), per radial bin, the observed and predicted half-fit
// iterations (HalfFit), their Spearman rank correlation, per FBC band the
// RMS gap between the curves, and the best stopping iteration predicted by
// gp.Predict (expected PSNR over the noise). It also fits one time scale c
// (kernel time per iteration, gradient flow exp(-c t Theta)) to the
// observed half-fit iterations; for optimizers without a fixed step (Adam,
// sgld-cheng) the predicted curves use that fitted flow and the Agreement
// says so. PredictDistance is the kernel's trajectory distance between two
// runs. For a 1-D signal the kernel is that of the 1-D architecture on N
// points (NewKernel with size {N}) and everything above holds on its 1-D
// spectrum; Shi et al.'s stopping rule, defined on 2-D images, refuses a
// signal (ErrShiSignal).
//
// # Checkpoints
//
// With Config.Checkpoint set, Train writes a folder holding the parameters
// (nn's .npy layout), the optimizer state (Adam's moments as
// <param>.exp_avg / .exp_avg_sq), f_0, the last output, the averages, the
// best output and the metrics table; a run resumed from it (Config.Resume)
// continues bit for bit as the uninterrupted run, and a finished run can be
// extended by raising Iters. Cancelling ctx writes the checkpoint and
// returns valid outputs.
//
// dip imports arch, nn, kernel, gp and internal packages of dipgp; it must
// not import netinit, experiments or cmd.
package dip
