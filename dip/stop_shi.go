package dip

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/dipgp/dipgp/internal/imageio"
)

// Shi et al.'s automatic stopping rule (code/denoising.py and
// code/utils/measure_utils.py of shizenglin/Measure-and-Control-Spectral-
// Bias): at every iteration the output's blurriness (Crete-Roffet's
// perceptual blur metric) is divided by its sharpness (the MLV sharpness
// measure), and training stops at the first iteration i > 2n at which the
// mean ratio over iterations [i-2n, i-n) and the mean over (i-n, i) differ
// by less than eps (their n = 100, eps = 0.01).

// ShiWindow and ShiEps are Shi et al.'s n and eps (ratio_iter and
// ratio_epsilon in code/denoising.py).
const (
	ShiWindow = 100
	ShiEps    = 0.01
)

// ErrShiStop is returned by ShiStop's observer when the rule fires: Train
// returns it with the results up to the stopping iteration.
var ErrShiStop = errors.New("dip: Shi et al.'s blur/sharpness rule stopped training")

// ErrShiSignal is returned by ShiBlur, ShiSharpness, ShiRatio and ShiStop's
// observer for a 1-D signal (height 1): Crete-Roffet's blur metric and the
// MLV sharpness measure Shi et al. combine are defined on 2-D images, and
// the paper gives no 1-D version, so none is made up here.
var ErrShiSignal = errors.New("dip: Shi et al.'s stopping rule watches the blur (Crete-Roffet) and sharpness (MLV) of a 2-D image, which a 1-D signal does not have; train the signal without the rule (--stop none)")

// gray returns the image in grey as rgb2gray does (0.2989 R + 0.5870 G +
// 0.1140 B, clipped to [0, 1]); a grey image is clipped only.
func gray(img imageio.Image) []float64 {
	n := img.W * img.H
	g := make([]float64, n)
	for i := range g {
		var v float64
		if img.C == 3 {
			v = 0.2989*img.Pix[3*i] + 0.5870*img.Pix[3*i+1] + 0.1140*img.Pix[3*i+2]
		} else {
			v = img.Pix[i]
		}
		g[i] = min(max(v, 0), 1)
	}
	return g
}

// ShiBlur returns Crete-Roffet's perceptual blur metric of the image as
// Shi et al. compute it (PerceptualBlurMetric, filter size 9): the image is
// blurred by a 9-tap box along each axis, and the blur is one minus the
// fraction of the absolute neighbour differences that the box blur removes,
// the larger of the two axes. It needs at least 12 x 12 pixels.
func ShiBlur(img imageio.Image) (float64, error) {
	const f = 9
	if img.H == 1 {
		return 0, ErrShiSignal
	}
	if img.W < 12 || img.H < 12 {
		return 0, fmt.Errorf("dip: the blur metric needs an image of at least 12x12 pixels, got %dx%d", img.W, img.H)
	}
	x := gray(img)
	H, W := img.H, img.W
	at := func(y, c int) float64 { return x[y*W+c] }
	// Box blurs (zero outside, centred) on the crop [5, H-4) x [5, W-4).
	box := func(y, c, dy, dx int) float64 {
		var s float64
		for t := -f / 2; t <= f/2; t++ {
			yy, cc := y+t*dy, c+t*dx
			if yy >= 0 && yy < H && cc >= 0 && cc < W {
				s += at(yy, cc)
			}
		}
		return s / f
	}
	y0, y1, c0, c1 := 5, H-4, 5, W-4
	h, w := y1-y0, c1-c0
	img2 := make([]float64, h*w)
	bv := make([]float64, h*w) // blurred along columns (x), their Bver
	bh := make([]float64, h*w) // blurred along rows (y), their Bhor
	for y := 0; y < h; y++ {
		for c := 0; c < w; c++ {
			img2[y*w+c] = at(y0+y, c0+c)
			bv[y*w+c] = box(y0+y, c0+c, 0, 1)
			bh[y*w+c] = box(y0+y, c0+c, 1, 0)
		}
	}
	// Differences d[j] = v[j] - v[j-1], kept on [1, h-1) x [1, w-1).
	var sFv, sVv, sFh, sVh float64
	for y := 1; y < h-1; y++ {
		for c := 1; c < w-1; c++ {
			i := y*w + c
			fv := math.Abs(img2[i] - img2[i-1])
			bvd := math.Abs(bv[i] - bv[i-1])
			fh := math.Abs(img2[i] - img2[i-w])
			bhd := math.Abs(bh[i] - bh[i-w])
			sFv += fv
			sVv += max(fv-bvd, 0)
			sFh += fh
			sVh += max(fh-bhd, 0)
		}
	}
	if sFv == 0 || sFh == 0 {
		return 1, nil // a constant image is all blur
	}
	return max((sFv-sVv)/sFv, (sFh-sVh)/sFh), nil
}

