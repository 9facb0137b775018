package plotting_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/internal/plotting"
)

func Example() {
	dir, err := os.MkdirTemp("", "plotting-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var f, s, lo, hi []float64
	for i := 1; i <= 32; i++ {
		x := float64(i) / 64
		f = append(f, x)
		s = append(s, math.Exp(-10*x))
		lo = append(lo, 0.9*math.Exp(-10*x))
		hi = append(hi, 1.1*math.Exp(-10*x))
	}
	p, err := plotting.Lines("Kernel spectrum", "frequency (cycles/pixel)", "eigenvalue",
		[]plotting.Series{{Name: "NTK", X: f, Y: s, Lo: lo, Hi: hi}},
		plotting.Options{LogY: true})
	if err != nil {
		log.Fatal(err)
	}
	base := filepath.Join(dir, "spectrum")
	if err := plotting.Save(p, base, 6*vg.Inch, 4*vg.Inch); err != nil {
		log.Fatal(err)
	}
	for _, ext := range []string{".png", ".svg"} {
		_, err := os.Stat(base + ext)
		fmt.Println(ext, err == nil)
	}
	// Output:
	// .png true
	// .svg true
}
