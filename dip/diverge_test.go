package dip

import (
	"math"
	"testing"
)

func TestCheckDiverged(t *testing.T) {
	for _, c := range []struct {
		loss, loss0 float64
		bad         bool
	}{
		{0.1, 0.1, false}, {50, 0.1, false}, {101, 0.1, true}, {math.NaN(), 0.1, true}, {math.Inf(1), 0.1, true}, {1e-9, 0, false},
	} {
		if err := checkDiverged(5, c.loss, c.loss0, 0.1); (err != nil) != c.bad {
			t.Errorf("loss %g from %g: %v", c.loss, c.loss0, err)
		}
	}
}
