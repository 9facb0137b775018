package arch

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPlanDIPFC(t *testing.T) {
	s, one := []int{8, 4}, []int{1, 1}
	checkPlan(t, "dip-fc:scales=1,channels=5,in_channels=2,out_channels=3", s, Tensor{Channels: 2, Size: s}, []want{
		{"layers[0]", "dense", []int{-1}, []int{2}, 5, one},
		{"layers[1]", "act", []int{0}, []int{5}, 5, one},
		{"layers[2]", "dense", []int{1}, []int{5}, 5, one},
		{"layers[3]", "act", []int{2}, []int{5}, 5, one},
		{"layers[4]", "dense", []int{3}, []int{5}, 5, one},
		{"layers[5]", "act", []int{4}, []int{5}, 5, one},
		{"layers[6]", "dense", []int{5}, []int{5}, 5, one},
		{"layers[7]", "act", []int{6}, []int{5}, 5, one},
		{"layers[8]", "dense", []int{7}, []int{5}, 3, s},
		{"layers[9]", "act", []int{8}, []int{3}, 3, s},
	})
	a, err := Parse("dip-fc")
	if err != nil {
		t.Fatal(err)
	}
	dense := 0
	for _, l := range a.Layers {
		if _, ok := l.(Dense); ok {
			dense++
		}
	}
	// skip.py with use_fc: 4 linear layers per level, 5 levels, and the last.
	if dense != 21 {
		t.Errorf("dip-fc has %d dense layers, want 21", dense)
	}
}

func TestDenseErrors(t *testing.T) {
	in := Input{Channels: 1, Dist: Gaussian, Std: 1}
	base := Arch{Dims: 2, Input: in, Init: Init{Scheme: PyTorch}, Param: Standard, Pad: Zero}
	cases := []struct {
		name   string
		layers []Layer
		want   string
	}{
		{"ends in a vector", []Layer{Dense{Out: 4}}, "ends in a vector"},
		{"conv on a vector", []Layer{Dense{Out: 4}, Conv{Out: 2, K: 1, Stride: 1}, Dense{Out: 1, Image: true}}, "reads a vector"},
		{"pool on a vector", []Layer{Dense{Out: 4}, Pool{Op: Avg}, Dense{Out: 1, Image: true}}, "reads a vector"},
		{"bn on a vector", []Layer{Dense{Out: 4}, BatchNorm{Eps: 1e-5}, Dense{Out: 1, Image: true}}, "reads a vector"},
		{"grid joins vector", []Layer{Save{Name: "z"}, Dense{Out: 4}, Concat{From: "z"}, Dense{Out: 1, Image: true}}, "only one of them is a vector"},
		{"no outputs", []Layer{Dense{Out: 0, Image: true}}, "out is 0"},
	}
	for _, c := range cases {
		a := base
		a.Layers = c.layers
		err := a.Validate([]int{4, 4})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	// Vectors join vectors; the image layer returns to the grid.
	a := base
	a.Layers = []Layer{Dense{Out: 4}, Save{Name: "v"}, Act{Fn: ReLU}, Concat{From: "v", Branch: []Layer{Dense{Out: 2}}}, Dense{Out: 3, Image: true}}
	p, err := a.Plan([]int{4, 8})
	if err != nil {
		t.Fatal(err)
	}
	if o := p.Output(); o.Channels != 3 || o.Flat || o.Size[0] != 4 || o.Size[1] != 8 {
		t.Errorf("output %+v, want 3 channels on 4x8", o)
	}
	if c := p.Nodes[len(p.Nodes)-2].Out; c.Channels != 6 || !c.Flat {
		t.Errorf("concat makes %+v, want a vector of 6", c)
	}
}

func TestDenseYAML(t *testing.T) {
	a, err := Parse("dip-fc:scales=1,channels=7")
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "dense:") || !strings.Contains(string(b), "image: true") {
		t.Fatalf("YAML lacks the dense layers:\n%s", b)
	}
	var c Arch
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != len(a.Layers) {
		t.Fatalf("read back %d layers, want %d", len(c.Layers), len(a.Layers))
	}
	for i := range a.Layers {
		if c.Layers[i] != a.Layers[i] {
			t.Errorf("layer %d read back as %#v, want %#v", i, c.Layers[i], a.Layers[i])
		}
	}
}
