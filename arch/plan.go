package arch

import "fmt"

// Tensor describes a tensor of the network: its channels and grid size.
type Tensor struct {
	// Channels is the number of channels.
	Channels int
	// Size is the grid: [H, W] in 2-D, [N] in 1-D; nil in a plan made
	// without a size; all ones for a vector (Flat).
	Size []int
	// Flat marks a vector: Channels values on a one-point grid, made by a
	// Dense layer without Image.
	Flat bool
}

// InputNode is the index Node.From uses for the network's noise input.
const InputNode = -1

// Node is one layer of a Plan with the tensors it reads and makes.
type Node struct {
	// Layer is the layer.
	Layer Layer
	// Path is the layer's place in the architecture, spelled as in the
	// YAML file: "layers[3]", "layers[3].concat.branch[0]". Messages name a
	// layer by String, its path and kind.
	Path string
	// Index is the path as positions: [3] for layers[3], [3, 0] for
	// layers[3].concat.branch[0].
	Index []int
	// From are the nodes whose outputs the layer reads (InputNode for the
	// network input): one for every kind but Concat, which reads the
	// branch's result and the current tensor, in that order. The first
	// layer of a branch reads the Save that named its tensor (with an empty
	// branch the Concat reads the Save itself).
	From []int
	// In are the tensors read, one per From.
	In []Tensor
	// Out is the tensor the layer makes; a Save's is its input.
	Out Tensor
	// Scale is e such that Out's grid is the input grid times 2^e per axis.
	Scale int
	// Uses is the number of nodes that read Out. The last node's output is
	// the network's output, which its caller reads too (not counted).
	Uses int
}

// String returns the node's path and kind: "layers[3].concat.branch[0] (conv)".
func (n *Node) String() string {
	if n.Layer == nil {
		return n.Path
	}
	return n.Path + " (" + n.Layer.Kind() + ")"
}

// Plan is an architecture validated and laid out for one output size: its
// layers, branches included, as a flat list of nodes in execution order,
// each with the nodes it reads and its resolved shapes. Interpreters (the
// kernel, the finite network) walk Nodes in order; a node's inputs always
// come before it.
type Plan struct {
	// Arch is the architecture.
	Arch Arch
	// Size is the output size; nil for a plan made without a size.
	Size []int
	// Input is the network's noise input.
	Input Tensor
	// Nodes are the layers in execution order, each Concat after its
	// branch. The last node's output is the network's output.
	Nodes []Node
}

// Output returns the network's output tensor.
func (p *Plan) Output() Tensor { return p.Nodes[len(p.Nodes)-1].Out }

// Tensor returns the output of node i, or the input for InputNode.
func (p *Plan) Tensor(i int) Tensor {
	if i == InputNode {
		return p.Input
	}
	return p.Nodes[i].Out
}

func (p *Plan) scale(i int) int {
	if i == InputNode {
		return 0
	}
	return p.Nodes[i].Scale
}

// Plan validates the architecture for an output (image) of the given size
// (len(size) == Dims) and lays it out. The error names the layer or field
// at fault and says how to fix it. A nil size checks and lays out
// everything that does not depend on the size (the tensors' Size is nil).
func (a Arch) Plan(size []int) (*Plan, error) {
	if err := a.checkFields(); err != nil {
		return nil, err
	}
	p, err := a.layout()
	if err != nil {
		return nil, err
	}
	if size != nil {
		if err := p.resize(size); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// layout builds the plan without sizes. It goes on after an error, so that
// Divisor and Scale have a structure to read even for an invalid
// architecture, and returns the first error.
func (a Arch) layout() (*Plan, error) {
	b := &planner{p: &Plan{Arch: a, Input: Tensor{Channels: a.Input.Channels}}, saved: map[string]int{}}
	b.walk(a.Layers, InputNode, "layers", nil)
	if k := len(b.p.Nodes); k > 0 && b.p.Nodes[k-1].Out.Flat {
		b.fail(errorf("%s: the network ends in a vector (a dense layer without image); end it with a dense layer with image: true, which puts its outputs on the grid", &b.p.Nodes[k-1]))
	}
	for _, n := range b.p.Nodes {
		for _, f := range n.From {
			if f != InputNode {
				b.p.Nodes[f].Uses++
			}
		}
	}
	return b.p, b.err
}

// planner is the one walk of an architecture's layers and branches.
type planner struct {
	p     *Plan
	saved map[string]int // node of each Save
	err   error          // the first error
}

func (b *planner) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// walk appends the nodes of ls, the first reading node x, and returns the
// node of the last one (x when ls is empty).
func (b *planner) walk(ls []Layer, x int, path string, index []int) int {
	for i, l := range ls {
		in := b.p.Tensor(x)
		n := Node{
			Layer: l,
			Path:  fmt.Sprintf("%s[%d]", path, i),
			Index: append(index[:len(index):len(index)], i),
			From:  []int{x},
			In:    []Tensor{in},
			Out:   in,
			Scale: b.p.scale(x),
		}
		if l == nil {
			b.fail(errorf("%s: empty layer; give one of conv, act, pool, upsample, batchnorm, save, concat, dense", n.Path))
		} else if err := l.accept(&layerCheck{b: b, n: &n}); err != nil {
			b.fail(err)
		}
		b.p.Nodes = append(b.p.Nodes, n)
		x = len(b.p.Nodes) - 1
	}
	return x
}
