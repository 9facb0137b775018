package kernel

import (
	"fmt"

	"github.com/dipgp/dipgp/arch"
)

// Batch normalization rule (docs/theory.md section 3, infinite-width mean
// field). Every channel is normalized by its own mean and standard
// deviation over the grid (one image). Centering is linear and exact:
//
//	K_c(x, x') = K(x, x') - m(x) - m(x') + Mbar,
//	m(x) = mean_y K(x, y) (= mean_d k[p][d]),  Mbar = mean_x m(x),
//
// and the spatial variance concentrates on v = mean_x K_c(x, x), so
//
//	K_bn = K_c / (v + eps),
//
// where eps is the layer's Eps (PyTorch adds it to the variance; docs/theory.md
// writes the eps = 0 case). The NTK is centred the same way and divided by
// the same v + eps; with Affine, gamma (starting at 1) and beta (at 0) add
// their own contributions K_bn and 1. After a concatenation the rule
// applies to each part separately (each channel has its own statistics).
// The rule is an approximation (the spatial variance is random at finite
// grid size); netinit measures its error.

func (r *run) batchnorm(l arch.BatchNorm, s state, where string) (state, error) {
	if l.MeanOnly {
		return r.meanOnly(l, s)
	}
	for i, p := range s.parts {
		n := p.g.n()
		p.m = r.pool.owned(p.m, n)
		if p.t != nil {
			p.t = r.pool.owned(p.t, n)
		}
		p.gamma = p.t != nil && l.Affine
		s.parts[i] = p
		if r.dry {
			continue
		}
		m := p.m.data[:n]
		var t []float64
		if p.t != nil {
			t = p.t.data[:n]
		}
		// A pending rule (a 1x1 conv's) is applied in the pass that sums
		// the rows; the NTK's row means are then taken in it too.
		pre := p.pre
		p.pre = nil
		s.parts[i] = p
		var tmean []float64
		var tbar float64
		var mean []float64
		var mbar float64
		var err error
		if pre != nil {
			mean, mbar, tmean, tbar, err = r.rowMeansPre(p.g, m, t, pre)
		} else {
			mean, mbar, err = r.rowMeans(p.g, m)
		}
		if err != nil {
			return s, err
		}
		// v = mean_x K_c(x, x) = mean_p (k[p][0] - 2 m[p] + Mbar).
		var v float64
		for q := range mean {
			v += m[q*p.g.points()] - 2*mean[q] + mbar
		}
		v /= float64(len(mean))
		if !(v+l.Eps > 0) {
			return s, fmt.Errorf("kernel: %s: the field has spatial variance %g (it is constant over the grid), so batch norm divides by zero; remove the batch norm or give it eps > 0", where, v)
		}
		scale := 1 / (v + l.Eps)
		var add []float64
		addC := 0.0
		if l.Affine {
			add, addC = m, 1
		}
		if t != nil && pre == nil && r.fuse {
			if tmean, tbar, err = r.rowMeans(p.g, t); err != nil {
				return s, err
			}
		}
		if r.fuse {
			// The next layer applies the centring (an activation: to
			// each row it computes, and only those; actRows writes the
			// others).
			p.pre = centerPre(p.g, mean, mbar, tmean, tbar, scale, l.Affine)
			s.parts[i] = p
			continue
		}
		if err := r.center(p.g, m, mean, mbar, scale, nil, 0); err != nil {
			return s, err
		}
		if t == nil {
			continue
		}
		if pre == nil {
			err = r.centerMap(p.g, t, scale, add, addC)
		} else {
			err = r.center(p.g, t, tmean, tbar, scale, add, addC)
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// rowMeans returns m[p] = mean_d k[p][d] for every phase and their mean
// Mbar. Row sums are computed per row and then combined in a fixed order,
// so the result does not depend on the number of workers.
func (r *run) rowMeans(g geom, k []float64) ([]float64, float64, error) {
	H, W := g.h, g.w
	rs := make([]float64, g.phases()*H)
	if err := r.parallel(len(rs), func(lo, hi int) {
		rowSums(rs[lo:hi], k[lo*W:hi*W], W)
	}); err != nil {
		return nil, 0, err
	}
	mean, mbar := phaseMeans(g, rs)
	return mean, mbar, nil
}

// rowMeansPre applies the pending rule pre to every row of the map m and
// its NTK t (nil without the NTK) in place and returns the row means of
// both (see rowMeans; tmean is nil without t), in one pass.
func (r *run) rowMeansPre(g geom, m, t []float64, pre rowPre) (mean []float64, mbar float64, tmean []float64, tbar float64, err error) {
	H, W := g.h, g.w
	rows := g.phases() * H
	rs := make([]float64, rows)
	var ts []float64
	if t != nil {
		ts = make([]float64, rows)
	}
	if err := r.parallel(rows, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			mr := m[row*W : (row+1)*W]
			var tr []float64
			if t != nil {
				tr = t[row*W : (row+1)*W]
			}
			pre(row/H, row%H, 0, mr, tr)
		}
		rowSums(rs[lo:hi], m[lo*W:hi*W], W)
		if t != nil {
			rowSums(ts[lo:hi], t[lo*W:hi*W], W)
		}
	}); err != nil {
		return nil, 0, nil, 0, err
	}
	mean, mbar = phaseMeans(g, rs)
	if t != nil {
		tmean, tbar = phaseMeans(g, ts)
	}
	return mean, mbar, tmean, tbar, nil
}

// rowSums sets rs[i] to the sum of row i (of W values) of k, each summed
// left to right; four rows at a time, so that the four additions in
// flight do not wait for each other.
func rowSums(rs, k []float64, W int) {
	i := 0
	for ; i+4 <= len(rs); i += 4 {
		a := k[i*W:][:W]
		b := k[(i+1)*W:][:W]
		c := k[(i+2)*W:][:W]
		d := k[(i+3)*W:][:W]
		var sa, sb, sc, sd float64
		for j := range a {
			sa += a[j]
			sb += b[j]
			sc += c[j]
			sd += d[j]
		}
		rs[i], rs[i+1], rs[i+2], rs[i+3] = sa, sb, sc, sd
	}
	for ; i < len(rs); i++ {
		var s float64
		for _, x := range k[i*W : (i+1)*W] {
			s += x
		}
		rs[i] = s
	}
}

// phaseMeans combines the row sums rs (H rows per phase) into the mean of
// each phase and their mean, in a fixed order.
func phaseMeans(g geom, rs []float64) ([]float64, float64) {
	H := g.h
	nph := g.phases()
	mean := make([]float64, nph)
	var mbar float64
	for p := range mean {
		var s float64
		for _, v := range rs[p*H : (p+1)*H] {
			s += v
		}
		mean[p] = s / float64(g.points())
		mbar += mean[p]
	}
	return mean, mbar / float64(nph)
}

// center replaces the map k (geometry g) in place by
// scale * (k[p][d] - m[p] - m[q(p,d)] + Mbar) + add[p][d] + addC, where
// q(p, d) is the phase of x + d (add may be nil).
func (r *run) center(g geom, k, mean []float64, mbar, scale float64, add []float64, addC float64) error {
	H, W := g.h, g.w
	rows := g.phases() * H
	return r.parallel(rows, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			ph, dy := row/H, row%H
			var a []float64
			if add != nil {
				a = add[row*W : (row+1)*W]
			}
			centerRow(g, k[row*W:(row+1)*W], ph, dy, 0, mean, mbar, scale, a, addC)
		}
	})
}

