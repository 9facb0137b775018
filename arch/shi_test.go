package arch

import (
	"math"
	"testing"
)

func TestShiPresets(t *testing.T) {
	a, err := ParsePreset("dip-skip:scales=2,channels=8,lipschitz=1.5,up_sigma=0.3,mean_bn=true")
	if err != nil {
		t.Fatal(err)
	}
	var lips, gauss, means int
	var walk func([]Layer)
	walk = func(ls []Layer) {
		for _, l := range ls {
			switch l := l.(type) {
			case Conv:
				if l.Lipschitz == 1.5 {
					lips++
				}
			case Upsample:
				if l.Mode == GaussianUp && l.Sigma == 0.3 {
					gauss++
				}
			case BatchNorm:
				if l.MeanOnly {
					means++
				}
			case Concat:
				walk(l.Branch)
			}
		}
	}
	walk(a.Layers)
	if gauss != 2 || lips == 0 || means == 0 {
		t.Errorf("dip-skip with controls: %d gaussian up-samplings (want 2), %d Lipschitz convs, %d mean-only bns", gauss, lips, means)
	}
	d, err := ParsePreset("shi-decoder:up=gaussian,up_sigma=0.1/0.1/0.1/0.5/0.5")
	if err != nil {
		t.Fatal(err)
	}
	var sig []float64
	for _, l := range d.Layers {
		if u, ok := l.(Upsample); ok {
			sig = append(sig, u.Sigma)
		}
	}
	if len(sig) != 5 || sig[0] != 0.1 || sig[4] != 0.5 {
		t.Errorf("shi-decoder widths %v, want 0.1 0.1 0.1 0.5 0.5", sig)
	}
	for _, bad := range []string{"dip-skip:up=gaussian", "dip-skip:lipschitz=-1", "shi-decoder:up_sigma=0.1/0.2", "dip-skip:up_sigma=-0.5"} {
		if _, err := ParsePreset(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// The Gaussian taps are Shi et al.'s get_kernel(5, sigma) marginal: the 2-D
// kernel exp(-((i/2)^2+(j/2)^2)/(2 sigma^2)) normalized to unit sum.
func TestGaussTaps(t *testing.T) {
	for _, s := range []float64{0.1, 0.5, 2} {
		g := GaussTaps(s)
		var k [5][5]float64
		var sum float64
		for i := 0; i < 5; i++ {
			for j := 0; j < 5; j++ {
				di, dj := float64(i-2)/2, float64(j-2)/2
				k[i][j] = math.Exp(-(di*di+dj*dj)/(2*s*s)) / (2 * math.Pi * s * s)
				sum += k[i][j]
			}
		}
		for i := 0; i < 5; i++ {
			for j := 0; j < 5; j++ {
				if d := math.Abs(g[i]*g[j] - k[i][j]/sum); d > 1e-14 {
					t.Errorf("sigma %g: g[%d] g[%d] = %g, kernel %g", s, i, j, g[i]*g[j], k[i][j]/sum)
				}
			}
		}
	}
}
