package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// naivePad returns the value of channel plane x (h x w) at (i, j) under the
// padding, written independently of padIndex: circular wraps, reflect
// mirrors about the edge pixels (PyTorch 'reflect'), zero gives 0.
func naivePad(x []float64, h, w, i, j int, pad arch.Padding) float64 {
	fold := func(k, n int) (int, bool) {
		switch pad {
		case arch.Circular:
			for k < 0 {
				k += n
			}
			return k % n, true
		case arch.Reflect:
			for k < 0 || k >= n {
				if k < 0 {
					k = -k
				}
				if k >= n {
					k = 2*(n-1) - k
				}
			}
			return k, true
		}
		return k, k >= 0 && k < n
	}
	i, oki := fold(i, h)
	j, okj := fold(j, w)
	if !oki || !okj {
		return 0
	}
	return x[i*w+j]
}

// TestConvNaive compares conv forward with the direct sum
// y[o, y, x] = b[o] + sum_{c, ty, tx} w[o, c, ty, tx] x[c, s*y+ty-p, s*x+tx-p].
func TestConvNaive(t *testing.T) {
	for ci, c := range []struct {
		dims, k, stride int
		pad             arch.Padding
		param           arch.Param
		size            []int
	}{
		{2, 3, 1, arch.Circular, arch.Standard, []int{7, 5}},
		{2, 5, 2, arch.Circular, arch.NTK, []int{4, 3}},
		{2, 3, 2, arch.Reflect, arch.Standard, []int{4, 4}},
		{2, 5, 1, arch.Zero, arch.NTK, []int{5, 6}},
		{2, 1, 1, arch.Circular, arch.Standard, []int{3, 4}},
		{1, 7, 1, arch.Circular, arch.Standard, []int{9}},
		{1, 3, 2, arch.Reflect, arch.NTK, []int{5}},
		{1, 5, 1, arch.Zero, arch.Standard, []int{6}},
	} {
		t.Run(fmt.Sprint(ci), func(t *testing.T) {
			a := simpleArch(c.dims, c.pad, c.param, arch.Conv{Out: 3, K: c.k, Stride: c.stride, Bias: true})
			a.Input.Channels = 2
			n, err := Build(a, c.size, uint64(ci))
			if err != nil {
				t.Fatal(err)
			}
			const batch = 2
			x, err := NewInput(a, c.size, batch, 9)
			if err != nil {
				t.Fatal(err)
			}
			y, err := n.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			cv := n.nodes[0].op.(*conv)
			hin, win := cv.hin, cv.win
			hout, wout := cv.hout, cv.wout
			kh := c.k
			if c.dims == 1 {
				kh = 1
			}
			p := (c.k - 1) / 2
			ph := (kh - 1) / 2
			xd := x.Data().([]float32)
			yd := y.Data().([]float32)
			w, b := n.Params()[0], n.Params()[1]
			var maxErr float64
			for s := 0; s < batch; s++ {
				for o := 0; o < 3; o++ {
					for oy := 0; oy < hout; oy++ {
						for ox := 0; ox < wout; ox++ {
							sum := float64(b.Mult) * float64(b.Data[o])
							for ch := 0; ch < 2; ch++ {
								plane := make([]float64, hin*win)
								for i := range plane {
									plane[i] = float64(xd[(s*2+ch)*hin*win+i])
								}
								for ty := 0; ty < kh; ty++ {
									for tx := 0; tx < c.k; tx++ {
										wv := float64(w.Mult) * float64(w.Data[((o*2+ch)*kh+ty)*c.k+tx])
										sum += wv * naivePad(plane, hin, win, c.stride*oy+ty-ph, c.stride*ox+tx-p, c.pad)
									}
								}
							}
							got := float64(yd[((s*3+o)*hout+oy)*wout+ox])
							maxErr = math.Max(maxErr, math.Abs(got-sum))
						}
					}
				}
			}
			if maxErr > 1e-5 {
				t.Errorf("max |conv - naive| = %.3g", maxErr)
			}
		})
	}
}

