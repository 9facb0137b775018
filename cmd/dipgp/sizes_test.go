package main

import (
	"errors"
	"regexp"
	"strconv"
	"testing"

	"github.com/dipgp/dipgp/arch"
)

// TestSuggestedSizesPass checks that every size an error suggests passes
// the architecture's checks (--size 60 used to suggest 32, which fails on
// batch norm over a 1-pixel grid).
func TestSuggestedSizesPass(t *testing.T) {
	for _, spec := range []string{"dip-skip", "dip-skip:scales=3", "dip-skip:scales=2,bn=false"} {
		a, err := arch.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		msg := sizeError(a, []int{60, 60}, errors.New("x")).Error()
		m := regexp.MustCompile(`(\d+)x(\d+)`).FindAllStringSubmatch(msg, -1)
		if len(m) == 0 {
			t.Fatalf("%s: no suggestion in %q", spec, msg)
		}
		for _, s := range m {
			h, _ := strconv.Atoi(s[1])
			w, _ := strconv.Atoi(s[2])
			if err := a.Validate([]int{h, w}); err != nil {
				t.Errorf("%s: suggested %dx%d fails: %v", spec, h, w, err)
			}
		}
		// Crops of odd shapes either pass or are not offered.
		for _, hw := range [][2]int{{64, 32}, {100, 70}, {33, 300}} {
			if h, w, ok := largestCrop(a, hw[0], hw[1]); ok {
				if err := a.Validate([]int{h, w}); err != nil || h > hw[0] || w > hw[1] {
					t.Errorf("%s: crop of %v to %dx%d: %v", spec, hw, h, w, err)
				}
			} else if a.Validate([]int{a.Divisor() * 2, a.Divisor() * 2}) == nil && hw[0] >= 2*a.Divisor() && hw[1] >= 2*a.Divisor() {
				t.Errorf("%s: no crop of %v offered", spec, hw)
			}
		}
	}
}
