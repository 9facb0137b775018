package netinit

import (
	"testing"
	"github.com/dipgp/dipgp/arch"
)

func TestZZProbe(t *testing.T) {
	a, err := arch.Parse("dip-skip:scales=3,channels=128,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1,input=gaussian,in_scale=1,out_act=identity")
	if err != nil { t.Fatal(err) }
	_, err = Sample(t.Context(), a, []int{64, 64}, Options{Samples: 10, Workers: 1, Seed: 1})
	if err != nil { t.Fatal(err) }
}
