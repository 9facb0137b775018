package nn

import (
	"fmt"
	"github.com/dipgp/dipgp/internal/sgemm"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// value is a tensor of the network: c channels on an h x w grid (h = 1 in
// 1-D), batch given by the pass.
type value struct {
	c, h, w  int
	buf      []float32 // activations of the current pass, nil when released
	grad     []float32 // gradient during Backward, nil when not yet written
	producer int       // node index, -1 for the network input
	lastUse  int       // last node reading it in the forward pass, -1 if none
	keep     bool      // a backward pass reads it
	needGrad bool      // Backward must compute its gradient
}

func (v *value) len(b int) int { return b * v.c * v.h * v.w }

// op is one layer's forward and backward pass.
type op interface {
	// forward computes out.buf from the inputs' buffers.
	forward(p *pass, in []*value, out *value)
	// backward adds parameter gradients and sets (acc false) or adds (acc
	// true) the input gradients dx[i] (nil: not needed) from dy.
	backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool)
	needsIn() bool     // backward reads the inputs' buffers
	needsOut() bool    // backward reads the output's buffer
	elementwise() bool // out may alias in[0], dx[0] may alias dy
	params() []*Param
}

type node struct {
	op    op
	in    []*value
	out   *value
	where string
	dx    [][]float32 // backward scratch
	acc   []bool
}

// pass is the state of one forward or backward pass.
type pass struct {
	net   *Net
	b     int  // batch
	train bool // update batch norm running statistics
}

// Net is a finite network built from an arch.Arch for one output size. It
// owns its parameters, gradients and work buffers; it is not safe for
// concurrent use (build one network per goroutine).
type Net struct {
	arch    arch.Arch
	size    []int // output size
	inSize  []int // input grid
	nodes   []*node
	values  []*value
	input   *value
	output  *value
	owners  []op // ops with parameters or buffers, in state_dict order
	params  []*Param
	buffers []*Buffer
	bns     []*batchnorm
	col     []float32 // im2col workspace
	// packW and packDy hold a convolution's weights (or their transpose)
	// and a block of its output gradient packed for sgemm.GemmPacked;
	// layers run one at a time, so all convolutions share them.
	packW, packDy sgemm.PackedA
	ar            arena
	batch         int
	state         int // stateNone, stateForward, stateInfer, stateBackward
	inputGrad     bool
	noTrain       bool
}

const (
	stateNone = iota
	stateForward
	stateInfer
	stateBackward
)

// Build builds the network of architecture a for an output (image) of the
// given size and draws its parameters from seed (see Reinit). The input
// the network takes has the grid a.InputSize(size).
func Build(a arch.Arch, size []int, seed uint64) (*Net, error) {
	pl, err := a.Plan(size)
	if err != nil {
		return nil, err
	}
	n := &Net{arch: a, size: append([]int(nil), size...), inSize: pl.Input.Size}
	n.input = n.tensorValue(pl.Input, -1)
	c := &compiler{net: n, plan: pl, vals: make([]*value, len(pl.Nodes))}
	if n.output, err = c.compile(); err != nil {
		return nil, err
	}
	n.plan()
	colLen := 0
	for _, nd := range n.nodes {
		if cv, ok := nd.op.(*conv); ok {
			colLen = max(colLen, cv.colLen())
		}
	}
	n.col = make([]float32, colLen)
	n.Reinit(seed)
	return n, nil
}

func (n *Net) newValue(c, h, w, producer int) *value {
	v := &value{c: c, h: h, w: w, producer: producer, lastUse: -1}
	n.values = append(n.values, v)
	return v
}

// tensorValue returns a new value of the plan's tensor t.
func (n *Net) tensorValue(t arch.Tensor, producer int) *value {
	h, w := grid(t)
	return n.newValue(t.Channels, h, w, producer)
}

// grid returns the h x w grid of a tensor (h = 1 in 1-D).
func grid(t arch.Tensor) (h, w int) {
	if len(t.Size) == 1 {
		return 1, t.Size[0]
	}
	return t.Size[0], t.Size[1]
}