// TestBilinearNaive checks bilinear up-sampling against the 2-D weights
// written out: output (2i+a, 2j+b) is the product of the 1-D weights
// {0.75 at i, 0.25 at i-1 (a=0) or i+1 (a=1)}, wrapping for circular
// padding and clamping otherwise.
func TestBilinearNaive(t *testing.T) {
	for _, pad := range []arch.Padding{arch.Circular, arch.Reflect} {
		a := simpleArch(2, pad, arch.Standard, arch.Upsample{Mode: arch.Bilinear})
		a.Input.Channels = 1
		size := []int{10, 8}
		n, err := Build(a, size, 1)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := NewInput(a, size, 1, 3)
		y, err := n.Infer(x)
		if err != nil {
			t.Fatal(err)
		}
		h, w := 5, 4
		xd, yd := x.Data().([]float32), y.Data().([]float32)
		at := func(i, j int) float64 {
			if pad == arch.Circular {
				i, j = (i+h)%h, (j+w)%w
			} else {
				i, j = min(max(i, 0), h-1), min(max(j, 0), w-1)
			}
			return float64(xd[i*w+j])
		}
		for oy := 0; oy < 2*h; oy++ {
			for ox := 0; ox < 2*w; ox++ {
				i, j := oy/2, ox/2
				di, dj := 2*(oy%2)-1, 2*(ox%2)-1
				want := 0.5625*at(i, j) + 0.1875*at(i+di, j) + 0.1875*at(i, j+dj) + 0.0625*at(i+di, j+dj)
				if got := float64(yd[oy*2*w+ox]); math.Abs(got-want) > 1e-6 {
					t.Fatalf("%s: y[%d,%d] = %g, want %g", pad, oy, ox, got, want)
				}
			}
		}
	}
}

