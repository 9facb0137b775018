package nn

import (
	"math"
	"testing"
)

func quadParams(vals ...float32) []*Param {
	p := newParam("p", ConvWeight, []int{len(vals)})
	copy(p.Data, vals)
	return []*Param{p}
}

// TestSGDQuadratic: on L = |p|^2/2 (grad = p) plain SGD gives
// p_k = (1-lr)^k p_0, and heavy-ball momentum m (dampening 0) follows
// the closed form of the linear recurrence.
func TestSGDQuadratic(t *testing.T) {
	ps := quadParams(1, -2, 0.5)
	o := NewSGD(ps, 0.1)
	for k := 1; k <= 10; k++ {
		copy(ps[0].Grad, ps[0].Data)
		if err := o.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for i, p0 := range []float64{1, -2, 0.5} {
		want := p0 * math.Pow(0.9, 10)
		if math.Abs(float64(ps[0].Data[i])-want) > 1e-6 {
			t.Errorf("plain SGD p[%d] = %g, want %g", i, ps[0].Data[i], want)
		}
	}
	// Momentum: x_{k+1} = x_k - lr*v_{k+1}, v_{k+1} = m v_k + x_k (v_1 = x_0),
	// i.e. x_{k+1} = (1 + m - lr) x_k - m x_{k-1}, with x_1 = (1-lr) x_0.
	// Its solution is A r1^k + B r2^k with r1,2 the roots of
	// r^2 - (1+m-lr) r + m = 0.
	lr, m := 0.1, 0.2
	ps = quadParams(1)
	o = NewSGD(ps, lr)
	o.Momentum = m
	disc := (1+m-lr)*(1+m-lr) - 4*m
	if disc <= 0 {
		t.Fatal("test needs real roots")
	}
	r1 := ((1 + m - lr) + math.Sqrt(disc)) / 2
	r2 := ((1 + m - lr) - math.Sqrt(disc)) / 2
	// x_0 = 1 = A + B, x_1 = 1 - lr = A r1 + B r2.
	b := (r1 - (1 - lr)) / (r1 - r2)
	a := 1 - b
	for k := 1; k <= 20; k++ {
		copy(ps[0].Grad, ps[0].Data)
		if err := o.Step(); err != nil {
			t.Fatal(err)
		}
		want := a*math.Pow(r1, float64(k)) + b*math.Pow(r2, float64(k))
		if math.Abs(float64(ps[0].Data[0])-want) > 1e-6 {
			t.Fatalf("momentum step %d: %g, want %g", k, ps[0].Data[0], want)
		}
	}
	o.LR = -1
	if err := o.Step(); err == nil {
		t.Error("negative learning rate accepted")
	}
}

// TestAdamConstantGradient: with a constant gradient g the bias-corrected
// moments are exactly g and g^2, so every step moves p by
// lr*g/(|g|+eps).
func TestAdamConstantGradient(t *testing.T) {
	g := []float32{3, -0.002, 1e-3}
	ps := quadParams(0, 0, 0)
	o := NewAdam(ps, 0.01)
	for k := 1; k <= 50; k++ {
		copy(ps[0].Grad, g)
		if err := o.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for i, gi := range g {
		want := -50 * 0.01 * float64(gi) / (math.Abs(float64(gi)) + 1e-8)
		if math.Abs(float64(ps[0].Data[i])-want) > 1e-5 {
			t.Errorf("p[%d] = %g, want %g", i, ps[0].Data[i], want)
		}
	}
	ps[0].Grad[0] = float32(math.NaN())
	if err := o.Step(); err == nil {
		t.Error("NaN gradient accepted")
	}
}
