package arch

import (
	"reflect"
	"strings"
	"testing"
)

// want is a hand-computed node of a plan.
type want struct {
	path, kind string
	from       []int
	in         []int // channels of each input
	out        int   // channels out
	size       []int // grid out
}

func checkPlan(t *testing.T, spec string, size []int, input Tensor, nodes []want) *Plan {
	t.Helper()
	a, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Plan(size)
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	if !reflect.DeepEqual(p.Input, input) {
		t.Errorf("%s: input %+v, want %+v", spec, p.Input, input)
	}
	if len(p.Nodes) != len(nodes) {
		t.Fatalf("%s: %d nodes, want %d", spec, len(p.Nodes), len(nodes))
	}
	for i, w := range nodes {
		n := p.Nodes[i]
		var in []int
		for k, f := range n.From {
			in = append(in, n.In[k].Channels)
			if !reflect.DeepEqual(n.In[k], p.Tensor(f)) {
				t.Errorf("%s: node %d input %d is %+v but node %d makes %+v", spec, i, k, n.In[k], f, p.Tensor(f))
			}
		}
		got := want{n.Path, n.Layer.Kind(), n.From, in, n.Out.Channels, n.Out.Size}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: node %d is %+v, want %+v", spec, i, got, w)
		}
	}
	return p
}

func TestPlanConvStack1D(t *testing.T) {
	checkPlan(t, "conv-stack:dims=1,depth=2,channels=8", []int{16}, Tensor{Channels: 8, Size: []int{16}}, []want{
		{"layers[0]", "conv", []int{-1}, []int{8}, 8, []int{16}},
		{"layers[1]", "act", []int{0}, []int{8}, 8, []int{16}},
		{"layers[2]", "conv", []int{1}, []int{8}, 8, []int{16}},
		{"layers[3]", "act", []int{2}, []int{8}, 8, []int{16}},
	})
}

func TestPlanDeepDecoder(t *testing.T) {
	// The input is 2^2 times smaller than the 16x8 output.
	s0, s1, s2 := []int{4, 2}, []int{8, 4}, []int{16, 8}
	checkPlan(t, "deep-decoder:scales=2,channels=4", s2, Tensor{Channels: 4, Size: s0}, []want{
		{"layers[0]", "conv", []int{-1}, []int{4}, 4, s0},
		{"layers[1]", "upsample", []int{0}, []int{4}, 4, s1},
		{"layers[2]", "act", []int{1}, []int{4}, 4, s1},
		{"layers[3]", "batchnorm", []int{2}, []int{4}, 4, s1},
		{"layers[4]", "conv", []int{3}, []int{4}, 4, s1},
		{"layers[5]", "upsample", []int{4}, []int{4}, 4, s2},
		{"layers[6]", "act", []int{5}, []int{4}, 4, s2},
		{"layers[7]", "batchnorm", []int{6}, []int{4}, 4, s2},
		{"layers[8]", "conv", []int{7}, []int{4}, 4, s2},
		{"layers[9]", "act", []int{8}, []int{4}, 4, s2},
		{"layers[10]", "batchnorm", []int{9}, []int{4}, 4, s2},
		{"layers[11]", "conv", []int{10}, []int{4}, 3, s2},
		{"layers[12]", "act", []int{11}, []int{3}, 3, s2},
	})
}

func TestPlanDIPSkip(t *testing.T) {
	s8, s4 := []int{8, 8}, []int{4, 4}
	p := checkPlan(t, "dip-skip:scales=1,channels=8,skip=2,in_channels=3", s8, Tensor{Channels: 3, Size: s8}, []want{
		{"layers[0]", "save", []int{-1}, []int{3}, 3, s8},
		{"layers[1]", "conv", []int{0}, []int{3}, 8, s4},
		{"layers[2]", "batchnorm", []int{1}, []int{8}, 8, s4},
		{"layers[3]", "act", []int{2}, []int{8}, 8, s4},
		{"layers[4]", "conv", []int{3}, []int{8}, 8, s4},
		{"layers[5]", "batchnorm", []int{4}, []int{8}, 8, s4},
		{"layers[6]", "act", []int{5}, []int{8}, 8, s4},
		{"layers[7]", "upsample", []int{6}, []int{8}, 8, s8},
		{"layers[8].concat.branch[0]", "conv", []int{0}, []int{3}, 2, s8},
		{"layers[8].concat.branch[1]", "batchnorm", []int{8}, []int{2}, 2, s8},
		{"layers[8].concat.branch[2]", "act", []int{9}, []int{2}, 2, s8},
		{"layers[8]", "concat", []int{10, 7}, []int{2, 8}, 10, s8},
		{"layers[9]", "batchnorm", []int{11}, []int{10}, 10, s8},
		{"layers[10]", "conv", []int{12}, []int{10}, 8, s8},
		{"layers[11]", "batchnorm", []int{13}, []int{8}, 8, s8},
		{"layers[12]", "act", []int{14}, []int{8}, 8, s8},
		{"layers[13]", "conv", []int{15}, []int{8}, 8, s8},
		{"layers[14]", "batchnorm", []int{16}, []int{8}, 8, s8},
		{"layers[15]", "act", []int{17}, []int{8}, 8, s8},
		{"layers[16]", "conv", []int{18}, []int{8}, 3, s8},
		{"layers[17]", "act", []int{19}, []int{3}, 3, s8},
	})
	if u := p.Nodes[0].Uses; u != 2 {
		t.Errorf("the save is read %d times, want 2 (the stride-2 conv and the branch)", u)
	}
	if got := p.Nodes[8].Index; !reflect.DeepEqual(got, []int{8, 0}) {
		t.Errorf("branch conv index %v, want [8 0]", got)
	}
	if got := p.Nodes[8].String(); got != "layers[8].concat.branch[0] (conv)" {
		t.Errorf("node string %q", got)
	}
}

