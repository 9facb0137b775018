package kernel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dipgp/dipgp/arch"
)

// Exact batch-norm rule (docs/batchnorm.md). At infinite width the
// channels of a pre-activation are independent Gaussian fields, and
// everything between that pre-activation and the next conv (batch norms,
// activations, pooling, up-sampling: the segment) acts on each channel
// alone. The next conv sums infinitely many channels, so it needs only the
// second moment of the segment's output (and of its tangent, for the NTK),
// an expectation over one Gaussian field. With a batch norm in the segment
// that expectation has no closed form (the spatial variance it divides by
// is random), and Compute estimates it by Monte Carlo over exact draws of
// the field (bnsample.go), with the mean-field segment evaluated on the
// same draws as a control variate (bnpath.go). Segments without a batch
// norm are replayed with the analytic rules, exactly as in mean field.

// BNMode selects the batch-norm rule.
type BNMode string

// Batch-norm rules.
const (
	// BNExact is the exact infinite-width rule (Monte Carlo over Gaussian
	// fields); the default ("" means BNExact).
	BNExact BNMode = "exact"
	// BNMeanField divides by the expected spatial variance (fast, biased on
	// small grids and smooth fields).
	BNMeanField BNMode = "meanfield"
)

// DefaultSamples is the number of fields drawn per segment when
// Options.Samples is 0.
const DefaultSamples = 256

// DefaultBNMaxFlops is the largest estimated cost (floating-point
// operations) of one segment's Monte Carlo when Options.BNMaxFlops is 0.
const DefaultBNMaxFlops = 4e9

// ParseBNMode parses "exact" or "meanfield".
func ParseBNMode(s string) (BNMode, error) {
	switch BNMode(s) {
	case BNExact, "":
		return BNExact, nil
	case BNMeanField:
		return BNMeanField, nil
	}
	return "", fmt.Errorf("kernel: unknown batch-norm rule %q: give exact or meanfield", s)
}

// Report says how each batch-norm segment was computed.
type Report struct {
	// BN has one entry per segment that contains a batch norm, in order.
	BN []BNSegment `json:"bn,omitempty"`
	// Seconds is the wall time of the whole computation.
	Seconds float64 `json:"seconds"`
}

// BNSegment describes one segment (from a pre-activation to the next
// conv) with a batch norm.
type BNSegment struct {
	// Where names the segment's layers.
	Where string `json:"where"`
	// Method is "montecarlo", or "meanfield" when the rule is mean field,
	// the Monte Carlo would cost more than Options.BNMaxFlops, or the
	// input's NEff is at least Options.BNMeanFieldNEff.
	Method string `json:"method"`
	// Grid and Period are those of the segment's input field.
	Grid   []int `json:"grid"`
	Period int   `json:"period"`
	// NEff is the effective number of pixels of the centred input field,
	// tr(K_c)^2 / tr(K_c^2); the mean-field rule errs by about 2 / NEff
	// (relative).
	NEff float64 `json:"n_eff"`
	// Samples is the number of fields drawn (0 for mean field).
	Samples int `json:"samples"`
	// SE and SENTK are the standard errors of the output second moment and
	// NTK maps, root mean square over the map, relative to the mean
	// variance (from the spread of 8 batches).
	SE    float64 `json:"se"`
	SENTK float64 `json:"se_ntk,omitempty"`
	// MaxSE is the largest standard error of one map value, relative.
	MaxSE float64 `json:"max_se"`
	// MeanFieldDiff and MeanFieldDiffNTK are the root-mean-square
	// differences between the exact and the mean-field maps, relative to
	// the mean variance.
	MeanFieldDiff    float64 `json:"meanfield_diff"`
	MeanFieldDiffNTK float64 `json:"meanfield_diff_ntk,omitempty"`
	// Note says why a segment meant for the Monte Carlo kept its
	// mean-field maps (its estimate was not positive), if it did.
	Note string `json:"note,omitempty"`
	// Flops is the estimated cost of the Monte Carlo; Seconds its time.
	Flops   float64 `json:"flops"`
	Seconds float64 `json:"seconds"`
}

