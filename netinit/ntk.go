package netinit

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/kernel"
	"github.com/dipgp/dipgp/nn"
	"gorgonia.org/tensor"
)

// NTKStep is the length (in parameter space, where NTK-parameterized
// weights are O(1) each) of the central-difference step of the
// directional derivative along the gradient direction.
var NTKStep = 1e-2

// RefPixel returns the default reference pixel of the NTK estimate: the
// centre of the grid.
func RefPixel(size []int) []int {
	x := make([]int, len(size))
	for i, n := range size {
		x[i] = n / 2
	}
	return x
}

// ntkRow computes, for one network and input, the empirical NTK row
// Theta_cc(x0, x0 + d) of output channel c for every offset d: one
// backward pass for g = grad_theta f_c(x0) and a directional derivative of
// f_c along g by central differences (two forward passes). (Summing the
// gradients of all channels would add cross-channel terms
// Theta_c'c, whose mean is not zero when an activation follows the last
// convolution.)
func ntkRow(net *nn.Net, x *tensor.Dense, x0, c, n int, row []float64, fplus []float32) error {
	y, err := net.Forward(x)
	if err != nil {
		return err
	}
	dy := tensor.New(tensor.WithShape(y.Shape()...), tensor.Of(tensor.Float32))
	d := dy.Data().([]float32)
	d[c*n+x0] = 1
	net.ZeroGrad()
	if err := net.Backward(dy); err != nil {
		return err
	}
	var tn, gn float64
	for _, p := range net.Params() {
		for i, v := range p.Data {
			tn += float64(v) * float64(v)
			g := float64(p.Grad[i])
			gn += g * g
		}
	}
	if gn == 0 {
		clear(row)
		return nil
	}
	_ = tn
	h := NTKStep / math.Sqrt(gn)
	move := func(s float64) {
		for _, p := range net.Params() {
			for i := range p.Data {
				p.Data[i] += float32(s * h * float64(p.Grad[i]))
			}
		}
	}
	// Keep the originals to restore exactly.
	saved := make([][]float32, len(net.Params()))
	for i, p := range net.Params() {
		saved[i] = append([]float32(nil), p.Data...)
	}
	move(1)
	yp, err := net.Infer(x)
	if err != nil {
		return err
	}
	copy(fplus, yp.Data().([]float32))
	for i, p := range net.Params() {
		copy(p.Data, saved[i])
	}
	move(-1)
	ym, err := net.Infer(x)
	if err != nil {
		return err
	}
	fm := ym.Data().([]float32)
	for i, p := range net.Params() {
		copy(p.Data, saved[i])
	}
	for xx := 0; xx < n; xx++ {
		row[offsetIndex(x0, xx, net.Size())] = (float64(fplus[c*n+xx]) - float64(fm[c*n+xx])) / (2 * h)
	}
	return nil
}

// offsetIndex returns the flat wrapped offset of x2 - x.
func offsetIndex(x, x2 int, size []int) int {
	if len(size) == 1 {
		n := size[0]
		return ((x2-x)%n + n) % n
	}
	h, w := size[0], size[1]
	dy := ((x2/w-x/w)%h + h) % h
	dx := ((x2%w-x%w)%w + w) % w
	return dy*w + dx
}

