package imageio

import (
	"math"
	"testing"
)

// TestPSNRFamily checks each member against a hand computation.
func TestPSNRFamily(t *testing.T) {
	// Two channels of a 2x1 image; a has values outside [0, 1].
	a := Image{W: 2, H: 1, C: 2, Pix: []float64{0.5, 1.2, -0.1, 0.3}}
	b := Image{W: 2, H: 1, C: 2, Pix: []float64{0.4, 1, 0, 0.2}}
	db := func(sse float64, n int) float64 { return 10 * math.Log10(float64(n)/sse) }
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	p, err := PSNR(a, b)
	if err != nil {
		t.Fatal(err)
	}
	near("PSNR", p, db(0.01+0.04+0.01+0.01, 4))
	c, err := ClippedPSNR(a, b)
	if err != nil {
		t.Fatal(err)
	}
	near("ClippedPSNR", c, db(0.01+0+0+0.01, 4)) // 1.2 -> 1, -0.1 -> 0
	near("PSNRValues clipped", PSNRValues(a.Pix, b.Pix, true), c)
	near("PSNRValues", PSNRValues(a.Pix, b.Pix, false), p)
	// Pixel 1 of each channel: (1.2 - 1)^2 and (0.3 - 0.2)^2.
	m, err := MaskedPSNR(a, b, []bool{true, false}, false)
	if err != nil {
		t.Fatal(err)
	}
	near("MaskedPSNR", m, db(0.04+0.01, 2))
	if m, _ := MaskedPSNR(a, b, []bool{true, true}, false); !math.IsNaN(m) {
		t.Errorf("no pixel selected: %v, want NaN", m)
	}
	if _, err := MaskedPSNR(a, b, []bool{true}, false); err == nil {
		t.Error("short mask: no error")
	}
	if _, err := ClippedPSNR(a, Image{W: 1, H: 1, C: 1, Pix: []float64{0}}); err == nil {
		t.Error("size mismatch: no error")
	}
}
