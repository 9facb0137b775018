package kernel

import (
	"context"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestCoordsRefused checks that a coordinate input is refused with one
// error naming the field and the fix, by Compute, ComputeReport and Memory.
func TestCoordsRefused(t *testing.T) {
	a, err := arch.Parse("relunet:depth=3,width=8")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{8, 8}
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error for a coordinate input", what)
		}
		for _, w := range []string{"input.dist is coords", "not stationary", "input=uniform"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", what, err, w)
			}
		}
	}
	_, _, err = Compute(context.Background(), a, size, Options{NTK: true})
	check("Compute", err)
	_, _, _, err = ComputeReport(context.Background(), a, size, Options{})
	check("ComputeReport", err)
	_, err = Memory(a, size, Options{})
	check("Memory", err)
	b, err := arch.Parse("relunet:depth=3,width=8,input=gaussian,in_scale=1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Compute(context.Background(), b, size, Options{}); err != nil {
		t.Errorf("the same network on noise: %v", err)
	}
}