// SampleNTK estimates the NTK row Theta(x0, x0 + d) of the architecture's
// output (in its own parameterization: use arch.NTK to compare with the
// analytic kernel) from o.Samples random networks, for the reference pixel
// ref (nil: the centre). The statistics have period 1: entry d is the
// offset from x0. With zero or reflection padding, offsets that land in
// the border margin are left out.
func SampleNTK(ctx context.Context, a arch.Arch, size []int, ref []int, o Options) (*Stats, error) {
	if err := a.Validate(size); err != nil {
		return nil, err
	}
	if o.Samples < 1 {
		return nil, fmt.Errorf("netinit: samples is %d; draw at least 2 networks for error bars", o.Samples)
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	if o.Margin < 0 {
		o.Margin = autoMargin(a, size)
	}
	if ref == nil {
		ref = RefPixel(size)
	}
	if len(ref) != len(size) {
		return nil, fmt.Errorf("netinit: reference pixel %v needs %d coordinates", ref, len(size))
	}
	field, err := NewField(1, size, o.Margin)
	if err != nil {
		return nil, err
	}
	x0 := 0
	for i, v := range ref {
		if v < o.Margin || v >= size[i]-o.Margin {
			return nil, fmt.Errorf("netinit: reference pixel %v lies in the border margin of %d pixels; pick one inside", ref, o.Margin)
		}
		x0 = x0*size[i] + v
	}
	n := 1
	for _, s := range size {
		n *= s
	}
	valid := make([]bool, n)
	for xx := 0; xx < n; xx++ {
		if field.region[xx] > 0 {
			valid[offsetIndex(x0, xx, size)] = true
		}
	}
	stats, err := NewStats(1, size, valid)
	if err != nil {
		return nil, err
	}
	var todo []int
	for i := o.Shard; i < o.Samples; i += o.Shards {
		todo = append(todo, i)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(todo))
	if workers > 1 {
		defer nn.SetThreads(nn.SetThreads(1))
	}
	channels := a.OutChannels()
	// Rows are added in network order (a row that arrives early waits in
	// pending), so that the sums do not depend on the worker count.
	var (
		mu      sync.Mutex
		next    int
		added   int
		pending = map[int][]float64{}
		first   error
		wg      sync.WaitGroup
		last    = time.Now()
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fplus := make([]float32, channels*n)
			var net *nn.Net
			for {
				mu.Lock()
				if next >= len(todo) || first != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				pos := next
				i := todo[pos]
				next++
				mu.Unlock()
				row := make([]float64, n)
				ws, is := SampleSeeds(o.Seed, i, o.FixedInput)
				var err error
				if net == nil {
					net, err = nn.Build(a, size, ws)
				} else {
					net.Reinit(ws)
				}
				var x *tensor.Dense
				if err == nil {
					x, err = nn.NewInput(a, size, 1, is)
				}
				if err == nil {
					// Output channel i mod C: every channel has the same NTK.
					err = ntkRow(net, x, x0, i%channels, n, row, fplus)
				}
				mu.Lock()
				if err == nil {
					pending[pos] = row
				}
				for err == nil && pending[added] != nil {
					err = stats.Add(pending[added])
					delete(pending, added)
					added++
				}
				if err != nil && first == nil {
					first = fmt.Errorf("netinit: network %d: %w", i, err)
				}
				if o.Progress != nil && first == nil && (added == len(todo) || time.Since(last) >= o.ProgressEvery) {
					last = time.Now()
					o.Progress(added, len(todo), stats.Clone())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return stats, ctx.Err()
}

// NTKRow returns the row of an analytic map at grid point x0 as a
// period-1 map whose entry d is K(x0, x0 + d).
func NTKRow(m kernel.Map, ref []int) kernel.Map {
	x0 := 0
	for i, v := range ref {
		x0 = x0*m.Size[i] + v
	}
	out, _ := kernel.NewMap(1, m.Size)
	p := m.Phase(x0)
	copy(out.Data, m.Data[p*m.Points():(p+1)*m.Points()])
	return out
}

// CheckNTK is Check for the NTK: the analytic NTK row at the reference
// pixel (the centre) against the average empirical NTK of random
// networks. The architecture should use the NTK parameterization
// (param=ntk), whose NTK does not depend on the width.
func CheckNTK(ctx context.Context, cfg CheckConfig) (CheckResult, error) {
	r := CheckResult{Arch: cfg.Arch.String() + " (NTK)", Size: cfg.Size, Width: Width(cfg.Arch), Seed: cfg.Options.Seed,
		FixedInput: cfg.Options.FixedInput, Period: 1}
	if cfg.Arch.Param != arch.NTK {
		return r, fmt.Errorf("netinit: the NTK check needs the NTK parameterization (the analytic NTK is width-independent only there); set param: ntk (presets: param=ntk)")
	}
	t0 := time.Now()
	_, ntk, err := kernel.Compute(ctx, cfg.Arch, cfg.Size, kernel.Options{NTK: true, Workers: cfg.KernelWorkers})
	if err != nil {
		return r, err
	}
	r.KernelSeconds = time.Since(t0).Seconds()
	ref := RefPixel(cfg.Size)
	r.Analytic = NTKRow(ntk, ref)
	o := cfg.Options
	if o.Margin < 0 {
		o.Margin = autoMargin(cfg.Arch, cfg.Size)
	}
	r.Margin = o.Margin
	r.Region = fmt.Sprintf("row of the reference pixel %v, offsets over the whole periodic grid", ref)
	if o.Margin > 0 {
		r.Region = fmt.Sprintf("row of the reference pixel %v, offsets inside a %d-pixel margin", ref, o.Margin)
	}
	return r.sample(ctx, cfg, o, func(o Options) (*Stats, error) { return SampleNTK(ctx, cfg.Arch, cfg.Size, ref, o) })
}
