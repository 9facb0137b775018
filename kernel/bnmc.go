package kernel

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// bnBatches is the number of batches the draws are split into for the
// standard errors.
const bnBatches = 8

// mcCost returns the estimated floating-point operations and bytes of the
// Monte Carlo of a segment from geometry sg to og with the given number of
// fields.
func mcCost(sg, og geom, fields int, ntk bool) (flops float64, bytes int64) {
	ps, po := newPolyGeom(sg), newPolyGeom(og)
	maps := 1.0
	if ntk {
		maps = 2
	}
	nph, nm := float64(ps.nph), float64(ps.nm)
	npo, nmo := float64(po.nph), float64(po.nm)
	logm := math.Log2(nm + 1)
	factor := maps * (nm*nph*nph*nph*4/3 + 5*nph*nph*nm*logm)
	draw := maps * (nm*nph*nph*2 + 5*nph*nm*logm) // two fields a draw
	perField := 20*float64(sg.points()+og.points()) + (1+maps)*(npo*nmo*(5*math.Log2(nmo+1))+npo*npo*nmo*8)
	readOut := float64(bnBatches) * maps * npo * npo * nmo * 5 * (math.Log2(nmo+1) + 1)
	flops = factor + float64(fields/2)*draw + float64(fields)*perField + readOut
	bytes = int64(maps) * (int64(ps.nm)*int64(ps.nph*ps.nph)*16 + int64(po.nm)*int64(po.nph*po.nph)*16 + 3*int64(og.n())*8)
	bytes += int64(2*ps.nph*ps.nm*16) + int64(8*(sg.points()+og.points())*8)
	return flops, bytes
}

// montecarlo replaces the mean-field maps of out (the analytic replay of
// the segment pd) by the exact ones: M = M_mf + mean(x x^T - y y^T) and
// T = mean(t t^T), over fields drawn from the segment's input maps
// (srcM, srcT). scales are the mean-field 1/sqrt(v + eps) of its batch
// norms.
//
// A segment whose input is nearly constant over the grid (n_eff close to
// 1: a tiny deepest grid) can need more fields than Options.Samples for a
// positive variance estimate: the draw is then repeated with 4 and 16
// times the fields (deterministically, from the same streams), and only
// when that fails too is the error returned.
func (r *run) montecarlo(pd *pending, srcM, srcT *buffer, out part, scales []float64) error {
	seed := uint64(0)
	if !r.dry {
		seed = r.bn.count
		r.bn.count++
	}
	S := r.o.samples()
	for attempt := 0; ; attempt++ {
		err := r.mcAttempt(pd, srcM, srcT, out, scales, S, seed)
		var few *tooFewFields
		if !errors.As(err, &few) || attempt == 2 {
			return err
		}
		r.note += fmt.Sprintf(" (exact batch norm of %s: %d fields gave a non-positive variance, n_eff %.3g: retried with %d)", few.where, S, few.neff, 4*S)
		S *= 4
	}
}

// tooFewFields is montecarlo's error when the estimate of a variance is
// not positive.
type tooFewFields struct {
	where    string
	phase, S int
	v, neff  float64
}

func (e *tooFewFields) Error() string {
	return fmt.Sprintf("kernel: exact batch norm of %s: the Monte Carlo estimate of the variance at phase %d is %.3g, not positive even with %d fields (n_eff %.3g); use more (--bn-samples, Options.Samples) or --bn meanfield", e.where, e.phase, e.v, e.S, e.neff)
}

