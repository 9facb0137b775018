package kernel

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/dipgp/dipgp/arch"
)

// Options controls Compute and Memory.
type Options struct {
	// NTK also computes the neural tangent kernel, in the NTK
	// parameterization (docs/theory.md section 1).
	NTK bool
	// Workers is the number of goroutines; 0 means GOMAXPROCS. The result
	// is bit-identical for every value of Workers: each output value is
	// computed by the same sequence of floating-point operations whichever
	// goroutine computes it, and reductions are done per row and then
	// combined in a fixed order.
	Workers int
	// MaxBytes makes Compute refuse, before allocating, when Memory
	// estimates more than MaxBytes bytes; the error names the largest size
	// with the same aspect ratio that fits. 0 means no limit.
	MaxBytes int64
	// Progress, when not nil, is called after the input and after every
	// layer (branch layers included) with the number of layers done, the
	// total and the layer's description (with a remark when an activation
	// had to use the slow quadrature fallback).
	Progress func(done, total int, msg string)
	// Quadrature is the order n of the Gauss rules used for activations
	// without a closed form (tanh, sigmoid); 0 means DefaultQuadrature.
	// Their second moments are evaluated with the Mehler (Hermite) series
	// Q = sum_k rho^k c_k(K11) c_k(K22), whose coefficients come from a
	// 1-D Gauss-Hermite rule of 8n nodes; the series is truncated at the
	// degree where a rigorous Parseval bound on the rest is below 1e-12
	// relative (degree at most 4n, raised to 1024 and then 2048 when needed). Where
	// even that does not suffice (very large pre-activation variances) the
	// layer falls back to the bivariate Gauss quadrature in polar
	// coordinates with n Gauss-Legendre angle nodes per sign sector and
	// n + n generalized Gauss-Laguerre radial nodes, which is slow and less
	// accurate (see act.go).
	Quadrature int
	// BN is the batch-norm rule: BNExact (the default, also for "") or
	// BNMeanField (see bnexact.go and docs/batchnorm.md).
	BN BNMode
	// Seed seeds the exact batch-norm rule's Monte Carlo: the same seed
	// gives the same maps at any number of workers.
	Seed uint64
	// Samples is the number of fields drawn per batch-norm segment (rounded
	// up to a multiple of 16); 0 means DefaultSamples.
	Samples int
	// BNMaxFlops is the largest estimated cost of one segment's Monte
	// Carlo; a costlier segment uses mean field and says so in the Report.
	// 0 means DefaultBNMaxFlops, a negative value no limit.
	BNMaxFlops float64
	// BNMeanFieldNEff: a segment whose input field has at least this
	// n_eff, and whose activations are ReLU, LeakyReLU or identity (for
	// which mean field's NTK is right up to O(1/n_eff)), uses mean field,
	// whose relative error is then about 2/n_eff. 0 means
	// DefaultBNMeanFieldNEff, a negative value never.
	BNMeanFieldNEff float64
}

// DefaultQuadrature is the quadrature order used when Options.Quadrature
// is 0.
const DefaultQuadrature = 64

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (o Options) quadrature() int {
	if o.Quadrature > 0 {
		return o.Quadrature
	}
	return DefaultQuadrature
}

// Compute returns the NNGP (and, when o.NTK is set, the NTK) of the
// network's output for an output (image) of the given size (len(size) ==
// a.Dims), on the periodic grid. The NNGP is the second moment E[f(x) f(x')]
// of one output channel in the infinite-width limit; for the output before
// the final activation pass a.PreActivation(). When o.NTK is false the
// returned ntk is the zero Map. The NTK is always that of the NTK
// parameterization (docs/theory.md section 1), whatever a.Param says (the
// NNGP is the same in both; a.Param matters to finite networks only).
//
// The propagation follows docs/theory.md sections 1 to 3, layer by layer, with
// second moments (not covariances) as Maps of period P; see the files
// input.go, conv.go, act.go, pool.go, upsample.go, batchnorm.go and
// concat.go for the rule of each layer kind and the choices made where the
// theory leaves one open. Biases: with init=normal the bias variance is
// s_b^2; with init=pytorch it is 1/(3 fan_in), as for PyTorch's uniform
// biases. In the NTK parameterization a bias b ~ N(0, 1) enters as s_b b,
// so it adds s_b^2 to Theta as well (it is part of Sigma'). When the
// network ends in a concatenation the output's channels have different
// kernels; the result is then their channel-weighted mean.
func Compute(ctx context.Context, a arch.Arch, size []int, o Options) (nngp, ntk Map, err error) {
	if err := a.Validate(size); err != nil {
		return Map{}, Map{}, err
	}
	if o.MaxBytes > 0 {
		need, err := Memory(a, size, o)
		if err != nil {
			return Map{}, Map{}, err
		}
		if need > o.MaxBytes {
			return Map{}, Map{}, memoryError(a, size, o, need)
		}
	}
	r := newRun(ctx, a, o, false)
	return r.compute(size)
}