func TestPlanEncDec1D(t *testing.T) {
	a, err := Parse("encdec:scales=2,dims=1,channels=4")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Plan([]int{8})
	if err != nil {
		t.Fatal(err)
	}
	// Per level: conv s2, bn, act, conv, bn, act; then up, conv, bn, act,
	// conv, bn, act on the way back: 2*6 + 2*7 + output conv and sigmoid.
	if len(p.Nodes) != 28 {
		t.Fatalf("%d nodes, want 28", len(p.Nodes))
	}
	grids := map[int]int{0: 4, 5: 4, 6: 2, 11: 2, 12: 4, 18: 4, 19: 8, 27: 8}
	for i, g := range grids {
		if got := p.Nodes[i].Out.Size; len(got) != 1 || got[0] != g {
			t.Errorf("%s: grid %v, want [%d]", &p.Nodes[i], got, g)
		}
	}
	if p.Input.Channels != 32 || p.Input.Size[0] != 8 || p.Output().Channels != 3 {
		t.Errorf("input %+v output %+v", p.Input, p.Output())
	}
	if d := a.Divisor(); d != 4 {
		t.Errorf("divisor %d, want 4", d)
	}
	q, err := a.Plan(nil)
	if err != nil || q.Output().Size != nil || q.Output().Channels != 3 {
		t.Errorf("plan without size: %+v %v", q.Output(), err)
	}
}

// nested is a 1-D architecture with a concat inside a concat's branch.
func nested() Arch {
	return Arch{Dims: 1, Input: Input{Channels: 2, Dist: Gaussian, Std: 1}, Init: Init{Scheme: PyTorch},
		Param: Standard, Pad: Circular, Layers: []Layer{
			Save{Name: "in"},
			Conv{Out: 4, K: 3, Stride: 2},
			Concat{From: "in", Branch: []Layer{
				Save{Name: "b"},
				Pool{Op: Avg},
				Concat{From: "b", Branch: []Layer{Conv{Out: 1, K: 1, Stride: 2}}},
			}},
			Upsample{Mode: Nearest},
		}}
}

func TestPlanNested(t *testing.T) {
	a := nested()
	p, err := a.Plan([]int{8})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, n := range p.Nodes {
		paths = append(paths, n.Path)
	}
	wantPaths := []string{"layers[0]", "layers[1]", "layers[2].concat.branch[0]", "layers[2].concat.branch[1]",
		"layers[2].concat.branch[2].concat.branch[0]", "layers[2].concat.branch[2]", "layers[2]", "layers[3]"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("paths %q, want %q", paths, wantPaths)
	}
	// The inner concat joins [conv(b): 1 channel, pool(b): 2] at 2 points;
	// the outer one [3 channels, conv: 4] at 4, up-sampled to 8.
	inner, outer := p.Nodes[5], p.Nodes[6]
	if !reflect.DeepEqual(inner.From, []int{4, 3}) || inner.Out.Channels != 3 || inner.Out.Size[0] != 4 {
		t.Errorf("inner concat %+v", inner)
	}
	if !reflect.DeepEqual(outer.From, []int{5, 1}) || outer.Out.Channels != 7 || p.Output().Size[0] != 8 {
		t.Errorf("outer concat %+v, output %+v", outer, p.Output())
	}
	if p.Nodes[2].Uses != 2 || p.Nodes[0].Uses != 2 {
		t.Errorf("uses of the saves: %d %d, want 2 2", p.Nodes[0].Uses, p.Nodes[2].Uses)
	}
	// An error in the inner branch names it by its full path, once prefixed.
	a.Layers[2].(Concat).Branch[2].(Concat).Branch[0] = Conv{Out: 1, K: 2, Stride: 2}
	err = a.Validate(nil)
	want := "arch: layers[2].concat.branch[2].concat.branch[0] (conv): k is 2;"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want it to start with %q", err, want)
	}
}

func TestDivisorOfInvalid(t *testing.T) {
	a, _ := Parse("dip-skip")
	a.Layers = append([]Layer(nil), a.Layers...)
	a.Layers[3] = Act{Fn: "swish"}
	if a.Validate(nil) == nil {
		t.Fatal("swish accepted")
	}
	if d, e := a.Divisor(), a.Scale(); d != 32 || e != 0 {
		t.Errorf("divisor %d scale %d of an invalid dip-skip, want 32 and 0", d, e)
	}
}

func TestOnePrefix(t *testing.T) {
	for _, spec := range []string{"dip-skip:k=4", "deep-decoder:scales=2,channels=4"} {
		a, err := Parse(spec)
		if err == nil {
			err = a.Validate([]int{6, 6})
		}
		if err == nil || strings.Count(err.Error(), "arch:") != 1 {
			t.Errorf("%s: error %v, want exactly one arch: prefix", spec, err)
		}
	}
	d, _ := Parse("deep-decoder:scales=1")
	if err := d.Validate([]int{6, 5}); err == nil || !strings.Contains(err.Error(), "up-samples its input once") {
		t.Errorf("error %v, want 'once'", err)
	}
}