// plan computes, for every value, its last forward use, whether a backward
// pass reads it and whether its gradient is needed.
func (n *Net) plan() {
	for i, nd := range n.nodes {
		for _, v := range nd.in {
			v.lastUse = i
			if nd.op.needsIn() {
				v.keep = true
			}
		}
		if nd.op.needsOut() {
			nd.out.keep = true
		}
	}
	// A conv bias whose only consumer is a batch norm cancels in the batch
	// norm's output: the conv never adds it (its gradient is exactly 0)
	// and the batch norm adds it to its running mean only.
	for i, nd := range n.nodes {
		cv, ok := nd.op.(*conv)
		if !ok || cv.b == nil || cv.dense || nd.out == n.output {
			continue
		}
		var users []*node
		for _, other := range n.nodes[i+1:] {
			for _, v := range other.in {
				if v == nd.out {
					users = append(users, other)
				}
			}
		}
		if len(users) == 1 {
			if bn, ok := users[0].op.(*batchnorm); ok {
				cv.foldBias, bn.inBias = true, cv.b
			}
		}
	}
	n.planGrad()
}

func (n *Net) planGrad() {
	n.input.needGrad = n.inputGrad
	for _, nd := range n.nodes {
		g := len(nd.op.params()) > 0
		for _, v := range nd.in {
			g = g || v.needGrad
		}
		nd.out.needGrad = g
	}
}

// Arch returns the architecture the network was built from.
func (n *Net) Arch() arch.Arch { return n.arch }

// Size returns the output (image) size the network was built for.
func (n *Net) Size() []int { return append([]int(nil), n.size...) }

// InputShape returns the shape of an input batch of b samples:
// [b, C0, H, W] ([b, C0, N] in 1-D).
func (n *Net) InputShape(b int) []int {
	return append([]int{b, n.input.c}, n.inSize...)
}

// OutputShape returns the shape of the output for a batch of b samples.
func (n *Net) OutputShape(b int) []int {
	return append([]int{b, n.output.c}, n.size...)
}

// RequireInputGrad sets whether Backward computes the gradient with
// respect to the network input (off by default: it costs the first layer's
// input-gradient GEMM). Read it with InputGrad.
func (n *Net) RequireInputGrad(on bool) {
	n.inputGrad = on
	n.planGrad()
}

func shapeString(s []int) string { return fmt.Sprint(s) }

// float32Data returns the backing slice of a contiguous float32 tensor of
// the wanted shape (any batch when want[0] < 0) and its batch.
func float32Data(x *tensor.Dense, want []int, what string) ([]float32, int, error) {
	if x == nil {
		return nil, 0, fmt.Errorf("nn: %s is nil", what)
	}
	if x.Dtype() != tensor.Float32 {
		return nil, 0, fmt.Errorf("nn: %s has dtype %v; give a float32 tensor", what, x.Dtype())
	}
	sh := []int(x.Shape())
	ok := len(sh) == len(want)
	for i := 0; ok && i < len(sh); i++ {
		if want[i] >= 0 && sh[i] != want[i] {
			ok = false
		}
	}
	if !ok || sh[0] < 1 {
		w := shapeString(want)
		if want[0] < 0 {
			w = fmt.Sprintf("[B %v]", shapeString(want[1:]))
		}
		return nil, 0, fmt.Errorf("nn: %s has shape %v; this network needs %s", what, sh, w)
	}
	if x.RequiresIterator() {
		return nil, 0, fmt.Errorf("nn: %s is a non-contiguous view; pass a contiguous tensor (x.Materialize())", what)
	}
	d, _ := x.Data().([]float32)
	b := sh[0]
	need := 1
	for _, s := range sh {
		need *= s
	}
	if len(d) < need {
		return nil, 0, fmt.Errorf("nn: %s holds %d values for shape %v", what, len(d), sh)
	}
	return d[:need], b, nil
}

// releaseAll returns every activation and gradient buffer to the arena.
func (n *Net) releaseAll() {
	for _, v := range n.values {
		n.ar.put(v.buf)
		n.ar.put(v.grad)
		v.buf, v.grad = nil, nil
	}
}

// Forward runs the network in training mode on a batch x of shape
// InputShape(B), keeping what Backward needs and updating the batch norms'
// running statistics. The returned tensor, of shape OutputShape(B), is a
// view of the network's own buffer: it stays valid until the next Forward
// or Infer (Clone it to keep it longer). x is copied and may be reused.
func (n *Net) Forward(x *tensor.Dense) (*tensor.Dense, error) {
	return n.run(x, !n.noTrain)
}

// Infer runs the forward pass like Forward (batch norms normalize with the
// grid statistics of each sample) but keeps nothing for Backward and does
// not touch the running statistics: the fast path for evaluating many
// random networks. The returned tensor is valid until the next Forward or
// Infer.
func (n *Net) Infer(x *tensor.Dense) (*tensor.Dense, error) {
	return n.run(x, false)
}

