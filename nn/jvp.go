package nn

import (
	"fmt"

	"gorgonia.org/tensor"
)

// JVP runs the network forward on x at the current parameters and returns
// the output f(x) together with the Jacobian-vector product
//
//	J v = sum_i d f(x) / d Params()[i] . v[i],
//
// exact (forward-mode differentiation, no finite differences). v holds one
// tangent per parameter tensor, of its length; a nil entry (or a nil v) is
// a zero tangent. Batch norms normalize with the statistics of the current
// pass and their tangent includes the statistics' dependence on the input
// (the mean's and the variance's derivatives), as their backward pass
// does; the running statistics are not updated.
//
// After JVP the network holds a forward pass at x: Backward may follow
// once, giving J^T dy at the same point, so that one JVP and one Backward
// make a product with J J^T or a step of the linearized network. The
// returned output views the network's buffer (valid until the next pass);
// J v is a fresh tensor of the output's shape.
func (n *Net) JVP(x *tensor.Dense, v [][]float32) (out, jv *tensor.Dense, err error) {
	if v != nil && len(v) != len(n.params) {
		return nil, nil, fmt.Errorf("nn: JVP got %d tangents for %d parameter tensors; give one per Params() entry (nil for zero)", len(v), len(n.params))
	}
	for i, t := range v {
		if t != nil && len(t) != len(n.params[i].Data) {
			return nil, nil, fmt.Errorf("nn: JVP tangent %d (%s) has %d values; the parameter has %d", i, n.params[i].Name, len(t), len(n.params[i].Data))
		}
	}
	data, b, err := float32Data(x, n.InputShape(-1), "the input")
	if err != nil {
		return nil, nil, err
	}
	for i, val := range data {
		if val-val != 0 {
			return nil, nil, fmt.Errorf("nn: the input holds %v at index %d; give finite values", val, i)
		}
	}
	tangentOf := map[*Param][]float32{}
	for i, p := range n.params {
		if v != nil && v[i] != nil {
			tangentOf[p] = v[i]
		}
	}
	n.releaseAll()
	n.batch = b
	p := &pass{net: n, b: b}
	n.input.buf = n.ar.get(n.input.len(b))
	copy(n.input.buf, data)
	// Every primal value is kept (none aliased), as Backward expects after
	// a training-mode Forward; tangents live in tan, nil meaning zero.
	tan := map[*value][]float32{}
	for _, nd := range n.nodes {
		nd.out.buf = n.ar.get(nd.out.len(b))
		nd.op.forward(p, nd.in, nd.out)
		ins := make([][]float32, len(nd.in))
		live := false
		for j, iv := range nd.in {
			ins[j] = tan[iv]
			live = live || ins[j] != nil
		}
		for _, q := range nd.op.params() {
			live = live || tangentOf[q] != nil
		}
		if !live {
			continue
		}
		t := n.ar.get(nd.out.len(b))
		jvpNode(p, nd, ins, t, tangentOf)
		tan[nd.out] = t
	}
	jvData := make([]float32, n.output.len(b))
	if t := tan[n.output]; t != nil {
		copy(jvData, t)
	}
	for _, t := range tan {
		n.ar.put(t)
	}
	n.state = stateForward
	shape := n.OutputShape(b)
	out = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(n.output.buf))
	jv = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(jvData))
	return out, jv, nil
}

// shadow returns a value of v's shape holding buf.
func shadow(v *value, buf []float32) *value {
	return &value{c: v.c, h: v.h, w: v.w, buf: buf, producer: v.producer, lastUse: -1}
}

// jvpNode writes the tangent of nd's output to t from the input tangents
// ins (nil: zero) and the parameter tangents, after nd's forward pass.
func jvpNode(p *pass, nd *node, ins [][]float32, t []float32, tangentOf map[*Param][]float32) {
	b := p.b
	zeroIn := func(j int) []float32 {
		if ins[j] != nil {
			return ins[j]
		}
		z := p.net.ar.get(nd.in[j].len(b))
		clear(z)
		return z
	}
	switch o := nd.op.(type) {
	case *conv:
		jvpConv(p, o, nd, ins[0], tangentOf[o.w], biasTangent(o, tangentOf), t)
	case *act:
		// d phi(x) = phi'(x) dx: the backward kernel with dy = dx.
		var s []float32
		if o.fromOutput() {
			s = nd.out.buf
		} else {
			s = nd.in[0].buf
		}
		if s == nil {
			s = t // identity: not read
		}
		o.grad(s, ins[0], t, false)
	case *meanNorm:
		o.jvp(p, ins[0], tangentOf, t)
	case *batchnorm:
		var dg, db []float32
		if o.gamma != nil {
			dg, db = tangentOf[o.gamma], tangentOf[o.beta]
		}
		jvpBatchNorm(p, o, nd, ins[0], dg, db, t)
	default:
		// pool, upsample, concat: linear without parameters, so the
		// tangent is the layer applied to the input tangents.
		shadows := make([]*value, len(nd.in))
		var tmp [][]float32
		for j, iv := range nd.in {
			d := ins[j]
			if d == nil {
				d = zeroIn(j)
				tmp = append(tmp, d)
			}
			shadows[j] = shadow(iv, d)
		}
		nd.op.forward(p, shadows, shadow(nd.out, t))
		for _, d := range tmp {
			p.net.ar.put(d)
		}
	}
}

