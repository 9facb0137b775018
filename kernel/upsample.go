package kernel

import "github.com/dipgp/dipgp/arch"

// Up-sampling rules (docs/theory.md section 3), linear maps A K A^T applied
// alike to the second moment and the NTK; the period doubles. Per axis,
// output y = 2i + e (e = 0, 1) and, for an output phase p' < 2P, i has
// phase floor(p'/2) and e = p' mod 2. An output offset d' from y reaches
// y' = 2i' + e' with e' = (e + d') mod 2 and i' - i = floor((e + d')/2).
//
//	nearest: y reads in(i), so k'[p'][d'] = k[floor(p'/2)][floor((e+d')/2)];
//	bilinear (PyTorch, align_corners=False): y = 2i reads
//	    0.75 in(i) + 0.25 in(i-1), y = 2i+1 reads 0.75 in(i) + 0.25 in(i+1),
//	    indices wrapping on the periodic grid; k' is the sum over the 2 x 2
//	    pairs of terms of their weights times k at the pair.
//
// In 2-D the rule applies on both axes (16 pairs for bilinear).

// bilinearTerms returns the input offsets (relative to i) and weights read
// by output parity e.
func bilinearTerms(e int) (off [2]int, w [2]float64) {
	if e == 0 {
		return [2]int{0, -1}, [2]float64{0.75, 0.25}
	}
	return [2]int{0, 1}, [2]float64{0.75, 0.25}
}

func upStencil(l arch.Upsample, pIn, nIn int) stencil {
	mode := l.Mode
	pOut, nOut := 2*pIn, 2*nIn
	if mode == arch.GaussianUp {
		return gaussUpStencil(l.Sigma, pIn, nIn)
	}
	if mode == arch.Nearest {
		return newStencil(pIn, nIn, pOut, nOut, 1, func(p, d int, t []term) {
			e := p % 2
			t[0] = term{p / 2, (e + d) / 2, 1}
		})
	}
	return newStencil(pIn, nIn, pOut, nOut, 4, func(p, d int, t []term) {
		e := p % 2
		e2 := (e + d) % 2
		di := (e + d) / 2
		o1, w1 := bilinearTerms(e)
		o2, w2 := bilinearTerms(e2)
		for j := 0; j < 2; j++ {
			for k := 0; k < 2; k++ {
				t[2*j+k] = term{p/2 + o1[j], di + o2[k] - o1[j], w1[j] * w2[k]}
			}
		}
	})
}

// upsample applies an Upsample layer to every part.
func (r *run) upsample(l arch.Upsample, s state, where string) (state, error) {
	for i, p := range s.parts {
		og := p.g
		og.w *= 2
		og.px *= 2
		sy := identStencil(1, 1)
		if og.dims == 2 {
			og.h *= 2
			og.py *= 2
			sy = upStencil(l, p.g.py, p.g.h)
		}
		sx := upStencil(l, p.g.px, p.g.w)
		np, err := r.applyLinear(p, og, sy, sx)
		if err != nil {
			return s, err
		}
		s.parts[i] = np
	}
	return s, nil
}
