package nn

// concat joins two tensors of the same grid along channels: the output is
// [in[0], in[1]] (arch.Concat's [Branch(saved), current]). Its backward pass
// splits the gradient.
type concat struct{ n int } // grid points

func (l *concat) params() []*Param  { return nil }
func (l *concat) needsIn() bool     { return false }
func (l *concat) needsOut() bool    { return false }
func (l *concat) elementwise() bool { return false }

func (l *concat) forward(p *pass, in []*value, out *value) {
	a, b := in[0], in[1]
	na, nb, no := a.c*l.n, b.c*l.n, out.c*l.n
	parallelFor(p.b, no, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			o := out.buf[s*no : (s+1)*no]
			copy(o[:na], a.buf[s*na:(s+1)*na])
			copy(o[na:], b.buf[s*nb:(s+1)*nb])
		}
	})
}

func (l *concat) backward(p *pass, in []*value, out *value, dy []float32, dx [][]float32, acc []bool) {
	na, nb, no := in[0].c*l.n, in[1].c*l.n, out.c*l.n
	// Part 0 before part 1: when both inputs are the same tensor, the
	// second adds to what the first wrote.
	parts := [2][2]int{{0, na}, {na, nb}}
	for k := 0; k < 2; k++ {
		d := dx[k]
		if d == nil {
			continue
		}
		off, sz := parts[k][0], parts[k][1]
		ac := acc[k]
		for s := 0; s < p.b; s++ {
			g := dy[s*no+off : s*no+off+sz]
			t := d[s*sz : (s+1)*sz]
			if ac {
				parallelFor(sz, 1, func(lo, hi int) { addTo(t[lo:hi], g[lo:hi]) })
			} else {
				copy(t, g)
			}
		}
	}
}