// Memory estimates the peak number of bytes Compute needs for the given
// output size: the kernel maps alive at the worst point of the
// propagation (buffers are reused and most layers work in place), plus
// the tables and scratch of the layers, plus 5% and 32 MiB for the Go
// runtime. It runs the propagation without data, so it follows exactly the
// allocations Compute makes.
func Memory(a arch.Arch, size []int, o Options) (int64, error) {
	r := newRun(context.Background(), a, o, true)
	if _, _, err := r.compute(size); err != nil {
		return 0, err
	}
	b := r.pool.peak + r.extra + 8*int64(r.workers)*int64(r.scratchN)
	return b + b/20 + 32<<20, nil
}

// OutputPeriod returns the period P of the output maps Compute returns for
// the given output size (without computing them).
func OutputPeriod(a arch.Arch, size []int) (int, error) {
	r := newRun(context.Background(), a, Options{}, true)
	if _, _, err := r.compute(size); err != nil {
		return 0, err
	}
	return r.outPeriod, nil
}

// LargestFit returns the largest output size with the shape of size (see
// SmallerSizes) whose Memory estimate is at most maxBytes, or nil when even
// the smallest size does not fit.
func LargestFit(a arch.Arch, size []int, o Options, maxBytes int64) []int {
	for _, s := range SmallerSizes(a, size) {
		if need, err := Memory(a, s, o); err == nil && need <= maxBytes {
			return s
		}
	}
	return nil
}