// centerRow centres the columns [b0, b0+len(o)) of row (ph, dy) of a map
// in place (see center; add, when not nil, holds the same columns).
func centerRow(g geom, o []float64, ph, dy, b0 int, mean []float64, mbar, scale float64, add []float64, addC float64) {
	py, px := ph/g.px, ph%g.px
	qy := (py + dy) % g.py
	c := mbar - mean[ph]
	mq := mean[qy*g.px:][:g.px]
	qx := (px + b0) % g.px
	if add == nil {
		for dx := range o {
			o[dx] = scale * (o[dx] + c - mq[qx])
			qx++
			if qx == g.px {
				qx = 0
			}
		}
		return
	}
	add = add[:len(o)]
	for dx := range o {
		o[dx] = scale*(o[dx]+c-mq[qx]) + add[dx] + addC
		qx++
		if qx == g.px {
			qx = 0
		}
	}
}

// centerPre returns a batch norm's centring as a row rule for the
// activation that follows it (part.pre): the second moment is centred with
// its row means mean and Mbar mbar, then the NTK (when there is one) with
// tmean and tbar, both times scale; with affine the NTK also gets the
// centred second moment and 1 (gamma and beta), the same operations as
// batchnorm's passes.
func centerPre(g geom, mean []float64, mbar float64, tmean []float64, tbar, scale float64, affine bool) rowPre {
	return func(ph, dy, b0 int, mr, tr []float64) {
		centerRow(g, mr, ph, dy, b0, mean, mbar, scale, nil, 0)
		if tr == nil {
			return
		}
		if affine {
			centerRow(g, tr, ph, dy, b0, tmean, tbar, scale, mr, 1)
			return
		}
		centerRow(g, tr, ph, dy, b0, tmean, tbar, scale, nil, 0)
	}
}

// centerMap centres the map k (geometry g) in place with its own row
// means: scale * (k[p][d] - m[p] - m[q(p,d)] + Mbar) + add[p][d] + addC
// (see center; add may be nil only when addC is 0).
func (r *run) centerMap(g geom, k []float64, scale float64, add []float64, addC float64) error {
	mean, mbar, err := r.rowMeans(g, k)
	if err != nil {
		return err
	}
	return r.center(g, k, mean, mbar, scale, add, addC)
}
