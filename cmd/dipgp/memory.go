package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
)

// This file holds the memory estimates every command makes before it
// allocates by a size or a count: all closed form (kernel.Estimate runs
// one dry run at a small reference size), so that a size far beyond the
// machine is refused at once, with the estimate and the limit.

// memoryLimit returns maxMem (a --max-memory value) in bytes, or 75% of
// the machine's memory when it is empty.
func memoryLimit(maxMem string) (int64, error) {
	if maxMem != "" {
		return parseBytes(maxMem)
	}
	total, err := machineMemory()
	if err != nil {
		return 0, fmt.Errorf("cannot read the machine's memory (%v); give --max-memory", err)
	}
	return total / 4 * 3, nil
}

// memoryNeed is an estimate of a command's peak memory at an output size.
type memoryNeed func(size []int) int64

// refuseMemory returns nil when need(size) fits limit, else an error with
// the estimate, the limit and the largest size of the same shape (among
// kernel.SmallerSizes) that fits.
func refuseMemory(what string, a arch.Arch, size []int, limit int64, need memoryNeed) error {
	n := need(size)
	if n <= limit {
		return nil
	}
	msg := fmt.Sprintf("%s at size %s would need about %s, more than the limit of %s (--max-memory; default 75%% of the machine's memory)",
		what, sizeString(size), kernel.FormatBytes(n), kernel.FormatBytes(limit))
	fit := []int(nil)
	for _, s := range kernel.SmallerSizes(a, size) {
		if need(s) <= limit {
			fit = s
			break
		}
	}
	if fit != nil {
		msg += fmt.Sprintf("; the largest size of this shape that fits is %s", sizeString(fit))
	} else {
		msg += "; even the smallest size does not fit"
	}
	return fmt.Errorf("%s", msg)
}

// kernelNeed returns the estimate of the kernel command: the propagation,
// or, when larger, the two output maps plus the byte buffer the .npy
// writer fills for one of them.
func kernelNeed(e kernel.Estimate) memoryNeed {
	return func(size []int) int64 {
		return max(e.Bytes(size), 3*e.MapBytes(size)+64<<20)
	}
}

// networkBytes estimates the memory of one finite network of the
// architecture at an output size: the float32 activations (every conv's
// output channels over the larger of the input and output grids, and every
// dense layer's output values, twice: a layer's input and output are
// alive together), the parameters (networkParams) with their gradients,
// and one more copy of the largest weight (nn packs a layer's weight for
// the matrix product into a buffer of the network). A dense layer's
// weight, (C*H*W) x (Out*H'*W') floats, is usually the largest term.
func networkBytes(a arch.Arch, size []int) int64 {
	chans := int64(0)
	var walk func(ls []arch.Layer)
	walk = func(ls []arch.Layer) {
		for _, l := range ls {
			switch l := l.(type) {
			case arch.Conv:
				chans += int64(l.Out)
			case arch.Concat:
				walk(l.Branch)
			}
		}
	}
	walk(a.Layers)
	pts := points(size)
	if in, err := a.InputSize(size); err == nil {
		pts = max(pts, points(in))
	}
	acts := chans * pts
	var params, packed int64
	if p, err := a.Plan(size); err == nil {
		for _, nd := range p.Nodes {
			if _, ok := nd.Layer.(arch.Dense); ok {
				acts += int64(nd.Out.Channels) * points(nd.Out.Size)
			}
		}
		params, packed = networkParams(p)
	}
	// nn holds every parameter's value and gradient (float32 each).
	return 2*4*acts + 2*4*params + 4*packed
}

// networkParams counts the parameters and running statistics of the
// network of a plan laid out at a size, as nn allocates them: a conv's
// Out x C x K^dims weight, a dense layer's (Out*H'*W') x (C*H*W) weight,
// their biases, a batch norm's affine parameters and running mean and
// variance (a mean-only one's shift). It also returns the size of the
// largest weight.
func networkParams(p *arch.Plan) (n, largest int64) {
	for _, nd := range p.Nodes {
		var w, b int64
		switch l := nd.Layer.(type) {
		case arch.Conv:
			w = int64(l.Out) * int64(nd.In[0].Channels)
			for range p.Arch.Dims {
				w *= int64(l.K)
			}
			if l.Bias {
				b = int64(l.Out)
			}
		case arch.Dense:
			out := int64(nd.Out.Channels) * points(nd.Out.Size)
			w = out * int64(nd.In[0].Channels) * points(nd.In[0].Size)
			if l.Bias {
				b = out
			}
		case arch.BatchNorm:
			c := int64(nd.Out.Channels)
			switch {
			case l.MeanOnly && l.Affine:
				b = c
			case !l.MeanOnly && l.Affine:
				b = 4 * c
			case !l.MeanOnly:
				b = 2 * c
			}
		}
		n += w + b
		largest = max(largest, w)
	}
	return n, largest
}

// checkNeed returns the estimate of a Monte Carlo check: the analytic
// NNGP, the statistics (eight double-double sums of a map, the output
// maps) and, per worker, one estimate map and one network.
func checkNeed(a arch.Arch, e kernel.Estimate, workers int) memoryNeed {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return func(size []int) int64 {
		m := e.MapBytes(size)
		return max(e.Bytes(size), 14*m) + int64(workers)*(m+networkBytes(a, size)) + 64<<20
	}
}

// points returns the number of grid points of a size.
func points(size []int) int64 {
	p := int64(1)
	for _, n := range size {
		p *= int64(n)
	}
	return p
}

// warnDegenerate prints a warning when the kernel carries no spatial
// information (kernel.Degenerate): zero, non-finite or constant.
func warnDegenerate(a arch.Arch, m kernel.Map) {
	if why := kernel.Degenerate(m); why != "" {
		fmt.Fprintf(os.Stderr, "dipgp: warning: the NNGP of %s is degenerate: %s\n", a, why)
	}
}