func biasTangent(c *conv, tangentOf map[*Param][]float32) []float32 {
	if c.b == nil || c.foldBias {
		// A folded bias cancels in the batch norm that follows.
		return nil
	}
	return tangentOf[c.b]
}

// jvpConv writes conv_W(dx) + conv_dW(x) + mult*db to t, running the
// layer's own forward pass with its parameters swapped for the tangents.
func jvpConv(p *pass, c *conv, nd *node, dx, dw, db, t []float32) {
	if c.lip != nil {
		// Lipschitz control's divisor is a constant of the pass.
		c.lip.frozen = true
		defer func() { c.lip.frozen = false }()
	}
	w := c.w.Data
	var bias []float32
	if c.b != nil {
		bias = c.b.Data
	}
	defer func() {
		c.w.Data = w
		if c.b != nil {
			c.b.Data = bias
		}
	}()
	zeros := func(n int) []float32 {
		z := p.net.ar.get(n)
		clear(z)
		return z
	}
	var zb []float32
	if c.b != nil {
		zb = zeros(len(bias))
		defer p.net.ar.put(zb)
	}
	out := shadow(nd.out, t)
	wrote := false
	if dx != nil {
		// conv_W(dx) without the bias.
		if c.b != nil {
			c.b.Data = zb
		}
		c.forward(p, []*value{shadow(nd.in[0], dx)}, out)
		wrote = true
	}
	if dw != nil || db != nil {
		if dw == nil {
			dw = zeros(len(w))
			defer p.net.ar.put(dw)
		}
		c.w.Data = dw
		if c.b != nil {
			c.b.Data = zb
			if db != nil {
				c.b.Data = db
			}
		}
		dst := t
		if wrote {
			dst = p.net.ar.get(len(t))
			defer p.net.ar.put(dst)
		}
		c.forward(p, []*value{nd.in[0]}, shadow(nd.out, dst))
		if wrote {
			addTo(t, dst)
		}
		wrote = true
	}
	if !wrote {
		clear(t)
	}
}

// jvpBatchNorm writes the tangent of a training-mode batch norm (and its
// fused activation): with xhat = (x - m) istd,
//
//	d xhat = istd (dx - mean(dx) - xhat mean(xhat dx)),
//	d y    = gamma d xhat + d gamma xhat + d beta,
//
// times the fused activation's slope where the pre-activation is negative.
func jvpBatchNorm(p *pass, bn *batchnorm, nd *node, dx, dg, db, t []float32) {
	x, y := nd.in[0].buf, nd.out.buf
	planes := p.b * bn.c
	n := bn.n
	parallelFor(planes, 4*n, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			ch := pl % bn.c
			m, is := float64(bn.mean[pl]), float64(bn.istd[pl])
			xs, ts, ys := x[pl*n:(pl+1)*n], t[pl*n:(pl+1)*n], y[pl*n:(pl+1)*n]
			var sd, sxd float64
			var ds []float32
			if dx != nil {
				ds = dx[pl*n : (pl+1)*n]
				for i, d := range ds {
					xh := (float64(xs[i]) - m) * is
					sd += float64(d)
					sxd += xh * float64(d)
				}
			}
			md, mxd := sd/float64(n), sxd/float64(n)
			g := 1.0
			if bn.gamma != nil {
				g = float64(bn.gamma.Data[ch])
			}
			var dgc, dbc float64
			if dg != nil {
				dgc = float64(dg[ch])
			}
			if db != nil {
				dbc = float64(db[ch])
			}
			for i := range ts {
				xh := (float64(xs[i]) - m) * is
				v := dgc*xh + dbc
				if ds != nil {
					v += g * is * (float64(ds[i]) - md - xh*mxd)
				}
				if bn.fused && !(ys[i] > 0) {
					v *= float64(bn.slope)
				}
				ts[i] = float32(v)
			}
		}
	})
}