// ComputeReport is Compute, also returning how the batch-norm segments
// were computed (with the Monte Carlo's error estimates).
func ComputeReport(ctx context.Context, a arch.Arch, size []int, o Options) (nngp, ntk Map, rep Report, err error) {
	t0 := time.Now()
	if err := a.Validate(size); err != nil {
		return Map{}, Map{}, rep, fmt.Errorf("kernel: %w", err)
	}
	if o.MaxBytes > 0 {
		need, err := Memory(a, size, o)
		if err != nil {
			return Map{}, Map{}, rep, err
		}
		if need > o.MaxBytes {
			return Map{}, Map{}, rep, memoryError(a, size, o, need)
		}
	}
	r := newRun(ctx, a, o, false)
	r.bn = &bnRun{}
	nngp, ntk, err = r.compute(size)
	rep = Report{BN: r.bn.segs, Seconds: time.Since(t0).Seconds()}
	return nngp, ntk, rep, err
}

func (o Options) samples() int {
	if o.Samples > 0 {
		return (o.Samples + 1) / 2 * 2
	}
	return DefaultSamples
}

func (o Options) bnMaxFlops() float64 {
	switch {
	case o.BNMaxFlops > 0:
		return o.BNMaxFlops
	case o.BNMaxFlops < 0:
		return math.Inf(1)
	}
	return DefaultBNMaxFlops
}

// DefaultBNMeanFieldNEff is Options.BNMeanFieldNEff's default: mean field
// errs by about 2/n_eff = 1e-3 there, below the Monte Carlo's standard
// error with the default number of fields.
const DefaultBNMeanFieldNEff = 2000

func (o Options) bnMeanFieldNEff() float64 {
	switch {
	case o.BNMeanFieldNEff > 0:
		return o.BNMeanFieldNEff
	case o.BNMeanFieldNEff < 0:
		return math.Inf(1)
	}
	return DefaultBNMeanFieldNEff
}

// homogeneousActs reports whether every activation of the segment is
// ReLU, LeakyReLU or identity (mean field's gamma term is then right).
func (pd *pending) homogeneousActs() bool {
	for _, l := range pd.ops {
		if a, ok := l.(arch.Act); ok && a.Fn != arch.ReLU && a.Fn != arch.LeakyReLU && a.Fn != arch.Identity {
			return false
		}
	}
	return true
}

// bnRun is the exact rule's state within one run.
type bnRun struct {
	segs  []BNSegment
	count uint64 // segments resolved by Monte Carlo so far (the seed stream)
}

// pending is a segment not yet applied: the part's buffers hold the
// Gaussian input field's maps (geometry g); ops are applied at the next
// conv (copy on append, so saved tensors keep theirs).
type pending struct {
	g     geom
	ops   []arch.Layer
	where []string
}

func (pd *pending) with(l arch.Layer, where string) *pending {
	return &pending{g: pd.g, ops: append(append([]arch.Layer(nil), pd.ops...), l), where: append(append([]string(nil), pd.where...), where)}
}

func (pd *pending) hasBN() bool {
	for _, l := range pd.ops {
		if bn, ok := l.(arch.BatchNorm); ok && !bn.MeanOnly {
			return true
		}
	}
	return false
}

// bnHook is called by walk before each layer. With the exact rule it
// takes the per-channel layers (it defers those that follow a
// pre-activation, and applies the others to their part) and resolves the
// deferred segments before a conv. handled reports that l was applied.
func (r *run) bnHook(l arch.Layer, s state, where string) (state, bool, error) {
	if !keepsGamma(l) {
		s = clearGamma(s)
	}
	if r.o.BN == BNMeanField {
		return s, false, nil
	}
	switch l := l.(type) {
	case arch.Conv, arch.Dense:
		s, err := r.resolveAll(s)
		return s, false, err
	case arch.Act:
		if l.Fn == arch.Identity {
			return s, false, nil
		}
	case arch.BatchNorm, arch.Pool, arch.Upsample:
	default:
		return s, false, nil
	}
	parts := append([]part(nil), s.parts...)
	for i, p := range parts {
		_, nonlin := l.(arch.BatchNorm)
		if _, ok := l.(arch.Act); ok {
			nonlin = true
		}
		switch {
		case p.pend != nil:
			p.pend = p.pend.with(l, where)
			p.g = opGeom(l, p.g)
		case nonlin && p.gauss:
			p.pend = (&pending{g: p.g}).with(l, where)
			p.gauss = false
		default:
			one, err := r.applyOne(l, state{parts: []part{p}, after: s.after}, where)
			if err != nil {
				return s, true, err
			}
			p = one.parts[0]
		}
		parts[i] = p
	}
	s.parts = parts
	if _, ok := l.(arch.Act); ok {
		s.after = where
	}
	return s, true, nil
}

