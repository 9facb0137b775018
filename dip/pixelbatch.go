package dip

import "math/rand/v2"

// pixelCounts draws cfg.PixelBatch pixels of the target uniformly with
// replacement for step t (from Seed and t alone, so a resumed run draws
// the same) and returns how often each pixel was drawn, in counts (len H*W).
func pixelCounts(counts []float64, batch int, seed uint64, t int) {
	clear(counts)
	rng := rand.New(rand.NewPCG(seed^0x5851F42D4C957F2D, uint64(t)))
	for range batch {
		counts[rng.IntN(len(counts))]++
	}
}

// pixelBatchGrad writes d loss / d f for the loss over a minibatch of
// pixels: the mean (or with sum, the sum) over the drawn pixels, counted
// with multiplicity, and all their channels, of (m (f - y))^2. Values are
// stored pixel-major (C channels per pixel).
func pixelBatchGrad(dy []float32, f, target, weights, counts []float64, c int, sum bool) {
	scale := 2.0
	if !sum {
		var n float64
		for _, k := range counts {
			n += k
		}
		scale /= n * float64(c)
	}
	for i, v := range f {
		dy[i] = float32(scale * counts[i/c] * weights[i] * weights[i] * (v - target[i]))
	}
}
