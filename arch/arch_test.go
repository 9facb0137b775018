package arch

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPresetsRoundTrip(t *testing.T) {
	specs := []string{
		"dip-skip", "dip-skip:scales=2,up=nearest,bn=false", "dip-skip:down=avg,act=relu,init=normal,sw=1.4,sb=0.1",
		"encdec:scales=3,dims=1,sigma=2", "conv-stack:dims=1,depth=3,sigma=2", "deep-decoder:scales=3",
	}
	for _, s := range specs {
		a, err := Parse(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		y, err := a.YAML()
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode(y)
		if err != nil {
			t.Fatalf("%s: decode YAML: %v\n%s", s, err, y)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: YAML round trip differs", s)
		}
		j, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		c, err := Decode(j)
		if err != nil {
			t.Fatalf("%s: decode JSON: %v", s, err)
		}
		if !reflect.DeepEqual(a, c) {
			t.Errorf("%s: JSON round trip differs", s)
		}
	}
}

// countLayers counts layers of each kind, recursing into branches.
func countLayers(ls []Layer, n map[string]int) {
	for _, l := range ls {
		n[l.Kind()]++
		if c, ok := l.(Concat); ok {
			countLayers(c.Branch, n)
		}
	}
}

func TestDIPSkipStructure(t *testing.T) {
	a, err := Parse("dip-skip")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	countLayers(a.Layers, n)
	// Per level: skip conv, 2 down convs, 2 up convs = 5 convs; plus the output conv.
	want := map[string]int{"conv": 5*5 + 1, "save": 5, "concat": 5, "upsample": 5,
		"batchnorm": 5 * 6, "act": 5*5 + 1}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("layer counts %v, want %v", n, want)
	}
	if a.OutChannels() != 3 || a.Input.Channels != 32 || a.Pad != Reflect || a.Init.Scheme != PyTorch {
		t.Errorf("defaults wrong: out %d in %d pad %s init %s", a.OutChannels(), a.Input.Channels, a.Pad, a.Init.Scheme)
	}
	if m, v := a.Input.Moments(); math.Abs(m-0.05) > 1e-15 || math.Abs(v-0.01/12) > 1e-15 {
		t.Errorf("input moments %v %v", m, v)
	}
	if d := a.Divisor(); d != 32 {
		t.Errorf("divisor %d, want 32", d)
	}
	if err := a.Validate([]int{64, 64}); err != nil {
		t.Error(err)
	}
	if _, ok := a.PreActivation().Layers[len(a.PreActivation().Layers)-1].(Conv); !ok {
		t.Error("PreActivation should end with the output conv")
	}
	e, _ := Parse("encdec")
	n = map[string]int{}
	countLayers(e.Layers, n)
	if n["concat"] != 0 || n["conv"] != 5*4+1 {
		t.Errorf("encdec counts %v", n)
	}
}

func TestValidateErrors(t *testing.T) {
	base, _ := Parse("dip-skip:scales=2")
	cases := []struct {
		name string
		edit func(a *Arch)
		size []int
		want string
	}{
		{"size", nil, []int{18, 16}, "not divisible by 4"},
		{"axes", nil, []int{16}, "has 1 axis"},
		{"even k", func(a *Arch) { a.Layers[1] = Conv{Out: 8, K: 4, Stride: 2, Bias: true} }, []int{16, 16}, "layers[1] (conv): k is 4"},
		{"channels", func(a *Arch) { a.Layers[1] = Conv{Out: 0, K: 3, Stride: 2} }, []int{16, 16}, "out is 0"},
		{"stride", func(a *Arch) { a.Layers[1] = Conv{Out: 8, K: 3, Stride: 3} }, []int{16, 16}, "stride is 3"},
		{"act", func(a *Arch) { a.Layers[3] = Act{Fn: "swish"} }, []int{16, 16}, `fn "swish" is unknown`},
		{"from", func(a *Arch) {
			for i, l := range a.Layers {
				if c, ok := l.(Concat); ok {
					c.From = "nope"
					a.Layers[i] = c
					return
				}
			}
		}, []int{16, 16}, `from "nope" names no tensor`},
		{"resolution", func(a *Arch) {
			for i, l := range a.Layers {
				if _, ok := l.(Upsample); ok {
					a.Layers = append(a.Layers[:i:i], a.Layers[i+1:]...)
					return
				}
			}
		}, []int{16, 16}, "same resolution"},
		{"input", func(a *Arch) { a.Input.Channels = -1 }, nil, "input.channels"},
		{"pad", func(a *Arch) { a.Pad = "mirror" }, nil, `pad "mirror"`},
		{"dims", func(a *Arch) { a.Dims = 3 }, nil, "dims is 3"},
		{"reflect", nil, []int{4, 4}, "reflect padding"},
		{"bn1x1", nil, []int{4, 4}, "1-pixel grid"},
	}
	for _, c := range cases {
		a := base
		a.Layers = append([]Layer(nil), base.Layers...)
		if c.edit != nil {
			c.edit(&a)
		}
		if c.name == "bn1x1" {
			a, _ = Parse("dip-skip:scales=2,pad=circular")
		}
		if c.name == "reflect" {
			a, _ = Parse("dip-skip:scales=2,k=5")
			c.size = []int{8, 8}
		}
		err := a.Validate(c.size)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"dip-skip:scales=x":          "scales=x is not valid",
		"dip-skip:colour=red":        `has no key "colour"`,
		"dip-skip:up=cubic":          "up=cubic is not valid; use one of bilinear, nearest",
		"dip-skip:scales":            "is not key=value",
		"dip-skip:scales=2,scales=3": "given twice",
		"no-such-thing":              "neither a preset",
		"encdec:skip=4":              `has no key "skip"`,
	}
	for spec, want := range cases {
		_, err := Parse(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", spec, err, want)
		}
	}
	dir := t.TempDir()
	bad := map[string]string{
		"unknown.yaml":  "dims: 2\ncolour: red\n",
		"twokinds.yaml": "dims: 1\ninput: {channels: 1, dist: gaussian, std: 1}\ninit: {scheme: normal, sw: 1}\nparam: standard\npad: circular\nlayers:\n  - {conv: {out: 1, k: 3, stride: 1}, act: {fn: relu}}\n",
		"badjson.json":  `{"dims": 1, "layers": [{"conv": {"out": 1, "k": 3, "stride": 1, "bogus": 1}}]}`,
	}
	want := map[string]string{"unknown.yaml": "colour", "twokinds.yaml": "exactly one", "badjson.json": "bogus"}
	for name, text := range bad {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		_, err := Parse(p)
		if err == nil || !strings.Contains(err.Error(), want[name]) {
			t.Errorf("%s: error %v, want %q", name, err, want[name])
		}
	}
}