// opGeom is the geometry after a per-channel layer.
func opGeom(l arch.Layer, g geom) geom {
	switch l.(type) {
	case arch.Pool:
		g.w /= 2
		g.px = max(g.px/2, 1)
		if g.dims == 2 {
			g.h /= 2
			g.py = max(g.py/2, 1)
		}
	case arch.Upsample:
		g.w *= 2
		g.px *= 2
		if g.dims == 2 {
			g.h *= 2
			g.py *= 2
		}
	}
	return g
}

// applyOne applies a per-channel layer with its analytic (mean-field)
// rule.
func (r *run) applyOne(l arch.Layer, s state, where string) (state, error) {
	if !keepsGamma(l) {
		s = clearGamma(s)
	}
	switch l := l.(type) {
	case arch.Act:
		return r.act(l, s, where)
	case arch.BatchNorm:
		return r.batchnorm(l, s, where)
	case arch.Pool:
		return r.pool2(l, s, where)
	case arch.Upsample:
		return r.upsample(l, s, where)
	}
	return s, fmt.Errorf("kernel: %s: not a per-channel layer", where)
}

// resolveAll applies the deferred segments of every part.
func (r *run) resolveAll(s state) (state, error) {
	parts := append([]part(nil), s.parts...)
	for i, p := range parts {
		if p.pend == nil {
			continue
		}
		np, err := r.resolve(p)
		if err != nil {
			return s, err
		}
		parts[i] = np
	}
	s.parts = parts
	return s, nil
}

// resolve applies a deferred segment: analytically (mean field) first;
// then, when it holds a batch norm and the exact rule is affordable, the
// Monte Carlo correction.
func (r *run) resolve(p part) (part, error) {
	pd := p.pend
	src := part{g: pd.g, m: p.m, t: p.t, ch: p.ch, gauss: true}
	mc, err := r.bnPlan(pd, p)
	if err != nil {
		return p, err
	}
	if mc {
		// The replay works on copies (the source is needed for the draws).
		src.m.refs++
		if src.t != nil {
			src.t.refs++
		}
	}
	scales := make([]float64, len(pd.ops))
	cur := state{parts: []part{src}}
	for i, l := range pd.ops {
		if bn, ok := l.(arch.BatchNorm); ok && mc && !r.dry {
			cp := cur.parts[0]
			v, err := r.spatialVariance(cp.g, cp.m.data[:cp.g.n()])
			if err != nil {
				return p, err
			}
			scales[i] = 1 / math.Sqrt(v+bn.Eps)
		}
		if cur, err = r.applyOne(l, cur, pd.where[i]); err != nil {
			return p, err
		}
	}
	out := cur.parts[0]
	out.ch = p.ch
	out.gauss = false
	out.pend = nil
	if mc {
		err := r.montecarlo(pd, p.m, p.t, out, scales)
		var few *tooFewFields
		if errors.As(err, &few) {
			// The estimate stays non-positive with 16 times the fields:
			// the upstream map is itself a noisy estimate that is not
			// positive semi-definite on this tiny grid (docs/batchnorm.md).
			// The segment keeps its mean-field maps, and says so.
			seg := segmentInfo(pd, 0)
			seg.Method = "meanfield"
			seg.NEff = few.neff
			seg.Note = few.Error()
			r.bn.segs = append(r.bn.segs, seg)
			r.note += fmt.Sprintf(" (batch norm of %s: the Monte Carlo failed, mean field used: %v)", seg.Where, few)
		} else if err != nil {
			return p, err
		}
		r.pool.release(p.m)
		r.pool.release(p.t)
	}
	return out, nil
}

