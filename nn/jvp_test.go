package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"gorgonia.org/tensor"
)

// TestJVPFiniteDifferences checks J v on every layer kind (the cases of
// TestGradFiniteDifferences) against central finite differences
// (f(theta + h v) - f(theta - h v)) / 2h of float32 passes evaluated in
// float64, and against the adjoint identity <r, J v> = <J^T r, v> with
// J^T r from Backward run right after the JVP.
func TestJVPFiniteDifferences(t *testing.T) {
	for ci, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) { checkJVP(t, c, uint64(ci)) })
	}
}

func checkJVP(t *testing.T, c gradCase, seed uint64) {
	n, err := Build(c.a, c.size, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, p := range n.Params() {
		for i := range p.Data {
			switch {
			case c.bnAway && p.Kind == BNWeight:
				p.Data[i] = float32(0.1 + 0.05*rng.Float64())
			case c.bnAway && p.Kind == BNBias:
				p.Data[i] = float32(2*(i%2) - 1)
			case p.Kind == BNWeight || p.Kind == BNBias:
				p.Data[i] = float32(rng.NormFloat64()) + float32(p.Kind-BNBias)
			}
		}
	}
	xs := n.InputShape(c.batch)
	xd := make([]float32, prod(xs))
	for i := range xd {
		v := rng.NormFloat64()
		if math.Abs(v) < c.away {
			v = math.Copysign(c.away, v)
		}
		xd[i] = float32(v)
	}
	x := tensor.New(tensor.WithShape(xs...), tensor.WithBacking(xd))
	v := make([][]float32, len(n.Params()))
	for i, p := range n.Params() {
		v[i] = make([]float32, len(p.Data))
		for j := range v[i] {
			v[i][j] = float32(rng.NormFloat64())
		}
		if c.bnAway && (p.Kind == BNWeight || p.Kind == BNBias) {
			// Keep the fused activation's pre-activation off its kink.
			for j := range v[i] {
				v[i][j] *= 0.01
			}
		}
	}
	y0, jvT, err := n.JVP(x, v)
	if err != nil {
		t.Fatal(err)
	}
	jv := append([]float32(nil), jvT.Data().([]float32)...)
	y0c := append([]float32(nil), y0.Data().([]float32)...)
	want, err := n.Infer(x)
	if err != nil {
		t.Fatal(err)
	}
	// The JVP's primal output is the forward pass's.
	if !bitEqual(y0c, want.Data().([]float32)) {
		t.Errorf("JVP's output differs from Infer's")
	}
	// Finite differences along v.
	const h = 1e-3
	shift := func(s float32) []float64 {
		for i, p := range n.Params() {
			for j := range p.Data {
				p.Data[j] += s * v[i][j]
			}
		}
		y, err := n.Infer(x)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, len(jv))
		for j, q := range y.Data().([]float32) {
			out[j] = float64(q)
		}
		for i, p := range n.Params() {
			for j := range p.Data {
				p.Data[j] -= s * v[i][j]
			}
		}
		return out
	}
	saved := make([][]float32, len(n.Params()))
	for i, p := range n.Params() {
		saved[i] = append([]float32(nil), p.Data...)
	}
	yp := shift(h)
	for i, p := range n.Params() {
		copy(p.Data, saved[i])
	}
	ym := shift(-h)
	for i, p := range n.Params() {
		copy(p.Data, saved[i])
	}
	var num, den float64
	for j := range jv {
		fd := (yp[j] - ym[j]) / (2 * h)
		d := fd - float64(jv[j])
		num += d * d
		den += fd * fd
	}
	if math.Sqrt(num) > 2e-3*math.Sqrt(den)+1e-3*math.Sqrt(float64(len(jv))) {
		t.Errorf("|Jv - finite difference| = %.3g, |finite difference| = %.3g", math.Sqrt(num), math.Sqrt(den))
	}
	// Adjoint: Backward right after a JVP gives J^T r at the same point.
	if _, _, err := n.JVP(x, v); err != nil {
		t.Fatal(err)
	}
	r := make([]float32, len(jv))
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	n.ZeroGrad()
	if err := n.Backward(tensor.New(tensor.WithShape(n.OutputShape(c.batch)...), tensor.WithBacking(r))); err != nil {
		t.Fatal(err)
	}
	lhs := dot64(r, jv)
	var rhs, scale float64
	for i, p := range n.Params() {
		rhs += dot64(p.Grad, v[i])
		for j, g := range p.Grad {
			scale += math.Abs(float64(g) * float64(v[i][j]))
		}
	}
	if math.Abs(lhs-rhs) > 1e-4*scale+1e-5 {
		t.Errorf("<r, Jv> = %.8g but <J^T r, v> = %.8g", lhs, rhs)
	}
}

// TestJVPLinearInParams checks a network affine in its parameters (one
// convolution, then parameter-free linear layers): f(theta0 + v) = f(theta0)
// + J v exactly up to float32 rounding.
func TestJVPLinearInParams(t *testing.T) {
	a := simpleArch(2, arch.Circular, arch.NTK, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true},
		arch.Upsample{Mode: arch.Bilinear}, arch.Pool{Op: arch.Avg})
	n, err := Build(a, []int{6, 4}, 3)
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewInput(a, []int{6, 4}, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([][]float32, len(n.Params()))
	for i, p := range n.Params() {
		v[i] = make([]float32, len(p.Data))
		for j := range v[i] {
			v[i][j] = float32(rng.NormFloat64())
		}
	}
	y0, jv, err := n.JVP(x, v)
	if err != nil {
		t.Fatal(err)
	}
	lin := append([]float32(nil), y0.Data().([]float32)...)
	for j, d := range jv.Data().([]float32) {
		lin[j] += d
	}
	for i, p := range n.Params() {
		for j := range p.Data {
			p.Data[j] += v[i][j]
		}
	}
	y1, err := n.Infer(x)
	if err != nil {
		t.Fatal(err)
	}
	for j, q := range y1.Data().([]float32) {
		if math.Abs(float64(q-lin[j])) > 1e-5*(1+math.Abs(float64(q))) {
			t.Fatalf("output %d: f(theta0+v) = %v, f(theta0) + Jv = %v", j, q, lin[j])
		}
	}
}

func TestJVPErrors(t *testing.T) {
	a := simpleArch(2, arch.Circular, arch.NTK, arch.Conv{Out: 2, K: 3, Stride: 1, Bias: true})
	n, err := Build(a, []int{4, 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := NewInput(a, []int{4, 4}, 1, 1)
	if _, _, err := n.JVP(x, make([][]float32, 1)); err == nil {
		t.Error("JVP accepted one tangent for two parameter tensors")
	}
	if _, _, err := n.JVP(x, [][]float32{make([]float32, 3), nil}); err == nil {
		t.Error("JVP accepted a tangent of the wrong length")
	}
}
