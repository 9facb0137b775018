package kernel

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

// Estimate is a closed-form memory model of Compute for one architecture:
// Memory is affine in the number of output points at a fixed period (the
// maps scale with the grid, the layer tables do not), so one dry run at a
// small reference size gives the cost per point, and every larger size
// costs PerPoint*points + Fixed. Scaling the reference's whole cost (its
// tables included) by the number of points over-estimates, never
// under-estimates, a larger size.
type Estimate struct {
	// PerPoint is the reference size's Memory, less the runtime's 32 MiB,
	// divided by its number of output points.
	PerPoint float64
	// Fixed is the runtime's allowance added to every size.
	Fixed int64
	// Period is the period of the output maps.
	Period int
	// Ref is the reference size the model was measured at.
	Ref []int
}

// estimateRef is the least side of the reference size in points.
const estimateRef = 64

// NewEstimate measures the memory model of Compute for the architecture
// at sizes of the shape of size: it runs Memory once at a reference size of
// at most about 64 points per axis (a multiple of a.Divisor()), which
// takes well under a second whatever size is.
func NewEstimate(a arch.Arch, size []int, o Options) (Estimate, error) {
	d := a.Divisor()
	ref := make([]int, len(size))
	for i, n := range size {
		r := (estimateRef + d - 1) / d * d
		ref[i] = min(n, r)
	}
	m, err := Memory(a, ref, o)
	if err != nil {
		return Estimate{}, err
	}
	p, err := OutputPeriod(a, ref)
	if err != nil {
		return Estimate{}, err
	}
	const fixed = 32 << 20
	return Estimate{PerPoint: float64(m-fixed) / float64(points(ref)), Fixed: fixed, Period: p, Ref: ref}, nil
}

// Bytes returns the estimated peak bytes of Compute at the given size (of
// the shape NewEstimate was given): exactly Memory at the reference size,
// an upper bound above it.
func (e Estimate) Bytes(size []int) int64 {
	return int64(e.PerPoint*float64(points(size))) + e.Fixed
}

// MapBytes returns the bytes of one output map (float64) at size: the
// points times Period per axis.
func (e Estimate) MapBytes(size []int) int64 {
	b := int64(8)
	for _, n := range size {
		b *= int64(n) * int64(e.Period)
	}
	return b
}

// Fit returns the largest size of sizes (largest first, e.g. from
// SmallerSizes) whose estimate plus extra(size) is at most limit, or nil.
func (e Estimate) Fit(sizes [][]int, limit int64, extra func([]int) int64) []int {
	for _, s := range sizes {
		if e.Bytes(s)+extra(s) <= limit {
			return s
		}
	}
	return nil
}

func points(size []int) int64 {
	p := int64(1)
	for _, n := range size {
		p *= int64(n)
	}
	return p
}

// String describes the model.
func (e Estimate) String() string {
	return fmt.Sprintf("%.0f bytes per output point (measured at %s) + %s", e.PerPoint, sizeString(e.Ref), FormatBytes(e.Fixed))
}
