// Package fft2 provides discrete Fourier transforms over 1-D and 2-D
// periodic grids of any size (not only powers of two), built on the complex
// FFT of gonum.org/v1/gonum/dsp/fourier, plus helpers that every package in
// dipgp uses to talk about frequencies the same way: signed frequency
// indices, per-coefficient radius in cycles per pixel, and radial averages.
//
// Layout: a grid of shape [H, W] is stored row-major, element (y, x) at
// index y*W+x. A 1-D grid has shape [N].
//
// Conventions (the same as numpy.fft):
//
//	Forward:  X(w) = Σ_x x(x) exp(-2πi w·x/N)           (unnormalised)
//	Inverse:  x(x) = (1/N) Σ_w X(w) exp(+2πi w·x/N)
//
// where w·x/N means w_y*y/H + w_x*x/W in 2-D and N is the number of grid
// points, so Inverse(Forward(x)) = x.
//
// For real grids, RealForward and RealInverse work with the half spectrum
// (shape [H, W/2+1], the layout of numpy.fft.rfft2), about twice as fast as
// complex transforms; ForwardReal, InverseReal, Autocorr and Convolve use
// them internally.
//
// Plans are safe for concurrent use: each call borrows private scratch
// space from a pool.
//
// Programmer errors (a slice of the wrong length, an invalid shape) panic
// with a message naming the problem, as gonum's own FFTs do; functions that
// process user data should validate lengths before calling.
//
// Import rules: fft2 must not import any github.com/dipgp/dipgp package.
package fft2