// ShiSharpness returns the MLV sharpness measure (Bahrami and Kot) as Shi
// et al. compute it (MLVSharpnessMeasure): the map of the maximum local
// variation (largest difference between a pixel and its 8 neighbours, on
// the interior [2, H-2] x [2, W-2] with zeros for neighbours outside it),
// sorted in decreasing order, weighted by exp(-0.01 k) at rank k, and the
// root mean square of ranks 2 .. 1000.
func ShiSharpness(img imageio.Image) (float64, error) {
	if img.H == 1 {
		return 0, ErrShiSignal
	}
	if img.W < 8 || img.H < 8 {
		return 0, fmt.Errorf("dip: the sharpness measure needs an image of at least 8x8 pixels, got %dx%d", img.W, img.H)
	}
	x := gray(img)
	H, W := img.H, img.W
	inner := func(y, c int) float64 {
		if y < 2 || y > H-2 || c < 2 || c > W-2 {
			return 0
		}
		return x[y*W+c]
	}
	var vec []float64
	for y := 2; y <= H-2; y++ {
		for c := 2; c <= W-2; c++ {
			m := math.Inf(-1)
			for dy := -1; dy <= 1; dy++ {
				for dc := -1; dc <= 1; dc++ {
					if dy == 0 && dc == 0 {
						continue
					}
					m = max(m, inner(y-dy, c-dc)-x[y*W+c])
				}
			}
			vec = append(vec, m)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(vec)))
	var ss float64
	n := 0
	for k := 2; k < len(vec) && k <= 1000; k++ {
		v := vec[k] * math.Exp(-0.01*float64(k))
		ss += v * v
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return math.Sqrt(ss / float64(n)), nil
}

// ShiRatio returns blur / sharpness, the quantity Shi et al.'s rule
// watches.
func ShiRatio(img imageio.Image) (float64, error) {
	b, err := ShiBlur(img)
	if err != nil {
		return 0, err
	}
	s, err := ShiSharpness(img)
	if err != nil {
		return 0, err
	}
	if s == 0 {
		return math.Inf(1), nil
	}
	return b / s, nil
}

// ShiStop is the stopping rule's state. With a measurement every K
// iterations (K <= Window) the window means are over the measured
// iterations inside them; K = 1 is the rule exactly.
type ShiStop struct {
	// Window is n, Eps is eps (0: ShiWindow, ShiEps).
	Window int
	Eps    float64
	iters  []int
	ratios []float64
}

// Add records the ratio at iteration iter (increasing) and reports whether
// the rule stops there.
func (s *ShiStop) Add(iter int, ratio float64) bool {
	n, eps := s.Window, s.Eps
	if n <= 0 {
		n = ShiWindow
	}
	if eps <= 0 {
		eps = ShiEps
	}
	s.iters = append(s.iters, iter)
	s.ratios = append(s.ratios, ratio)
	if iter <= 2*n {
		return false
	}
	mean := func(lo, hi int) (float64, bool) { // over iterations in [lo, hi)
		var sum float64
		c := 0
		for j := len(s.iters) - 1; j >= 0 && s.iters[j] >= lo; j-- {
			if s.iters[j] < hi {
				sum += s.ratios[j]
				c++
			}
		}
		return sum / float64(c), c > 0
	}
	r1, ok1 := mean(iter-2*n, iter-n)
	r2, ok2 := mean(iter-n+1, iter)
	return ok1 && ok2 && math.Abs(r1-r2) < eps
}

// Observer returns an Observer that feeds every measured output to the
// rule, records the ratio in *stopAt's iteration when the rule fires, and
// then stops training with ErrShiStop. next, when not nil, sees every
// event first.
func (s *ShiStop) Observer(next Observer, stopAt *int) Observer {
	return func(e Event) error {
		if next != nil {
			if err := next(e); err != nil {
				return err
			}
		}
		if e.Output.Pix == nil {
			return nil
		}
		r, err := ShiRatio(e.Output)
		if err != nil {
			return err
		}
		if s.Add(e.Measurement.Iter, r) {
			*stopAt = e.Measurement.Iter
			return ErrShiStop
		}
		return nil
	}
}