// mcAttempt is one Monte Carlo of montecarlo with S fields; it leaves out
// unchanged when it returns a *tooFewFields.
func (r *run) mcAttempt(pd *pending, srcM, srcT *buffer, out part, scales []float64, S int, seed uint64) error {
	sg, og := pd.g, out.g
	ntk := srcT != nil && out.t != nil
	dpb := max(1, (S/2+bnBatches-1)/bnBatches) // complex draws per batch
	S = 2 * dpb * bnBatches
	flops, bytes := mcCost(sg, og, S, ntk)
	seg := segmentInfo(pd, flops)
	r.extra = max(r.extra, bytes)
	if r.dry {
		return nil
	}
	t0 := time.Now()
	var err error
	if seg.NEff, err = r.nEff(sg, srcM.data[:sg.n()]); err != nil {
		return err
	}
	// Separate streams for the fields and the tangents, so that the NNGP
	// does not depend on whether the NTK is computed.
	rng := rand.New(rand.NewPCG(r.o.Seed, 0x9e3779b97f4a7c15^(2*seed)))
	rngT := rand.New(rand.NewPCG(r.o.Seed, 0x9e3779b97f4a7c15^(2*seed+1)))
	zs, err := r.newFieldSampler(sg, srcM.data[:sg.n()])
	if err != nil {
		return err
	}
	var ts *fieldSampler
	if ntk {
		if ts, err = r.newFieldSampler(sg, srcT.data[:sg.n()]); err != nil {
			return err
		}
	}
	ps, po := newPolyGeom(sg), newPolyGeom(og)
	accM := newSpectralAcc(og)
	var accT *spectralAcc
	if ntk {
		accT = newSpectralAcc(og)
	}
	n := og.n()
	sumM, sum2M := make([]float64, n), make([]float64, n)
	var sumT, sum2T []float64
	if ntk {
		sumT, sum2T = make([]float64, n), make([]float64, n)
	}
	bm := make([]float64, n)
	xi := make([]complex128, ps.nph*ps.nm)
	work := make([]complex128, ps.nph*ps.nm)
	F := make([]complex128, po.nph*po.nm)
	np := sg.points()
	z := [2][]float64{make([]float64, np), make([]float64, np)}
	tg := [2][]float64{make([]float64, np), make([]float64, np)}
	xg := make([]float64, 2*len(pd.ops))
	for b := 0; b < bnBatches; b++ {
		for d := 0; d < dpb; d++ {
			if err := zs.draw(r, rng, xi, work, z[0], z[1]); err != nil {
				return err
			}
			if ntk {
				if err := ts.draw(r, rngT, xi, work, tg[0], tg[1]); err != nil {
					return err
				}
			}
			for k := 0; k < 2; k++ {
				if ntk {
					for i := range xg {
						xg[i] = rngT.NormFloat64()
					}
				}
				f := chainField{g: sg, x: append([]float64(nil), z[k]...), y: append([]float64(nil), z[k]...)}
				if ntk {
					f.t = append([]float64(nil), tg[k]...)
				}
				for i, l := range pd.ops {
					f = fieldOp(l, f, scales[i], xg[2*i], xg[2*i+1])
				}
				if err := r.polyDFT(po, f.x, F); err != nil {
					return err
				}
				if err := r.accAdd(accM, F, 1); err != nil {
					return err
				}
				if err := r.polyDFT(po, f.y, F); err != nil {
					return err
				}
				if err := r.accAdd(accM, F, -1); err != nil {
					return err
				}
				if ntk {
					if err := r.polyDFT(po, f.t, F); err != nil {
						return err
					}
					if err := r.accAdd(accT, F, 1); err != nil {
						return err
					}
				}
			}
		}
		if err := r.readMap(accM, 2*dpb, bm); err != nil {
			return err
		}
		addMoments(sumM, sum2M, bm)
		if ntk {
			if err := r.readMap(accT, 2*dpb, bm); err != nil {
				return err
			}
			addMoments(sumT, sum2T, bm)
		}
	}
	m := out.m.data[:n]
	B := float64(bnBatches)
	for p := 0; p < og.phases(); p++ {
		if v := m[p*og.points()] + sumM[p*og.points()]/B; !(v > 0) {
			return &tooFewFields{where: seg.Where, phase: p, S: S, v: v, neff: seg.NEff}
		}
	}
	var diff float64
	for i := range m {
		c := sumM[i] / B
		m[i] += c
		diff += c * c
	}
	vm := meanVar(og, m)
	seg.Method = "montecarlo"
	seg.Samples = S
	seg.MeanFieldDiff = math.Sqrt(diff/float64(n)) / vm
	seg.SE, seg.MaxSE = seStats(sumM, sum2M, B, vm)
	if ntk {
		t := out.t.data[:n]
		var d2 float64
		for i := range t {
			e := sumT[i] / B
			d2 += (e - t[i]) * (e - t[i])
			t[i] = e
		}
		vt := meanVar(og, t)
		seg.MeanFieldDiffNTK = math.Sqrt(d2/float64(n)) / vt
		seg.SENTK, _ = seStats(sumT, sum2T, B, vt)
	}
	seg.Seconds = time.Since(t0).Seconds()
	r.bn.segs = append(r.bn.segs, seg)
	r.note += fmt.Sprintf(" (exact batch norm of %s: %d fields, %.2fs, standard error %.2g, differs from mean field by %.2g)", seg.Where, S, seg.Seconds, seg.SE, seg.MeanFieldDiff)
	return nil
}

func addMoments(sum, sum2, b []float64) {
	for i, v := range b {
		sum[i] += v
		sum2[i] += v * v
	}
}

// seStats returns the root-mean-square and the largest standard error of
// the mean of B batch means (sums sum, sum2), relative to v.
func seStats(sum, sum2 []float64, B, v float64) (rms, mx float64) {
	var s float64
	for i := range sum {
		m := sum[i] / B
		e := math.Max(sum2[i]/B-m*m, 0) * B / (B - 1) / B
		s += e
		mx = math.Max(mx, math.Sqrt(e))
	}
	return math.Sqrt(s/float64(len(sum))) / v, mx / v
}

// meanVar is the mean over phases of k[p][0].
func meanVar(g geom, k []float64) float64 {
	var s float64
	for p := 0; p < g.phases(); p++ {
		s += k[p*g.points()]
	}
	v := s / float64(g.phases())
	if v == 0 {
		return 1
	}
	return v
}