// TestBatchNormStats checks that batch norm output planes have mean beta and
// standard deviation |gamma| sqrt(var/(var+eps)) per sample, and the
// running statistics after two passes.
func TestBatchNormStats(t *testing.T) {
	a := simpleArch(2, arch.Zero, arch.Standard, arch.BatchNorm{Affine: true, Eps: 1e-3})
	size := []int{6, 7}
	n, err := Build(a, size, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, b := n.Params()[0], n.Params()[1]
	copy(g.Data, []float32{2, -0.5, 1})
	copy(b.Data, []float32{0.3, 0, -1})
	const batch = 2
	xs := make([]*tensor.Dense, 2)
	for k := range xs {
		xs[k], _ = NewInput(a, size, batch, uint64(k))
		d := xs[k].Data().([]float32)
		for i := range d {
			d[i] = d[i]*float32(1+i%3) + float32(k) // channel-dependent scale
		}
	}
	rm, rv := []float64{0, 0, 0}, []float64{1, 1, 1}
	for k, x := range xs {
		xd := append([]float32(nil), x.Data().([]float32)...)
		y, err := n.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		yd := y.Data().([]float32)
		np := 42
		var sm, sv [3]float64
		for s := 0; s < batch; s++ {
			for c := 0; c < 3; c++ {
				xp := xd[(s*3+c)*np : (s*3+c+1)*np]
				yp := yd[(s*3+c)*np : (s*3+c+1)*np]
				var mx, vx, my, vy float64
				for i := range xp {
					mx += float64(xp[i]) / float64(np)
					my += float64(yp[i]) / float64(np)
				}
				for i := range xp {
					vx += (float64(xp[i]) - mx) * (float64(xp[i]) - mx) / float64(np)
					vy += (float64(yp[i]) - my) * (float64(yp[i]) - my) / float64(np)
				}
				gm := float64(g.Data[c])
				if math.Abs(my-float64(b.Data[c])) > 1e-5 || math.Abs(math.Sqrt(vy)-math.Abs(gm)*math.Sqrt(vx/(vx+1e-3))) > 1e-5 {
					t.Errorf("pass %d sample %d channel %d: output mean %g std %g", k, s, c, my, math.Sqrt(vy))
				}
				sm[c] += mx / batch
				sv[c] += vx * float64(np) / float64(np-1) / batch
			}
		}
		for c := 0; c < 3; c++ {
			rm[c] = 0.9*rm[c] + 0.1*sm[c]
			rv[c] = 0.9*rv[c] + 0.1*sv[c]
		}
	}
	bufs := n.Buffers()
	for c := 0; c < 3; c++ {
		if math.Abs(float64(bufs[0].Data[c])-rm[c]) > 1e-5 || math.Abs(float64(bufs[1].Data[c])-rv[c]) > 1e-5*rv[c] {
			t.Errorf("channel %d: running mean %g var %g, want %g %g", c, bufs[0].Data[c], bufs[1].Data[c], rm[c], rv[c])
		}
	}
	if n.bns[0].tracked != 2 {
		t.Errorf("num_batches_tracked %d, want 2", n.bns[0].tracked)
	}
	// Infer leaves the running statistics alone.
	before := append([]float32(nil), bufs[0].Data...)
	if _, err := n.Infer(xs[0]); err != nil {
		t.Fatal(err)
	}
	for c := range before {
		if bufs[0].Data[c] != before[c] {
			t.Fatal("Infer changed running_mean")
		}
	}
}

// TestBatchIndependent checks that every sample of a batch gives the output
// it gives alone (batch norm uses per-sample statistics).
func TestBatchIndependent(t *testing.T) {
	a, err := arch.ParsePreset("dip-skip:scales=2,channels=4")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{8, 8}
	n, err := Build(a, size, 3)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := NewInput(a, size, 3, 4)
	y, err := n.Infer(x)
	if err != nil {
		t.Fatal(err)
	}
	yb := append([]float32(nil), y.Data().([]float32)...)
	xd := x.Data().([]float32)
	per := len(xd) / 3
	out := len(yb) / 3
	for s := 0; s < 3; s++ {
		xs := tensor.New(tensor.WithShape(n.InputShape(1)...), tensor.WithBacking(append([]float32(nil), xd[s*per:(s+1)*per]...)))
		ys, err := n.Infer(xs)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(ys.Data().([]float32), yb[s*out:(s+1)*out]); e > 1e-6 {
			t.Errorf("sample %d: batch output differs from single output by %g", s, e)
		}
	}
}

// TestNewInput checks the input's distribution and its circular smoothing
// against a direct circular convolution of the unsmoothed draw.
func TestNewInput(t *testing.T) {
	a := simpleArch(2, arch.Reflect, arch.Standard, arch.Conv{Out: 1, K: 1, Stride: 1})
	a.Input = arch.Input{Channels: 4, Dist: arch.Uniform, Low: -1, High: 3}
	size := []int{32, 16}
	x, err := NewInput(a, size, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := x.Data().([]float32)
	var m, v float64
	for _, e := range d {
		if e < -1 || e >= 3 {
			t.Fatalf("uniform value %g outside [-1, 3)", e)
		}
		m += float64(e)
	}
	m /= float64(len(d))
	for _, e := range d {
		v += (float64(e) - m) * (float64(e) - m)
	}
	v /= float64(len(d))
	// 4096 values: the mean's standard error is 0.018.
	if math.Abs(m-1) > 0.08 || math.Abs(v-16.0/12) > 0.1 {
		t.Errorf("uniform input mean %g variance %g, want 1 and %g", m, v, 16.0/12)
	}
	a.Input = arch.Input{Channels: 2, Dist: arch.Gaussian, Mean: 0.5, Std: 2}
	raw, _ := NewInput(a, size, 1, 7)
	a.Input.Smooth = 1.3
	sm, _ := NewInput(a, size, 1, 7)
	g := a.Input.SmoothFilter()
	r := len(g) / 2
	rd, sd := raw.Data().([]float32), sm.Data().([]float32)
	h, w := 32, 16
	for c := 0; c < 2; c++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				var s float64
				for ty := -r; ty <= r; ty++ {
					for tx := -r; tx <= r; tx++ {
						ii, jj := ((i-ty)%h+h)%h, ((j-tx)%w+w)%w
						s += g[ty+r] * g[tx+r] * float64(rd[c*h*w+ii*w+jj])
					}
				}
				if got := float64(sd[c*h*w+i*w+j]); math.Abs(got-s) > 1e-5 {
					t.Fatalf("smoothed input (%d,%d,%d) = %g, want %g", c, i, j, got, s)
				}
			}
		}
	}
	a.Layers = append(a.Layers, arch.Upsample{Mode: arch.Nearest})
	if _, err := NewInput(a, []int{33, 16}, 1, 1); err == nil {
		t.Error("odd size accepted")
	}
	if _, err := NewInput(a, size, 0, 1); err == nil {
		t.Error("batch 0 accepted")
	}
}

