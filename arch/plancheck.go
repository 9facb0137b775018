package arch

import "fmt"

// layerCheck validates one layer's fields and sets its node's output
// channels and scale (and, for a Concat, walks the branch).
type layerCheck struct {
	b *planner
	n *Node
}

func (v *layerCheck) errorf(format string, args ...any) error {
	return errorf("%s: %s", v.n, fmt.Sprintf(format, args...))
}

func (v *layerCheck) Conv(l Conv) error {
	v.n.Out.Channels = l.Out
	if err := v.gridOnly(); err != nil {
		return err
	}
	if l.Stride == 2 {
		v.n.Scale--
	}
	if l.Out <= 0 {
		return v.errorf("out is %d; give a positive number of output channels", l.Out)
	}
	if l.K <= 0 || l.K%2 == 0 {
		return v.errorf("k is %d; the kernel size must be odd and positive (1, 3, 5, ...) so the filter is centred", l.K)
	}
	if l.Stride != 1 && l.Stride != 2 {
		return v.errorf("stride is %d; use 1 or 2", l.Stride)
	}
	if msg := controlProblem(l); msg != "" {
		return v.errorf("%s", msg)
	}
	return nil
}

func (v *layerCheck) Act(l Act) error {
	switch l.Fn {
	case ReLU, Tanh, Sigmoid, Erf, Identity:
	case LeakyReLU:
		if !finite(l.Slope) {
			return v.errorf("slope %v is not a finite number", l.Slope)
		}
	default:
		return v.errorf("fn %q is unknown; use relu, leakyrelu, tanh, sigmoid, erf or identity", l.Fn)
	}
	return nil
}

func (v *layerCheck) Pool(l Pool) error {
	v.n.Scale--
	if err := v.gridOnly(); err != nil {
		return err
	}
	switch l.Op {
	case Avg, Decimate:
		return nil
	}
	return v.errorf("op %q is unknown; use avg or decimate", l.Op)
}

func (v *layerCheck) Upsample(l Upsample) error {
	v.n.Scale++
	if err := v.gridOnly(); err != nil {
		return err
	}
	switch l.Mode {
	case Nearest, Bilinear, GaussianUp:
		if msg := controlProblem(l); msg != "" {
			return v.errorf("%s", msg)
		}
		return nil
	}
	return v.errorf("mode %q is unknown; use nearest, bilinear or gaussian", l.Mode)
}

func (v *layerCheck) BatchNorm(l BatchNorm) error {
	if err := v.gridOnly(); err != nil {
		return err
	}
	if !finite(l.Eps) || l.Eps < 0 {
		return v.errorf("eps %v must be a finite number >= 0 (PyTorch uses 1e-5)", l.Eps)
	}
	return nil
}

func (v *layerCheck) Save(l Save) error {
	if l.Name == "" {
		return v.errorf("name is empty; give the saved tensor a name for a later concat")
	}
	if _, dup := v.b.saved[l.Name]; dup {
		return v.errorf("name %q is saved twice; names must be unique", l.Name)
	}
	v.b.saved[l.Name] = len(v.b.p.Nodes) // the index this node will have
	return nil
}

func (v *layerCheck) Concat(l Concat) error {
	s, ok := v.b.saved[l.From]
	var err error
	if !ok {
		err = v.errorf("from %q names no tensor saved before it; add a save layer with that name earlier", l.From)
		s = InputNode // go on from the input, as if it were saved
	}
	n := v.n
	end := v.b.walk(l.Branch, s, n.Path+".concat.branch", n.Index)
	bt, cur := v.b.p.Tensor(end), n.In[0]
	n.From = []int{end, n.From[0]}
	n.In = []Tensor{bt, cur}
	n.Out = Tensor{Channels: bt.Channels + cur.Channels, Flat: cur.Flat}
	if err == nil && bt.Flat != cur.Flat {
		err = v.errorf("joins the branch from %q with the current tensor, but only one of them is a vector (the output of a dense layer without image); join vectors with vectors and grids with grids", l.From)
	}
	if bs := v.b.p.scale(end); err == nil && bs != n.Scale {
		err = v.errorf("joins the branch from %q, at %s, with the current tensor at %s; both must have the same resolution (match the up- and down-sampling on the two paths)", l.From, gridScale(bs), gridScale(n.Scale))
	}
	return err
}