func TestInputSizeAndFilter(t *testing.T) {
	d, _ := Parse("deep-decoder:scales=3")
	in, err := d.InputSize([]int{64, 64})
	if err != nil || in[0] != 8 {
		t.Errorf("deep decoder input size %v %v", in, err)
	}
	if err := d.Validate([]int{60, 64}); err == nil || !strings.Contains(err.Error(), "up-samples") {
		t.Errorf("deep decoder size error: %v", err)
	}
	g := Input{Smooth: 2}.SmoothFilter()
	var ss, s float64
	for _, v := range g {
		ss += v * v
		s += v
	}
	if len(g) != 17 || math.Abs(ss-1) > 1e-12 {
		t.Errorf("filter taps %d, sum of squares %v", len(g), ss)
	}
	// The autocorrelation of the filter at offset d approximates exp(-d^2/(4 sigma^2)).
	r := func(d int) float64 {
		var v float64
		for i := 0; i+d < len(g); i++ {
			v += g[i] * g[i+d]
		}
		return v
	}
	for _, dd := range []int{1, 2, 4} {
		if want := math.Exp(-float64(dd*dd) / 16); math.Abs(r(dd)-want) > 1e-3 {
			t.Errorf("autocorrelation at %d: %v, want about %v", dd, r(dd), want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("dip-skip:scales=2")
	f.Add("conv-stack:dims=1,depth=0")
	f.Add("deep-decoder:channels=-1")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "/.\\") {
			return // only presets, never files
		}
		a, err := ParsePreset(s)
		if err != nil {
			return
		}
		_ = a.Validate(nil)
		if _, err := a.YAML(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	a, _ := Parse("dip-skip:scales=1")
	y, _ := a.YAML()
	f.Add(y)
	f.Add([]byte(`{"dims": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Decode(data)
		if err != nil {
			return
		}
		if err := a.Validate(nil); err != nil {
			t.Fatalf("Decode accepted an invalid architecture: %v", err)
		}
	})
}

func TestUptoAndOutputSize(t *testing.T) {
	a, _ := Parse("dip-skip:scales=3")
	b, err := a.Upto("level2")
	if err != nil {
		t.Fatal(err)
	}
	// level2 is the input of the third level: the grid was halved twice.
	if got := b.OutputSize([]int{64, 64}); got[0] != 16 || b.OutChannels() != 128 {
		t.Errorf("level2: size %v channels %d", got, b.OutChannels())
	}
	if _, err := a.Upto("level0"); err == nil {
		t.Error("level0 is the input and should be refused")
	}
	if _, err := a.Upto("nope"); err == nil || !strings.Contains(err.Error(), "level1") {
		t.Errorf("error %v should list the names", err)
	}
	d, _ := Parse("deep-decoder:scales=2")
	if got := d.OutputSize([]int{8}); got[0] != 32 {
		t.Errorf("deep decoder output %v", got)
	}
}

func TestWithPresetKey(t *testing.T) {
	a, _ := Parse("dip-skip:channels=16,scales=2")
	b, err := WithPresetKey(a, "channels", "64")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "dip-skip:scales=2,channels=64" || b.Layers[1].(Conv).Out != 64 {
		t.Errorf("got %s with %+v", b.Name, b.Layers[1])
	}
	if _, err := WithPresetKey(Arch{Name: "my.yaml"}, "channels", "8"); err == nil {
		t.Error("a file architecture accepted a preset key")
	}
}
