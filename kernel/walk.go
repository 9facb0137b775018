package kernel

import "github.com/dipgp/dipgp/arch"

// walk runs the plan's nodes in order from the input state in and returns
// the output. A node's output is kept until its last reader takes it;
// earlier readers share its buffers (a reference each), so that an
// in-place layer copies a tensor that is still needed (a Save's, read by
// the main path and by each branch from it).
func (r *run) walk(pl *arch.Plan, in state) (state, error) {
	r.in = in
	r.vals = make([]state, len(pl.Nodes))
	r.left = make([]int, len(pl.Nodes))
	st := &step{r: r}
	for i := range pl.Nodes {
		if err := r.ctx.Err(); err != nil {
			return state{}, err
		}
		n := &pl.Nodes[i]
		st.in = st.in[:0]
		for _, f := range n.From {
			st.in = append(st.in, r.read(f))
		}
		st.where, st.node = n.String(), n
		handled := false
		if len(st.in) == 1 {
			// The exact batch-norm rule defers per-channel layers
			// (bnexact.go) and resolves them before the next conv.
			s, h, err := r.bnHook(n.Layer, st.in[0], st.where)
			if err != nil {
				return state{}, err
			}
			st.in[0], st.out, handled = s, s, h
		}
		if !handled {
			if err := r.unhalfFor(n.Layer, st.in); err != nil {
				return state{}, err
			}
			r.fuse = r.fusable(pl, i)
			r.half = r.halfOK(pl, i)
			err := arch.Visit(n.Layer, st)
			r.fuse, r.half = false, false
			if err != nil {
				return state{}, err
			}
		}
		r.vals[i], r.left[i] = st.out, n.Uses
		r.progress(st.where + r.note)
		r.note = ""
	}
	out := r.vals[len(pl.Nodes)-1]
	r.vals, r.left = nil, nil
	return out, nil
}

// soleReader returns the node that is node i's only reader when it is the
// next node and reads nothing else, under the mean-field batch-norm rule
// with fusion on; nil otherwise. Only such a pair may share a pass.
func (r *run) soleReader(pl *arch.Plan, i int) *arch.Node {
	if r.noFuse || r.o.BN != BNMeanField || pl.Nodes[i].Uses != 1 || i+1 >= len(pl.Nodes) {
		return nil
	}
	next := &pl.Nodes[i+1]
	if len(next.From) != 1 || next.From[0] != i {
		return nil
	}
	return next
}

// fusable reports whether node i's only reader is the next node, an
// activation other than the identity or a batch norm (not mean-only),
// under the mean-field batch-norm rule (the exact rule defers activations
// and batch norms; bnexact.go).
func (r *run) fusable(pl *arch.Plan, i int) bool {
	next := r.soleReader(pl, i)
	if next == nil {
		return false
	}
	switch l := next.Layer.(type) {
	case arch.Act:
		return l.Fn != arch.Identity
	case arch.BatchNorm:
		return !l.MeanOnly
	}
	return false
}

// halfOK reports whether node i's output may be left half written
// (part.half): its only reader is an activation other than the identity,
// or a conv whose only reader is one (the conv then keeps the half map
// when it is elementwise; see conv).
func (r *run) halfOK(pl *arch.Plan, i int) bool {
	next := r.soleReader(pl, i)
	if next == nil {
		return false
	}
	switch l := next.Layer.(type) {
	case arch.Act:
		return l.Fn != arch.Identity
	case arch.Conv:
		if !r.fusable(pl, i+1) {
			return false
		}
		_, ok := pl.Nodes[i+2].Layer.(arch.Act)
		return ok
	}
	return false
}

// unhalfFor completes the half-written parts of the inputs of a layer
// that reads whole maps (all but activations and convs, which do it
// themselves when needed).
func (r *run) unhalfFor(l arch.Layer, in []state) error {
	switch l.(type) {
	case arch.Act, arch.Conv:
		return nil
	}
	for _, s := range in {
		if err := r.unhalf(s); err != nil {
			return err
		}
	}
	return nil
}

// read returns the output of node f for one reader: the last reader takes
// it, earlier ones get a shared copy.
func (r *run) read(f int) state {
	if f == arch.InputNode {
		s := r.in
		r.in = state{}
		return s
	}
	r.left[f]--
	s := r.vals[f]
	if r.left[f] == 0 {
		r.vals[f] = state{}
		return s
	}
	for _, p := range s.parts {
		p.m.refs++
		if p.t != nil {
			p.t.refs++
		}
	}
	return state{parts: append([]part(nil), s.parts...), after: s.after}
}

// step applies one layer to its input states (the kernel's Visitor).
type step struct {
	r     *run
	in    []state
	out   state
	where string
	node  *arch.Node // the node being applied
}

func (s *step) Conv(l arch.Conv) (err error) {
	s.out, err = s.r.conv(l, s.in[0], s.where)
	return err
}

func (s *step) Act(l arch.Act) (err error) {
	s.out, err = s.r.act(l, s.in[0], s.where)
	return err
}

func (s *step) Pool(l arch.Pool) (err error) {
	s.out, err = s.r.pool2(l, s.in[0], s.where)
	return err
}

func (s *step) Upsample(l arch.Upsample) (err error) {
	s.out, err = s.r.upsample(l, s.in[0], s.where)
	return err
}

func (s *step) BatchNorm(l arch.BatchNorm) (err error) {
	s.out, err = s.r.batchnorm(l, s.in[0], s.where)
	return err
}

// Save passes its tensor on; the plan's readers share it.
func (s *step) Save(arch.Save) error {
	s.out = s.in[0]
	return nil
}

// Dense makes a vector, or with Image a white map on the node's grid
// (dense.go).
func (s *step) Dense(l arch.Dense) (err error) {
	size := s.node.Out.Size
	s.out, err = s.r.dense(l, s.in[0], size)
	return err
}

func (s *step) Concat(arch.Concat) (err error) {
	s.out, err = s.r.concat(s.in[0], s.in[1], s.where)
	return err
}
