package dip

import (
	"math"
	"testing"

	"github.com/dipgp/dipgp/internal/imageio"
)

// Reference values from a NumPy transcription of Shi et al.'s
// PerceptualBlurMetric and MLVSharpnessMeasure (scipy's convolve2d 'same'
// written out as a full convolution and a crop) on the image
// clip(0.5 + 0.3 sin(0.7 x + 0.3 y) + 0.2 cos(0.05 x y), 0, 1).
func TestShiBlurSharpness(t *testing.T) {
	cases := []struct {
		h, w        int
		blur, sharp float64
	}{
		{40, 52, 0.2524772717990533, 0.13798810837240552},
		{24, 24, 0.4067864255373252, 0.1390740748546989},
	}
	for _, c := range cases {
		img := imageio.New(c.w, c.h, 1)
		for y := 0; y < c.h; y++ {
			for x := 0; x < c.w; x++ {
				fx, fy := float64(x), float64(y)
				img.Pix[y*c.w+x] = min(max(0.5+0.3*math.Sin(0.7*fx+0.3*fy)+0.2*math.Cos(0.05*fx*fy), 0), 1)
			}
		}
		b, err := ShiBlur(img)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ShiSharpness(img)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(b-c.blur) > 1e-12 || math.Abs(s-c.sharp) > 1e-12 {
			t.Errorf("%dx%d: blur %.16g sharpness %.16g, reference %.16g %.16g", c.h, c.w, b, s, c.blur, c.sharp)
		}
	}
	if _, err := ShiBlur(imageio.New(8, 8, 1)); err == nil {
		t.Error("8x8 blur: no error")
	}
}

// The rule fires at the first i > 2n where the window means agree: a ratio
// that decays as exp(-t/50) settles when 50 (e^{-(i-2n)/50} - ...) < eps.
func TestShiStopRule(t *testing.T) {
	f := func(t int) float64 { return 3 * math.Exp(-float64(t)/50) }
	var s ShiStop
	stop := -1
	for i := 0; i < 5000 && stop < 0; i++ {
		if s.Add(i, f(i)) {
			stop = i
		}
	}
	// Direct evaluation of the rule's two means.
	want := -1
	for i := 201; i < 5000 && want < 0; i++ {
		var r1, r2 float64
		for j := i - 200; j < i-100; j++ {
			r1 += f(j) / 100
		}
		for j := i - 99; j < i; j++ {
			r2 += f(j) / 99
		}
		if math.Abs(r1-r2) < 0.01 {
			want = i
		}
	}
	if stop != want || stop < 0 {
		t.Errorf("stopped at %d, direct evaluation %d", stop, want)
	}
}
