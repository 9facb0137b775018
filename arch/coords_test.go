package arch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestCoordsInput(t *testing.T) {
	for _, spec := range []string{"relunet", "relunet:depth=3,width=16,dims=1,out_channels=1", "dip-skip:input=coords,scales=2",
		"conv-stack:input=coords,depth=2", "relunet:input=uniform,in_channels=4"} {
		a, err := Parse(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if strings.Contains(spec, "coords") || (strings.HasPrefix(spec, "relunet") && !strings.Contains(spec, "uniform")) {
			if a.Input.Dist != Coords || a.Input.Channels != a.Dims {
				t.Errorf("%s: input %+v, want coords with %d channels", spec, a.Input, a.Dims)
			}
		}
		y, err := a.YAML()
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode(y)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%s: YAML round trip: %v\n%s", spec, err, y)
		}
		j, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Decode(j)
		if err != nil || !reflect.DeepEqual(a, c) {
			t.Errorf("%s: JSON round trip: %v\n%s", spec, err, j)
		}
	}
	for _, c := range []struct{ i, n int }{{0, 5}, {4, 5}, {2, 5}, {0, 1}} {
		want := 0.0
		if c.n > 1 {
			want = float64(c.i) / float64(c.n-1)
		}
		if got := Coordinate(c.i, c.n); got != want {
			t.Errorf("Coordinate(%d, %d) = %g, want %g", c.i, c.n, got, want)
		}
	}
}

func TestReLUNetLayers(t *testing.T) {
	a, err := Parse("relunet:depth=4,width=8,out_channels=1")
	if err != nil {
		t.Fatal(err)
	}
	// relunet.py: d linear layers, ReLU after the first d-1, sigmoid last.
	var kinds []string
	for _, l := range a.Layers {
		k := l.Kind()
		if c, ok := l.(Conv); ok {
			if c.K != 1 || !c.Bias {
				t.Errorf("conv %+v: want 1x1 with bias", c)
			}
			k += fmt.Sprintf("/%d", c.Out)
		}
		if f, ok := l.(Act); ok {
			k += "/" + string(f.Fn)
		}
		kinds = append(kinds, k)
	}
	want := "conv/8,act/relu,conv/8,act/relu,conv/8,act/relu,conv/1,act/sigmoid"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
}

func TestCoordsErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"relunet:depth=1", "depth=1 is not valid"},
		{"dip-skip:input=coords,sigma=2", "not smoothed"},
	} {
		if _, err := Parse(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.spec, err, c.want)
		}
	}
	a, _ := Parse("relunet")
	a.Input.Channels = 3
	if err := a.Validate(nil); err == nil || !strings.Contains(err.Error(), "set input.channels to 2") {
		t.Errorf("3 coordinate channels in 2-D: %v", err)
	}
	a.Input.Channels, a.Input.High = 2, 1
	if err := a.Validate(nil); err == nil || !strings.Contains(err.Error(), "takes no low, high") {
		t.Errorf("coords with high: %v", err)
	}
}