// SmallerSizes returns the output sizes below size, largest first, that
// the architecture accepts (multiples of a.Divisor() per axis) and that
// keep the aspect ratio: exactly when the axes share a common factor
// (256x128 gives 240x120, 224x112, ...), to the nearest multiple
// otherwise.
func SmallerSizes(a arch.Arch, size []int) [][]int {
	d := a.Divisor()
	units := make([]int, len(size))
	g := 0
	for i, n := range size {
		units[i] = max(n/d, 1)
		g = gcd(g, units[i])
	}
	var out [][]int
	if g >= 2 {
		for k := g - 1; k >= 1; k-- {
			s := make([]int, len(size))
			for i, u := range units {
				s[i] = u / g * k * d
			}
			out = append(out, s)
		}
		return out
	}
	big := 0
	for _, u := range units {
		big = max(big, u)
	}
	for m := big - 1; m >= 1; m-- {
		s := make([]int, len(size))
		for i, u := range units {
			s[i] = max((u*m+big/2)/big, 1) * d
		}
		out = append(out, s)
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func memoryError(a arch.Arch, size []int, o Options, need int64) error {
	msg := fmt.Sprintf("kernel: %s at size %s needs about %s, more than the limit of %s",
		a, sizeString(size), FormatBytes(need), FormatBytes(o.MaxBytes))
	if fit := LargestFit(a, size, o, o.MaxBytes); fit != nil {
		msg += fmt.Sprintf("; the largest size of this shape that fits is %s", sizeString(fit))
	} else {
		msg += "; even the smallest size does not fit"
	}
	return errors.New(msg + " (raise the limit or use a smaller size)")
}

func sizeString(size []int) string {
	if len(size) == 1 {
		return fmt.Sprint(size[0])
	}
	return fmt.Sprintf("%dx%d", size[0], size[1])
}

// FormatBytes writes a byte count with a binary unit (KiB, MiB, GiB).
func FormatBytes(n int64) string {
	const k = 1024
	switch {
	case n >= k*k*k:
		return fmt.Sprintf("%.2f GiB", float64(n)/(k*k*k))
	case n >= k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	case n >= k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	}
	return fmt.Sprintf("%d B", n)
}

// geom is the shape of a map buffer: a grid of h x w points (h = 1 in 1-D)
// with period py along y and px along x (py = 1 in 1-D; py = px for every
// tensor of a network, other shapes only occur between the two passes of a
// separable linear layer). Data is laid out [phy][phx][dy][dx].
type geom struct {
	dims   int
	h, w   int
	py, px int
}

func newGeom(dims int, size []int, p int) geom {
	if dims == 1 {
		return geom{dims: 1, h: 1, w: size[0], py: 1, px: p}
	}
	return geom{dims: 2, h: size[0], w: size[1], py: p, px: p}
}

func (g geom) period() int { return g.px }
func (g geom) phases() int { return g.py * g.px }
func (g geom) points() int { return g.h * g.w }
func (g geom) n() int      { return g.phases() * g.points() }

func (g geom) size() []int {
	if g.dims == 1 {
		return []int{g.w}
	}
	return []int{g.h, g.w}
}

// buffer is a reference-counted slice of float64 from the pool. A buffer
// shared by several tensors (a Save) is copied before it is modified in
// place. In a dry run data is nil and size alone records the capacity.
type buffer struct {
	data []float64
	size int
	refs int
}

// pool hands out buffers and accounts for the bytes allocated. In a dry
// run it allocates nothing and only counts, so that Memory follows exactly
// the allocations Compute makes.
type pool struct {
	dry   bool
	free  []*buffer
	total int64 // bytes of all buffers allocated (in use or free)
	peak  int64
}

// get returns a buffer of n values (not zeroed) with one reference. It
// reuses the smallest free buffer that is large enough.
func (pl *pool) get(n int) *buffer {
	best := -1
	for i, b := range pl.free {
		if b.size >= n && (best < 0 || b.size < pl.free[best].size) {
			best = i
		}
	}
	if best >= 0 {
		b := pl.free[best]
		pl.free = append(pl.free[:best], pl.free[best+1:]...)
		if !pl.dry {
			b.data = b.data[:n]
		}
		b.refs = 1
		return b
	}
	pl.total += 8 * int64(n)
	pl.peak = max(pl.peak, pl.total)
	b := &buffer{size: n, refs: 1}
	if !pl.dry {
		b.data = make([]float64, n)
	}
	return b
}

// release drops one reference; the last returns the buffer to the pool.
func (pl *pool) release(b *buffer) {
	if b == nil {
		return
	}
	b.refs--
	if b.refs == 0 {
		pl.free = append(pl.free, b)
	}
}

// owned returns a buffer holding the same n values as b that the caller
// may modify: b itself when it has one reference, a copy otherwise.
func (pl *pool) owned(b *buffer, n int) *buffer {
	if b.refs == 1 {
		return b
	}
	c := pl.get(n)
	if !pl.dry {
		copy(c.data, b.data[:n])
	}
	b.refs--
	return c
}

// run is one propagation (or dry run) through an architecture.
type run struct {
	ctx     context.Context
	a       arch.Arch
	o       Options
	workers int
	pool    *pool
	dry     bool
	extra   int64 // bytes of tables and scratch beyond the pool (estimate)
	// maxDegree is the largest Hermite series degree before the quadrature
	// fallback (seriesMaxDegree; tests lower it).
	maxDegree int
	outPeriod int    // period of the output (set by compute)
	note      string // remark on the last layer for the progress message
	done      int
	total     int
	in        state   // the input, until the first layer takes it
	vals      []state // output of each plan node, until its last reader takes it
	left      []int   // readers of each node's output still to come
	// scratch is per-worker scratch shared by the layers (see scratchFor);
	// scratchN is the most values per worker any layer asked for.
	scratch  [][]float64
	scratchN int
	bn       *bnRun // the exact batch-norm rule's state (bnexact.go)
	// fuse is set while a layer runs whose only reader is an activation
	// (not the identity) with mean-field batch norm: a batch norm or a
	// 1x1 conv may then leave its elementwise pass to that activation
	// (part.pre), which does it on the half of the rows it computes.
	fuse bool
	// half is set while an activation runs whose output an activation
	// reads through at most a fused 1x1 conv: it may then leave its
	// output half written (part.half).
	half bool
	// noFuse turns the fusion off (tests compare both ways).
	noFuse bool
}

func newRun(ctx context.Context, a arch.Arch, o Options, dry bool) *run {
	return &run{ctx: ctx, a: a, o: o, workers: o.workers(), pool: &pool{dry: dry}, dry: dry, maxDegree: seriesMaxDegree}
}

// part is one group of channels of a tensor whose channels all have the
// same kernel: the second moment M of the field values and the NTK T (nil
// unless Options.NTK), on grid g.
type part struct {
	g     geom
	m, t  *buffer
	ch    int  // channels
	gauss bool // the field is a zero-mean Gaussian field (a pre-activation)
	// pend, when not nil, is a deferred per-channel segment (bnexact.go):
	// m and t then hold its Gaussian input's maps, g is the output's.
	pend *pending
	// gamma says that t holds the term of a batch norm's gamma, equal to
	// m (set by an affine batch norm, used by the activation right after
	// it, cleared by every other layer; batchnorm.go).
	gamma bool
	// pre, when not nil, is an elementwise rule not yet applied to m and
	// t (a batch norm's centring, a 1x1 conv's scaling): the activation
	// right after applies it to each row it computes (see run.fuse).
	pre rowPre
	// half says that only the rows dy <= H/2 of m and t hold their values;
	// the others are still to be copied from their partners (see actRows
	// and unhalf). Set by an activation whose output goes to another
	// activation through elementwise layers only.
	half bool
}

// rowPre applies a pending elementwise rule in place to the columns
// [b0, b0+len(mr)) of row (ph, dy) of a part's second moment mr and NTK tr
// (nil without the NTK); tr's rule may read the new mr.
type rowPre func(ph, dy, b0 int, mr, tr []float64)

// state is a tensor: its parts (more than one after a concatenation, until
// the next conv mixes them) and where it came from, for error messages.
type state struct {
	parts []part
	after string // the layer that produced a non-Gaussian field, for errors
}

func (r *run) progress(msg string) {
	r.done++
	if r.o.Progress != nil && !r.dry {
		r.o.Progress(r.done, r.total, msg)
	}
}

func (r *run) compute(size []int) (Map, Map, error) {
	pl, err := r.a.Plan(size)
	if err != nil {
		return Map{}, Map{}, err
	}
	r.total = len(pl.Nodes) + 1
	s, err := r.input(pl.Input.Size)
	if err != nil {
		return Map{}, Map{}, err
	}
	r.progress("input")
	s, err = r.walk(pl, s)
	if err != nil {
		return Map{}, Map{}, err
	}
	if err := r.unhalf(s); err != nil {
		return Map{}, Map{}, err
	}
	if s, err = r.resolveAll(s); err != nil {
		return Map{}, Map{}, err
	}
	if len(s.parts) > 1 {
		if s, err = r.mix(s); err != nil {
			return Map{}, Map{}, err
		}
	}
	p := s.parts[0]
	r.outPeriod = p.g.period()
	if r.dry {
		return Map{}, Map{}, nil
	}
	var nngp, ntk Map
	nngp = toMap(p.g, p.m)
	if r.o.NTK {
		ntk = toMap(p.g, p.t)
	}
	return nngp, ntk, nil
}

// toMap wraps a buffer as a Map (without copying).
func toMap(g geom, b *buffer) Map {
	return Map{Period: g.px, Size: g.size(), Data: b.data[:g.n()]}
}

// parallel runs fn on chunks [lo, hi) covering [0, n) with the run's
// workers. The split does not affect results as long as fn computes each
// index independently. It returns the context's error if it is cancelled.
func (r *run) parallel(n int, fn func(lo, hi int)) error {
	return r.parallelW(n, func(_, lo, hi int) { fn(lo, hi) })
}

// parallelW is parallel with the index w < r.workers of the goroutine that
// runs each chunk, so that fn can use per-worker scratch (r.scratch)
// instead of allocating per chunk.
func (r *run) parallelW(n int, fn func(w, lo, hi int)) error {
	if n <= 0 {
		return nil
	}
	w := r.workers
	chunks := min(n, 16*w)
	step := (n + chunks - 1) / chunks
	chunks = (n + step - 1) / step
	if w == 1 || chunks == 1 {
		for lo := 0; lo < n; lo += step {
			if err := r.ctx.Err(); err != nil {
				return err
			}
			fn(0, lo, min(lo+step, n))
		}
		return r.ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for id := range min(w, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || r.ctx.Err() != nil {
					return
				}
				lo := c * step
				fn(id, lo, min(lo+step, n))
			}
		}()
	}
	wg.Wait()
	return r.ctx.Err()
}

// scratchFor returns worker w's scratch slice of n values (contents
// undefined), kept across layers so that the layers' scratch is allocated
// once per run, not once per chunk. needScratch must have been called with
// at least n first (it also accounts for the bytes in r.extra).
func (r *run) scratchFor(w, n int) []float64 {
	if len(r.scratch[w]) < n {
		r.scratch[w] = make([]float64, n)
	}
	return r.scratch[w][:n]
}

// needScratch declares that a layer uses n values of scratch per worker;
// the run keeps the largest request (r.scratchN), which Memory counts for
// every worker.
func (r *run) needScratch(n int) {
	r.scratchN = max(r.scratchN, n)
	if r.scratch == nil {
		r.scratch = make([][]float64, r.workers)
	}
}
