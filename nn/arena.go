package nn

// arena is a pool of float32 buffers keyed by length. A network takes its
// activations, gradients and scratch from its arena and gives them back when
// they are no longer needed, so after the first pass it allocates nothing.
type arena struct {
	free map[int][][]float32
}

// get returns a buffer of length n with undefined contents.
func (a *arena) get(n int) []float32 {
	if a.free == nil {
		a.free = map[int][][]float32{}
	}
	l := a.free[n]
	if k := len(l); k > 0 {
		b := l[k-1]
		a.free[n] = l[:k-1]
		return b
	}
	return make([]float32, n)
}

// put returns a buffer to the pool; nil is ignored.
func (a *arena) put(b []float32) {
	if b == nil {
		return
	}
	if a.free == nil {
		a.free = map[int][][]float32{}
	}
	a.free[len(b)] = append(a.free[len(b)], b)
}

// reset drops every pooled buffer (for the garbage collector).
func (a *arena) reset() { a.free = nil }