// TestInit checks the parameter distributions: sample variances against
// the formulas of the package documentation, and PyTorch's bound.
func TestInit(t *testing.T) {
	for _, c := range []struct {
		scheme             arch.Scheme
		param              arch.Param
		wantW, wantB, mult float64 // variance of Data, weight Mult
	}{
		{arch.PyTorch, arch.Standard, 1.0 / (3 * 576), 1.0 / (3 * 576), 1},
		{arch.Normal, arch.Standard, 2.25 / 576, 0.09, 1},
		{arch.Normal, arch.NTK, 1, 1, 1.5 / 24},
		{arch.PyTorch, arch.NTK, 1, 1, 1 / math.Sqrt(3*576)},
	} {
		a := simpleArch(2, arch.Zero, c.param, arch.Conv{Out: 300, K: 3, Stride: 1, Bias: true})
		a.Input.Channels = 64
		a.Init = arch.Init{Scheme: c.scheme, SW: 1.5, SB: 0.3}
		n, err := Build(a, []int{4, 4}, 1)
		if err != nil {
			t.Fatal(err)
		}
		w, b := n.Params()[0], n.Params()[1]
		vw, vb := meanSq(w.Data), meanSq(b.Data)
		// 172800 weights: 2% is many standard errors; 300 biases: 25%.
		if math.Abs(vw/c.wantW-1) > 0.02 || math.Abs(vb/c.wantB-1) > 0.25 {
			t.Errorf("%s/%s: weight variance %g (want %g), bias %g (want %g)", c.scheme, c.param, vw, c.wantW, vb, c.wantB)
		}
		if math.Abs(float64(w.Mult)/c.mult-1) > 1e-6 {
			t.Errorf("%s/%s: weight mult %g, want %g", c.scheme, c.param, w.Mult, c.mult)
		}
		if c.scheme == arch.PyTorch {
			bound := 1 / math.Sqrt(576) / float64(w.Mult)
			for _, v := range w.Data {
				if math.Abs(float64(v)) > bound*(1+1e-6) {
					t.Fatalf("%s: weight %g beyond PyTorch's bound %g", c.param, v, bound)
				}
			}
		}
	}
}

func meanSq(d []float32) float64 {
	var s float64
	for _, v := range d {
		s += float64(v) * float64(v)
	}
	return s / float64(len(d))
}

// TestThreads checks that parameters, outputs and gradients are
// bit-identical at 1 and 2 threads, and that Reinit(seed) reproduces Build.
func TestThreads(t *testing.T) {
	a, err := arch.ParsePreset("dip-skip:scales=3,channels=16,skip=4")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{32, 32}
	run := func(threads int) ([]float32, [][]float32) {
		defer SetThreads(SetThreads(threads))
		n, err := Build(a, size, 42)
		if err != nil {
			t.Fatal(err)
		}
		n.RequireInputGrad(true)
		x, _ := NewInput(a, size, 2, 5)
		y, err := n.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		out := append([]float32(nil), y.Data().([]float32)...)
		if err := n.Backward(y); err != nil {
			t.Fatal(err)
		}
		var ps [][]float32
		for _, p := range n.Params() {
			ps = append(ps, append([]float32(nil), p.Data...), append([]float32(nil), p.Grad...))
		}
		ps = append(ps, append([]float32(nil), n.InputGrad().Data().([]float32)...))
		return out, ps
	}
	y1, p1 := run(1)
	y2, p2 := run(2)
	if !bitEqual(y1, y2) {
		t.Error("outputs differ between 1 and 2 threads")
	}
	for i := range p1 {
		if !bitEqual(p1[i], p2[i]) {
			t.Errorf("parameter/gradient %d differs between 1 and 2 threads", i)
		}
	}
	n, _ := Build(a, size, 7)
	n.Reinit(42)
	for i, p := range n.Params() {
		if !bitEqual(p.Data, p1[2*i]) {
			t.Errorf("%s: Reinit(42) differs from Build(..., 42)", p.Name)
		}
	}
}

func bitEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestSaveLoad round-trips parameters and buffers through a folder.
func TestSaveLoad(t *testing.T) {
	a, err := arch.ParsePreset("dip-skip:scales=2,channels=8,param=ntk")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{16, 16}
	n, _ := Build(a, size, 3)
	x, _ := NewInput(a, size, 1, 1)
	for k := 0; k < 3; k++ {
		if _, err := n.Forward(x); err != nil { // moves the running statistics
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := n.Save(dir); err != nil {
		t.Fatal(err)
	}
	m, err := Load(a, size, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range n.Params() {
		q := m.Params()[i]
		if p.Name != q.Name || !bitEqual(p.Data, q.Data) || p.Mult != q.Mult {
			t.Errorf("%s: not restored", p.Name)
		}
	}
	for i, b := range n.Buffers() {
		if !bitEqual(b.Data, m.Buffers()[i].Data) {
			t.Errorf("%s: not restored", b.Name)
		}
	}
	if m.bns[0].tracked != 3 {
		t.Errorf("num_batches_tracked %d, want 3", m.bns[0].tracked)
	}
	y1, _ := n.Infer(x)
	y1d := append([]float32(nil), y1.Data().([]float32)...)
	y2, _ := m.Infer(x)
	if !bitEqual(y1d, y2.Data().([]float32)) {
		t.Error("loaded network gives a different output")
	}
	// A folder from another architecture is refused with a clear error.
	b, _ := arch.ParsePreset("dip-skip:scales=2,channels=4")
	if _, err := Load(b, size, dir); err == nil {
		t.Error("Load accepted parameters of another architecture")
	} else {
		t.Log(err)
	}
	if _, err := Load(a, size, t.TempDir()); err == nil {
		t.Error("Load accepted an empty folder")
	}
}

// TestErrors checks the errors for bad input.
func TestErrors(t *testing.T) {
	a, _ := arch.ParsePreset("dip-skip:scales=2,channels=4")
	if _, err := Build(a, []int{10, 10}, 1); err == nil {
		t.Error("size 10 accepted for 2 scales")
	}
	n, _ := Build(a, []int{8, 8}, 1)
	if err := n.Backward(nil); err == nil {
		t.Error("Backward before Forward accepted")
	}
	bad := tensor.New(tensor.WithShape(1, 3, 8, 8), tensor.WithBacking(make([]float32, 192)))
	if _, err := n.Forward(bad); err == nil {
		t.Error("input with 3 channels accepted")
	}
	f64 := tensor.New(tensor.WithShape(n.InputShape(1)...), tensor.WithBacking(make([]float64, prod(n.InputShape(1)))))
	if _, err := n.Forward(f64); err == nil {
		t.Error("float64 input accepted")
	}
	x, _ := NewInput(a, []int{8, 8}, 1, 1)
	if _, err := n.Infer(x); err != nil {
		t.Fatal(err)
	}
	if err := n.Backward(bad); err == nil {
		t.Error("Backward after Infer accepted")
	}
	y, _ := n.Forward(x)
	wrong := tensor.New(tensor.WithShape(1, 2, 8, 8), tensor.WithBacking(make([]float32, 128)))
	if err := n.Backward(wrong); err == nil {
		t.Error("dy of the wrong shape accepted")
	}
	if err := n.Backward(y); err != nil {
		t.Fatal(err)
	}
	if err := n.Backward(y); err == nil {
		t.Error("second Backward accepted")
	}
	x.Data().([]float32)[3] = float32(math.Inf(1))
	if _, err := n.Forward(x); err == nil {
		t.Error("infinite input accepted")
	}
	one := simpleArch(2, arch.Zero, arch.Standard, arch.Pool{Op: arch.Avg}, arch.BatchNorm{Eps: 1e-5})
	if _, err := Build(one, []int{1, 1}, 1); err == nil {
		t.Error("batch norm over one pixel accepted")
	}
}
