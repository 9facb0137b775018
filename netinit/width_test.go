package netinit

import (
	"testing"

	"github.com/dipgp/dipgp/arch"
)

func TestWidth(t *testing.T) {
	for spec, want := range map[string]int{
		"dip-skip:scales=2,channels=16,skip=32": 32, // the skip branch's 1x1 conv is the widest
		"dip-skip:scales=2,channels=16,skip=4":  16,
		"conv-stack:dims=1,depth=2,channels=7":  7,
	} {
		a, err := arch.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		if w := Width(a); w != want {
			t.Errorf("%s: width %d, want %d", spec, w, want)
		}
	}
	if w := Width(arch.Arch{Dims: 3}); w != 0 {
		t.Errorf("invalid architecture: width %d, want 0", w)
	}
}
