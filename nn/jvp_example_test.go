package nn_test

import (
	"fmt"
	"log"
	"math"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/nn"
)

// The Jacobian-vector product J v of a small DIP network, checked against
// the central difference (f(theta + h v) - f(theta - h v)) / 2h.
func ExampleNet_JVP() {
	a, err := arch.ParsePreset("dip-skip:scales=2,channels=4,skip=2,in_channels=4,act=tanh")
	if err != nil {
		log.Fatal(err)
	}
	size := []int{8, 8}
	net, err := nn.Build(a, size, 1)
	if err != nil {
		log.Fatal(err)
	}
	z, err := nn.NewInput(a, size, 1, 1)
	if err != nil {
		log.Fatal(err)
	}
	// The tangent v: the parameters' own values (a scaling of every
	// parameter tensor).
	params := net.Params()
	v := make([][]float32, len(params))
	for i, p := range params {
		v[i] = append([]float32(nil), p.Data...)
	}
	_, jv, err := net.JVP(z, v)
	if err != nil {
		log.Fatal(err)
	}
	jd := append([]float32(nil), jv.Data().([]float32)...)
	const h = 1e-2
	at := func(s float32) []float32 {
		for i, p := range params {
			for j := range p.Data {
				p.Data[j] = v[i][j] * (1 + s)
			}
		}
		y, err := net.Forward(z)
		if err != nil {
			log.Fatal(err)
		}
		return append([]float32(nil), y.Data().([]float32)...)
	}
	plus, minus := at(h), at(-h)
	var num, den float64
	for i, x := range jd {
		d := float64(plus[i]-minus[i]) / (2 * h)
		num += (float64(x) - d) * (float64(x) - d)
		den += d * d
	}
	fmt.Println("output shape", jv.Shape())
	fmt.Printf("|J v - central difference| / |J v| < 1e-3: %v\n", math.Sqrt(num/den) < 1e-3)
	// Output:
	// output shape (1, 3, 8, 8)
	// |J v - central difference| / |J v| < 1e-3: true
}