func (n *Net) run(x *tensor.Dense, train bool) (*tensor.Dense, error) {
	want := n.InputShape(-1)
	data, b, err := float32Data(x, want, "the input")
	if err != nil {
		return nil, err
	}
	for i, v := range data {
		if v-v != 0 { // NaN or ±Inf
			return nil, fmt.Errorf("nn: the input holds %v at index %d; give finite values", v, i)
		}
	}
	n.releaseAll()
	n.batch = b
	p := &pass{net: n, b: b, train: train}
	n.input.buf = n.ar.get(n.input.len(b))
	copy(n.input.buf, data)
	for i, nd := range n.nodes {
		out := nd.out
		alias := false
		if nd.op.elementwise() {
			src := nd.in[0]
			if src.lastUse == i && !(train && src.keep) && src != n.output {
				out.buf, alias = src.buf, true
			}
		}
		if !alias {
			out.buf = n.ar.get(out.len(b))
		}
		nd.op.forward(p, nd.in, out)
		for _, v := range nd.in {
			if v.lastUse != i || v == n.output || (train && v.keep) || v.buf == nil {
				continue
			}
			if !(alias && v == nd.in[0]) {
				n.ar.put(v.buf)
			}
			v.buf = nil
		}
	}
	n.state = stateInfer
	if train {
		n.state = stateForward
	}
	return tensor.New(tensor.WithShape(n.OutputShape(b)...), tensor.WithBacking(n.output.buf)), nil
}

// Backward back-propagates dy = d loss / d output (shape OutputShape(B) of
// the last Forward) through the network: it adds the parameter gradients to
// Params()[i].Grad and, with RequireInputGrad, computes the input gradient
// (InputGrad). It must follow a Forward (not Infer), once.
func (n *Net) Backward(dy *tensor.Dense) error {
	switch n.state {
	case stateNone:
		return fmt.Errorf("nn: Backward before Forward; call Forward first")
	case stateInfer:
		return fmt.Errorf("nn: Backward after Infer (or Forward with SetTraining(false)), which keeps nothing for it; call Forward in training mode")
	case stateBackward:
		return fmt.Errorf("nn: Backward called twice after one Forward; call Forward again")
	}
	want := n.OutputShape(n.batch)
	g, _, err := float32Data(dy, want, "the output gradient dy")
	if err != nil {
		return err
	}
	b := n.batch
	p := &pass{net: n, b: b}
	n.output.grad = n.ar.get(n.output.len(b))
	copy(n.output.grad, g)
	for i := len(n.nodes) - 1; i >= 0; i-- {
		nd := n.nodes[i]
		out := nd.out
		dyv := out.grad
		if dyv != nil {
			transferred := false
			for j, v := range nd.in {
				nd.dx[j], nd.acc[j] = nil, false
				if !v.needGrad {
					continue
				}
				switch {
				case v.grad != nil:
					nd.acc[j] = true
				case nd.op.elementwise() && !transferred:
					v.grad, transferred = dyv, true
				default:
					v.grad = n.ar.get(v.len(b))
				}
				nd.dx[j] = v.grad
			}
			nd.op.backward(p, nd.in, out, dyv, nd.dx, nd.acc)
			if !transferred {
				n.ar.put(dyv)
			}
			out.grad = nil
			for j := range nd.dx {
				nd.dx[j] = nil
			}
		}
		if out != n.output {
			n.ar.put(out.buf)
			out.buf = nil
		}
	}
	n.ar.put(n.input.buf)
	n.input.buf = nil
	if !n.inputGrad {
		n.ar.put(n.input.grad)
		n.input.grad = nil
	}
	n.state = stateBackward
	return nil
}

// InputGrad returns d loss / d input of the last Backward (shape
// InputShape(B)) when RequireInputGrad(true) was set, else nil. The tensor
// views the network's buffer and stays valid until the next Forward.
func (n *Net) InputGrad() *tensor.Dense {
	if n.state != stateBackward || n.input.grad == nil {
		return nil
	}
	return tensor.New(tensor.WithShape(n.InputShape(n.batch)...), tensor.WithBacking(n.input.grad))
}

// SetTraining chooses what Forward does: in training mode (the default) it
// keeps what Backward needs and updates the running statistics; with
// SetTraining(false) Forward is Infer.
func (n *Net) SetTraining(on bool) { n.noTrain = !on }
