package nn

import (
	"fmt"
	"strings"

	"github.com/dipgp/dipgp/arch"
)

// compiler turns the nodes of an arch.Plan into the network's ops (it is
// the network's arch.Visitor).
type compiler struct {
	net  *Net
	plan *arch.Plan
	vals []*value // the value of each plan node (a Save's is its input's)
	i    int      // the node being compiled
}

// compile adds the ops of every plan node and returns the output value.
func (c *compiler) compile() (*value, error) {
	for c.i = 0; c.i < len(c.plan.Nodes); c.i++ {
		if err := arch.Visit(c.plan.Nodes[c.i].Layer, c); err != nil {
			return nil, err
		}
	}
	return c.vals[len(c.vals)-1], nil
}

func (c *compiler) node() *arch.Node { return &c.plan.Nodes[c.i] }

// in returns the k-th input value of the current node.
func (c *compiler) in(k int) *value {
	if f := c.node().From[k]; f != arch.InputNode {
		return c.vals[f]
	}
	return c.net.input
}

// add appends op o reading in, making a new value of the node's output
// tensor, and records it as the node's value.
func (c *compiler) add(o op, where string, in ...*value) {
	n := c.net
	out := n.tensorValue(c.node().Out, len(n.nodes))
	n.nodes = append(n.nodes, &node{op: o, in: in, out: out, where: where, dx: make([][]float32, len(in)), acc: make([]bool, len(in))})
	if len(o.params()) > 0 {
		n.owners = append(n.owners, o)
		n.params = append(n.params, o.params()...)
	}
	c.vals[c.i] = out
}

// stateName returns the PyTorch state_dict prefix of the layer at index:
// layers.3, layers.3.branch.0 (see the package doc).
func stateName(index []int) string {
	var b strings.Builder
	b.WriteString("layers")
	for k, i := range index {
		if k > 0 {
			b.WriteString(".branch")
		}
		fmt.Fprintf(&b, ".%d", i)
	}
	return b.String()
}

func (c *compiler) Conv(l arch.Conv) error {
	a, nd, x := c.net.arch, c.node(), c.in(0)
	cv := newConv(l, a.Dims, x.c, x.h, x.w, a.Pad, stateName(nd.Index), a.Param == arch.NTK, a.Init)
	c.add(cv, nd.String(), x)
	return nil
}

func (c *compiler) Act(l arch.Act) error {
	c.add(&act{fn: l.Fn, slope: float32(l.Slope)}, c.node().String(), c.in(0))
	return nil
}

func (c *compiler) Pool(l arch.Pool) error {
	nd := c.node()
	hin, win := grid(nd.In[0])
	hout, wout := grid(nd.Out)
	c.add(&pool{op: l.Op, dims: c.net.arch.Dims, hin: hin, win: win, hout: hout, wout: wout}, nd.String(), c.in(0))
	return nil
}

func (c *compiler) Upsample(l arch.Upsample) error {
	nd := c.node()
	hin, win := grid(nd.In[0])
	u := &upsample{mode: l.Mode, sigma: l.Sigma, dims: c.net.arch.Dims, wrap: c.net.arch.Pad == arch.Circular, hin: hin, win: win}
	c.add(u, nd.String(), c.in(0))
	return nil
}

// BatchNorm fuses a following ReLU or LeakyReLU (slope >= 0) that is its
// only reader into one op.
func (c *compiler) BatchNorm(l arch.BatchNorm) error {
	n, nd, x := c.net, c.node(), c.in(0)
	if l.MeanOnly {
		c.add(newMeanNorm(stateName(nd.Index), x.c, x.h*x.w, l.Affine), nd.String(), x)
		return nil
	}
	bn := newBatchNorm(stateName(nd.Index), x.c, x.h*x.w, l.Eps, l.Affine)
	where := nd.String()
	fused := false
	if c.i+1 < len(c.plan.Nodes) && nd.Uses == 1 {
		next := &c.plan.Nodes[c.i+1]
		ac, ok := next.Layer.(arch.Act)
		if ok && next.From[0] == c.i && (ac.Fn == arch.ReLU || ac.Fn == arch.LeakyReLU && ac.Slope >= 0) {
			bn.fused, fused = true, true
			if ac.Fn == arch.LeakyReLU {
				bn.slope = float32(ac.Slope)
			} else {
				bn.slope = 0
			}
			where += " + " + next.String()
		}
	}
	n.bns = append(n.bns, bn)
	n.buffers = append(n.buffers, bn.rmean, bn.rvar)
	c.add(bn, where, x)
	if bn.gamma == nil {
		// Buffers without parameters still belong to the state_dict.
		n.owners = append(n.owners, bn)
	}
	if fused {
		c.i++ // the activation's value is the fused op's
		c.vals[c.i] = c.vals[c.i-1]
	}
	return nil
}

// Save passes its input on: readers of the saved tensor read that value.
func (c *compiler) Save(arch.Save) error {
	c.vals[c.i] = c.in(0)
	return nil
}

// Concat joins [branch, current].
func (c *compiler) Concat(arch.Concat) error {
	h, w := grid(c.node().Out)
	c.add(&concat{n: h * w}, c.node().String(), c.in(0), c.in(1))
	return nil
}
