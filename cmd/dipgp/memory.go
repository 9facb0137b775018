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
// architecture at an output size (see netLayout.bytes).
func networkBytes(a arch.Arch, size []int) int64 {
	return newNetLayout(a).bytes(a, size)
}

// netLayout is what the network memory estimate needs of an architecture,
// laid out once (arch.Plan without a size) so that an estimate at many
// sizes (refuseMemory's search) costs no layout per size.
type netLayout struct {
	// chans sums the conv layers' output channels.
	chans int64
	// fixed counts the values whose number does not depend on the size
	// (conv weights and biases, batch norm parameters and statistics);
	// largest is the largest conv weight.
	fixed, largest int64
	dense          []denseLayout
}

// denseLayout is a dense layer: its input and output channels, whether
// each is a vector, its scale (its grid is the input grid times 2^scale)
// and whether it has a bias.
type denseLayout struct {
	in, out         int64
	inFlat, outFlat bool
	scale           int
	bias            bool
}

// newNetLayout lays the architecture out; an architecture that does not
// lay out gives an empty layout (its error comes from the command).
func newNetLayout(a arch.Arch) netLayout {
	var l netLayout
	var walk func(ls []arch.Layer)
	walk = func(ls []arch.Layer) {
		for _, ly := range ls {
			switch ly := ly.(type) {
			case arch.Conv:
				l.chans += int64(ly.Out)
			case arch.Concat:
				walk(ly.Branch)
			}
		}
	}
	walk(a.Layers)
	p, err := a.Plan(nil)
	if err != nil {
		return l
	}
	for _, nd := range p.Nodes {
		switch ly := nd.Layer.(type) {
		case arch.Conv:
			w := int64(ly.Out) * int64(nd.In[0].Channels)
			for range a.Dims {
				w *= int64(ly.K)
			}
			l.fixed += w
			l.largest = max(l.largest, w)
			if ly.Bias {
				l.fixed += int64(ly.Out)
			}
		case arch.Dense:
			// A dense layer keeps the scale: its input is at nd.Scale.
			l.dense = append(l.dense, denseLayout{in: int64(nd.In[0].Channels), out: int64(ly.Out),
				inFlat: nd.In[0].Flat, outFlat: nd.Out.Flat, scale: nd.Scale, bias: ly.Bias})
		case arch.BatchNorm:
			c := int64(nd.Out.Channels)
			switch {
			case ly.MeanOnly && ly.Affine:
				l.fixed += c
			case !ly.MeanOnly && ly.Affine:
				l.fixed += 4 * c
			case !ly.MeanOnly:
				l.fixed += 2 * c
			}
		}
	}
	return l
}

// params counts the parameters and running statistics nn allocates for
// the network whose input grid is in: a conv's Out x C x K^dims weight, a
// dense layer's (Out*H'*W') x (C*H*W) weight, their biases, a batch norm's
// affine parameters and running mean and variance (a mean-only one's
// shift). It also returns the size of the largest weight, and the dense
// layers' output values.
func (l netLayout) params(in []int) (n, largest, denseOut int64) {
	n, largest = l.fixed, l.largest
	for _, d := range l.dense {
		pts := int64(1)
		for _, m := range in {
			if d.scale >= 0 {
				pts *= int64(m << d.scale)
			} else {
				pts *= int64(m >> -d.scale)
			}
		}
		inPts, outPts := pts, pts
		if d.inFlat {
			inPts = 1
		}
		if d.outFlat {
			outPts = 1
		}
		w := d.out * outPts * d.in * inPts
		n += w
		if d.bias {
			n += d.out * outPts
		}
		largest = max(largest, w)
		denseOut += d.out * outPts
	}
	return n, largest, denseOut
}

// bytes estimates the memory of one finite network at an output size: the
// float32 activations (every conv's output channels over the larger of
// the input and output grids, and every dense layer's output values,
// twice: a layer's input and output are alive together), the parameters
// (params) with their gradients, and one more copy of the largest weight
// (nn packs a layer's weight for the matrix product into a buffer of the
// network). A dense layer's weight, (C*H*W) x (Out*H'*W') floats, is
// usually the largest term.
func (l netLayout) bytes(a arch.Arch, size []int) int64 {
	pts := points(size)
	in, err := a.InputSize(size)
	if err != nil {
		in = size
	}
	pts = max(pts, points(in))
	params, largest, denseOut := l.params(in)
	// nn holds every parameter's value and gradient (float32 each).
	return 2*4*(l.chans*pts+denseOut) + 2*4*params + 4*largest
}

// checkNeed returns the estimate of a Monte Carlo check: the analytic
// NNGP, the statistics (eight double-double sums of a map, the output
// maps) and, per worker, one estimate map and one network.
func checkNeed(a arch.Arch, e kernel.Estimate, workers int) memoryNeed {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	l := newNetLayout(a)
	return func(size []int) int64 {
		m := e.MapBytes(size)
		return max(e.Bytes(size), 14*m) + int64(workers)*(m+l.bytes(a, size)) + 64<<20
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
