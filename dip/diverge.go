package dip

import (
	"fmt"
	"math"
)

// DivergeFactor is the growth of the loss over its first value at which
// training is stopped as diverged.
const DivergeFactor = 1e3

// checkDiverged returns an error when the loss at iteration t is not
// finite or has grown to DivergeFactor times loss0, the first loss of the
// run: gradient descent beyond its stability limit grows geometrically,
// and continuing only produces noise (and NaN statistics).
func checkDiverged(t int, loss, loss0, lr float64) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("dip: training diverged at iteration %d: the loss is %v; lower the learning rate (now %g)", t, loss, lr)
	}
	if loss0 > 0 && loss > DivergeFactor*loss0 {
		return fmt.Errorf("dip: training diverged at iteration %d: the loss grew from %.3g to %.3g (over %gx); lower the learning rate (now %g)", t, loss0, loss, DivergeFactor, lr)
	}
	return nil
}
