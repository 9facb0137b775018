// Package nn is dipgp's finite network engine: it builds a float32 network
// from an arch.Arch, runs it forward and backward, and trains it with the
// optimizers the deep image prior uses (SGD and Adam as PyTorch defines them).
// netinit draws and evaluates millions of random networks with it; dip trains
// networks with it.
//
// # Tensors and sizes
//
// Sizes given to Build, Load and NewInput are the size of the network's
// OUTPUT (the image), as everywhere in dipgp; the network's input grid is
// a.InputSize(size). Tensors are gorgonia.org/tensor dense float32 arrays in
// C order: [B, C, H, W] for images, [B, C, N] for 1-D signals, where B is a
// batch of independent inputs (B = 1 is the deep image prior). The layers
// work directly on the backing slices.
//
// # Layers
//
// Every arch layer kind is supported, forward and backward:
//
//   - Conv: "same" convolution with odd K, stride 1 or 2 (output y reads
//     input s*y + t, t = -(K-1)/2 .. (K-1)/2), padding circular, zero or
//     reflect (PyTorch's padding_mode 'circular', 'zeros', 'reflect').
//     Computed as im2col over blocks of output rows followed by one SGEMM
//     (internal/sgemm) per block; 1x1 stride-1 convolutions skip im2col.
//   - Act: relu, leakyrelu, tanh, sigmoid, erf, identity.
//   - Pool: 2x2 average or decimation (keep even pixels).
//   - Upsample: nearest, or bilinear with PyTorch's align_corners=False
//     weights; at the border it clamps like PyTorch, except when the
//     architecture's padding is circular, where it wraps so that a random
//     circular network is exactly periodic.
//   - BatchNorm: training mode, statistics over the grid. Each sample of a
//     batch is normalized with its OWN grid statistics (mean and biased
//     variance over H x W), so the samples of a batch stay independent; for
//     B = 1 this is exactly PyTorch's BatchNorm2d in training mode. Running
//     statistics are updated as PyTorch does (momentum 0.1, unbiased
//     variance), averaging the per-sample statistics when B > 1.
//     A conv bias feeding only a batch norm cancels in its output: nn
//     never adds it, its gradient is exactly 0 (PyTorch gets rounding noise
//     there) and it enters only the batch norm's running mean.
//   - Save and Concat: skip connections; Concat's output is
//     [Branch(saved), current] along channels.
//   - Dense: PyTorch's Flatten then nn.Linear, a 1x1 conv from the C*H*W
//     flattened values (channel-major, PyTorch's order) to Out*H'*W'
//     values; its weight is [Out*H'*W', C*H*W] and its bias [Out*H'*W'].
//     scripts/torch_net.py builds it as F.linear on the flattened input.
//
// # Parameterizations
//
// arch.Init chooses the distribution, arch.Param where its scale lives
// (docs/theory.md section 1). With fan_in = C_in * taps and (sw2, sb2) =
// a.Init.Variances(fan_in):
//
//   - standard, pytorch: w, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
//     PyTorch's default for Conv1d/Conv2d.
//   - standard, normal: w ~ N(0, sw2/fan_in), b ~ N(0, sb2).
//   - ntk, normal: w, b ~ N(0, 1); the forward pass uses
//     w*sqrt(sw2/fan_in) and b*sqrt(sb2).
//   - ntk, pytorch: w, b ~ U(-sqrt(3), sqrt(3)) (unit variance); the
//     forward pass multiplies by sqrt(sw2/fan_in) and sqrt(sb2) with
//     sw2 = 1/3, sb2 = 1/(3 fan_in), so the effective weights have exactly
//     PyTorch's uniform distribution while the gradients are those of the
//     NTK parameterization.
//
// Param.Mult is the forward multiplier (1 in the standard
// parameterization). Batch norm weights start at 1, biases at 0, in every
// parameterization. Every draw comes from the seed given to Build or Reinit:
// each parameter tensor has its own PCG stream derived from (seed, index),
// so the parameters are the same at any thread count.
//
// # PyTorch interoperability
//
// Parameter names are the state_dict names of the PyTorch module that
// scripts/torch_net.py builds from the architecture's JSON ("dipgp arch show
// --json"): the i-th layer of Arch.Layers is layers.{i}, the j-th layer of
// a Concat's branch is layers.{i}.branch.{j}, and a conv has weight
// [out, in, kh, kw] (1-D: [out, in, k]) and bias [out]; a batch norm has
// weight, bias, running_mean, running_var and num_batches_tracked. Save
// writes one "<name>.npy" per state_dict entry; Load reads them back. In the
// NTK parameterization the files hold the raw (unit-variance) parameters
// and torch_net.py applies the same multipliers.
//
// # Speed and memory
//
// Buffers come from a per-network pool and are reused from call to call, so
// a network allocates only on its first pass. Forward keeps only what
// Backward needs (a convolution's input, a batch norm's input, an
// activation's output) and releases every other tensor as soon as it has
// been consumed; Backward releases activations and gradients as it goes.
// A batch norm followed by a ReLU or LeakyReLU (slope >= 0) runs as one
// fused layer that never stores the pre-activation. The elementwise passes
// (batch norm, activations, bias, bilinear up-sampling rows, the Adam
// update) have AVX2
// assembly kernels on amd64 with pure-Go versions that round identically
// (build tag purego, or a CPU without AVX2, selects them).
// Infer is a forward pass that keeps nothing for Backward and does not
// touch the running statistics, for Monte Carlo over random networks.
// SetThreads sets the number of goroutines used by the GEMMs (it calls
// sgemm.SetThreads) and by the other layers, which split work over channels
// so that results are bit-identical at any thread count.
//
// nn imports arch, internal/sgemm, internal/npy and internal/atomicfile
// from dipgp; it must not import kernel, gp, netinit, dip, experiments or
// cmd.
package nn
