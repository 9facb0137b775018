package nn

import (
	"fmt"
	"math"
)

// SGD is stochastic gradient descent as torch.optim.SGD defines it (with
// maximize=False): for every parameter, with g = grad + WeightDecay*p,
//
//	buf = g (first step), buf = Momentum*buf + (1-Dampening)*g (later)
//	d = g + Momentum*buf (Nesterov) or buf (Momentum != 0) or g
//	p = p - LR*d
type SGD struct {
	// LR is the learning rate.
	LR float64
	// Momentum, Dampening, WeightDecay and Nesterov as in PyTorch.
	Momentum, Dampening, WeightDecay float64
	Nesterov                         bool

	params []*Param
	bufs   [][]float32
	steps  int
}

// NewSGD returns an SGD optimizer of the given parameters with learning
// rate lr and no momentum or weight decay; set the fields for more.
func NewSGD(params []*Param, lr float64) *SGD {
	return &SGD{LR: lr, params: params}
}

// Step updates the parameters from their gradients. It returns an error,
// and changes nothing, when a setting is invalid or a gradient is not
// finite.
func (o *SGD) Step() error {
	if !(o.LR >= 0) || math.IsInf(o.LR, 0) || o.Momentum < 0 || o.WeightDecay < 0 {
		return fmt.Errorf("nn: SGD: lr %g, momentum %g and weight decay %g must be finite and >= 0", o.LR, o.Momentum, o.WeightDecay)
	}
	if o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0) {
		return fmt.Errorf("nn: SGD: Nesterov momentum needs momentum > 0 and dampening 0, as in PyTorch")
	}
	if err := checkGrads(o.params); err != nil {
		return err
	}
	first := o.bufs == nil // PyTorch: the buffer starts as the first gradient
	if o.Momentum != 0 && o.bufs == nil {
		o.bufs = make([][]float32, len(o.params))
		for i, p := range o.params {
			o.bufs[i] = make([]float32, len(p.Data))
		}
	}
	lr, mom, damp, wd := float32(o.LR), float32(o.Momentum), float32(1-o.Dampening), float32(o.WeightDecay)
	for i, p := range o.params {
		var buf []float32
		if o.bufs != nil {
			buf = o.bufs[i]
		}
		data, grad := p.Data, p.Grad
		parallelFor(len(data), 4, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				g := grad[j]
				if wd != 0 {
					g += wd * data[j]
				}
				if buf != nil {
					if first {
						buf[j] = g
					} else {
						buf[j] = mom*buf[j] + damp*g
					}
					if o.Nesterov {
						g += mom * buf[j]
					} else {
						g = buf[j]
					}
				}
				data[j] -= lr * g
			}
		})
	}
	o.steps++
	return nil
}

// Adam is torch.optim.Adam (amsgrad=False, maximize=False): for every
// parameter, with g = grad + WeightDecay*p and step t = 1, 2, ...,
//
//	m = Beta1*m + (1-Beta1)*g,  v = Beta2*v + (1-Beta2)*g*g
//	p = p - LR/(1-Beta1^t) * m / (sqrt(v)/sqrt(1-Beta2^t) + Eps)
type Adam struct {
	// LR is the learning rate (PyTorch default 1e-3).
	LR float64
	// Beta1, Beta2 are the moment decay rates (0.9, 0.999).
	Beta1, Beta2 float64
	// Eps is added to the denominator (1e-8).
	Eps float64
	// WeightDecay adds WeightDecay*p to the gradient (0).
	WeightDecay float64

	params []*Param
	m, v   [][]float32
	steps  int
}

// NewAdam returns an Adam optimizer of the given parameters with PyTorch's
// defaults (betas 0.9, 0.999, eps 1e-8, no weight decay) and learning rate
// lr.
func NewAdam(params []*Param, lr float64) *Adam {
	o := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, params: params}
	o.m = make([][]float32, len(params))
	o.v = make([][]float32, len(params))
	for i, p := range params {
		o.m[i] = make([]float32, len(p.Data))
		o.v[i] = make([]float32, len(p.Data))
	}
	return o
}

// Steps returns the number of steps taken.
func (o *Adam) Steps() int { return o.steps }

// Step updates the parameters from their gradients. It returns an error,
// and changes nothing, when a setting is invalid or a gradient is not
// finite.
func (o *Adam) Step() error {
	if !(o.LR >= 0) || math.IsInf(o.LR, 0) || !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) || !(o.Eps >= 0) || !(o.WeightDecay >= 0) {
		return fmt.Errorf("nn: Adam: lr %g, betas (%g, %g), eps %g, weight decay %g: need lr, eps, weight decay >= 0 and betas in [0, 1)", o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay)
	}
	if err := checkGrads(o.params); err != nil {
		return err
	}
	o.steps++
	t := float64(o.steps)
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := 1 - math.Pow(o.Beta2, t)
	c := [8]float32{float32(o.WeightDecay), float32(o.Beta1), float32(1 - o.Beta1), float32(o.Beta2), float32(1 - o.Beta2),
		float32(math.Sqrt(bc2)), float32(o.Eps), float32(o.LR / bc1)}
	for i, p := range o.params {
		m, v, data, grad := o.m[i], o.v[i], p.Data, p.Grad
		parallelFor(len(data), 8, func(lo, hi int) {
			adamUpdate(data[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi], &c)
		})
	}
	return nil
}

func checkGrads(ps []*Param) error {
	for _, p := range ps {
		if finite(p.Grad) {
			continue
		}
		for _, g := range p.Grad {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				return fmt.Errorf("nn: the gradient of %s holds %v; the loss diverged (lower the learning rate) or the input is not finite", p.Name, g)
			}
		}
	}
	return nil
}
