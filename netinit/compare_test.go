package netinit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/kernel"
)

// TestCompareExcessAndVerdict builds empirical maps as truth + known bias
// + Gaussian noise of known standard error and checks what Compare reads
// from them.
func TestCompareExcessAndVerdict(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	truth, _ := kernel.NewMap(1, []int{64, 64})
	for i := range truth.Data {
		truth.Data[i] = 0.1
	}
	truth.Data[0] = 1
	se := truth.Clone()
	for i := range se.Data {
		se.Data[i] = 0.01
	}
	for _, bias := range []float64{0, 0.05} {
		emp := truth.Clone()
		for i := range emp.Data {
			emp.Data[i] += bias + 0.01*rng.NormFloat64()
		}
		c, err := Compare(truth, emp, se)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(c.ExcessRMS-bias) > 0.004 {
			t.Errorf("bias %v: excess RMS %v", bias, c.ExcessRMS)
		}
		if math.Abs(c.BiasRelError-bias) > 0.001 {
			t.Errorf("bias %v: mean bias %v", bias, c.BiasRelError)
		}
		if c.Consistent != (bias == 0) {
			t.Errorf("bias %v: consistent = %v (%s)", bias, c.Consistent, c.Verdict)
		}
		if bias == 0 && math.Abs(c.Within2-0.954) > 0.02 {
			t.Errorf("unbiased: %.3f within 2 SE, want about 0.954", c.Within2)
		}
	}
}