// bnPlan decides whether a segment gets the Monte Carlo: it holds a batch
// norm and its cost is within Options.BNMaxFlops. A segment over the limit
// is reported as mean field, with its n_eff.
func (r *run) bnPlan(pd *pending, p part) (bool, error) {
	if !pd.hasBN() {
		return false, nil
	}
	if r.bn == nil {
		r.bn = &bnRun{}
	}
	flops, _ := mcCost(pd.g, p.g, r.o.samples(), p.t != nil)
	if r.dry {
		return flops <= r.o.bnMaxFlops(), nil
	}
	n, err := r.nEff(pd.g, p.m.data[:pd.g.n()])
	if err != nil {
		return false, err
	}
	white := n >= r.o.bnMeanFieldNEff() && pd.homogeneousActs()
	if flops <= r.o.bnMaxFlops() && !white {
		return true, nil
	}
	seg := segmentInfo(pd, flops)
	seg.Method = "meanfield"
	seg.NEff = n
	r.bn.segs = append(r.bn.segs, seg)
	if white {
		r.note += fmt.Sprintf(" (batch norm of %s: n_eff %.0f: mean field, relative error about 2/n_eff = %.2g)", seg.Where, n, 2/n)
	} else {
		r.note += fmt.Sprintf(" (batch norm of %s: the Monte Carlo would cost %.2g flops, above the limit %.2g: mean field, relative error about 2/n_eff = %.2g)", seg.Where, flops, r.o.bnMaxFlops(), 2/n)
	}
	return false, nil
}

func segmentInfo(pd *pending, flops float64) BNSegment {
	seg := BNSegment{Where: pd.where[0], Grid: pd.g.size(), Period: pd.g.period(), Flops: flops}
	if len(pd.where) > 1 {
		seg.Where += " .. " + pd.where[len(pd.where)-1]
	}
	return seg
}

// spatialVariance returns v = mean_x K_c(x, x) of a map.
func (r *run) spatialVariance(g geom, m []float64) (float64, error) {
	mean, mbar, err := r.rowMeans(g, m)
	if err != nil {
		return 0, err
	}
	var v float64
	for q := range mean {
		v += m[q*g.points()] - 2*mean[q] + mbar
	}
	return v / float64(len(mean)), nil
}

// nEff returns tr(K_c)^2 / tr(K_c^2) of a map.
func (r *run) nEff(g geom, m []float64) (float64, error) {
	mean, mbar, err := r.rowMeans(g, m)
	if err != nil {
		return 0, err
	}
	var tr, tr2 float64
	for p := 0; p < g.phases(); p++ {
		py, px := p/g.px, p%g.px
		for dy := 0; dy < g.h; dy++ {
			qy := (py + dy) % g.py
			for dx := 0; dx < g.w; dx++ {
				q := qy*g.px + (px+dx)%g.px
				v := m[p*g.points()+dy*g.w+dx] - mean[p] - mean[q] + mbar
				tr2 += v * v
				if dy == 0 && dx == 0 {
					tr += v
				}
			}
		}
	}
	if tr2 == 0 {
		return math.Inf(1), nil
	}
	return tr * tr / tr2 * float64(g.points()) / float64(g.phases()), nil
}

// keepsGamma reports whether a layer leaves a batch norm's gamma term
// for the activation after it: the activation itself, and Save, which
// does not change the tensor.
func keepsGamma(l arch.Layer) bool {
	switch l.(type) {
	case arch.Act, arch.Save:
		return true
	}
	return false
}

// clearGamma returns s with no part marked as holding a batch norm's gamma
// term (the layer about to run is not the activation that uses it).
func clearGamma(s state) state {
	for i, p := range s.parts {
		if p.gamma {
			s.parts = append([]part(nil), s.parts...)
			for j := i; j < len(s.parts); j++ {
				s.parts[j].gamma = false
			}
			break
		}
	}
	return s
}