// gridScale describes a grid of the input grid times 2^e per axis.
func gridScale(e int) string {
	switch {
	case e < 0:
		return fmt.Sprintf("1/%d of the input grid", 1<<-e)
	case e > 0:
		return fmt.Sprintf("%d times the input grid", 1<<e)
	}
	return "the input grid"
}

// resize checks the output size and sets the grid of every tensor.
func (p *Plan) resize(size []int) error {
	a := p.Arch
	if len(size) != a.Dims {
		return errorf("size %s has %s but the architecture has dims %d; give %d sizes", SizeString(size), plural(len(size), "axis", "axes"), a.Dims, a.Dims)
	}
	for _, n := range size {
		if n <= 0 {
			return errorf("size %s must be positive", SizeString(size))
		}
	}
	if d := p.divisor(); d > 1 {
		for _, n := range size {
			if n%d != 0 {
				lo := n / d * d
				if lo == 0 {
					lo = d
				}
				return errorf("image size %d is not divisible by %d, which every size must be for this architecture (%s); use a multiple of %d such as %d or %d", n, d, a.scaleReason(), d, lo, lo+d)
			}
		}
	}
	in, err := a.InputSize(size)
	if err != nil {
		return err
	}
	p.Size = append([]int(nil), size...)
	p.Input.Size = in
	for i := range p.Nodes {
		n := &p.Nodes[i]
		for k, f := range n.From {
			n.In[k].Size = p.Tensor(f).Size
		}
		// The divisibility above makes every grid a whole number.
		n.Out.Size = make([]int, len(in))
		for j, m := range in {
			if n.Out.Flat {
				n.Out.Size[j] = 1
			} else if n.Scale >= 0 {
				n.Out.Size[j] = m << n.Scale
			} else {
				n.Out.Size[j] = m >> -n.Scale
			}
		}
		if err := n.Layer.accept(sizeCheck{a: a, n: n}); err != nil {
			return err
		}
	}
	return nil
}

// divisor is Divisor of the plan's structure.
func (p *Plan) divisor() int {
	if len(p.Nodes) == 0 {
		return 1
	}
	maxDepth := 0
	for _, n := range p.Nodes {
		maxDepth = max(maxDepth, -n.Scale)
	}
	// output = input * 2^scale; the input must divide by 2^maxDepth.
	return 1 << (maxDepth + p.Nodes[len(p.Nodes)-1].Scale)
}

// sizeCheck checks what depends on the grid a layer sees.
type sizeCheck struct {
	a Arch
	n *Node
}

func (v sizeCheck) Conv(l Conv) error {
	r := (l.K - 1) / 2
	if v.a.Pad != Reflect {
		return nil
	}
	for _, m := range v.n.In[0].Size {
		if r >= m {
			return errorf("%s: reflect padding of %d needs a grid larger than %d, but the grid here is %s; use a larger image, fewer scales, or pad: circular", v.n, r, r, SizeString(v.n.In[0].Size))
		}
	}
	return nil
}

func (v sizeCheck) BatchNorm(BatchNorm) error {
	m := 1
	for _, s := range v.n.In[0].Size {
		m *= s
	}
	if m == 1 {
		return errorf("%s: batch norm over a 1-pixel grid has nothing to normalize (its output is the constant beta; PyTorch refuses it too); use a larger image or fewer scales", v.n)
	}
	return nil
}

func (sizeCheck) Act(Act) error           { return nil }
func (sizeCheck) Pool(Pool) error         { return nil }
func (sizeCheck) Upsample(Upsample) error { return nil }
func (sizeCheck) Save(Save) error         { return nil }
func (sizeCheck) Concat(Concat) error     { return nil }

// plural writes a count with the singular or plural noun.
func plural(k int, one, many string) string {
	if k == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", k, many)
}
