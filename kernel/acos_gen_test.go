package kernel

import "math/big"

// asinPoly returns, in 300-bit arithmetic, the monomial coefficients in
// y = x^2 of the degree-d Chebyshev economization on y in [0, 1/4] of
// P(y) = (asin(x) - x) / x^3 = sum_{k>=1} t_k y^(k-1), with the Taylor
// coefficients t_k = (2k)! / (4^k k!^2 (2k+1)), and the size of the first
// dropped Chebyshev coefficient (the truncation error within a factor of
// about 2). The Taylor series is summed to degree 160 (its remainder on
// [0, 1/4] is below 4^-160).
func asinPoly(d int) (c []*big.Float, tail float64) {
	const prec = 300
	const N = 160
	nf := func(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }
	zero := func() *big.Float { return nf(0) }
	// Taylor coefficients of P in y: p[j] = t_{j+1}.
	p := make([]*big.Float, N+1)
	a := nf(1) // (2k)!/(4^k k!^2), k = 0
	for k := 1; k <= N+1; k++ {
		a.Mul(a, nf(float64(2*k-1)))
		a.Quo(a, nf(float64(2*k)))
		p[k-1] = new(big.Float).Quo(a, nf(float64(2*k+1)))
	}
	// y = (1 + u) / 8: the coefficients in u of sum_j p_j ((1+u)/8)^j.
	cu := make([]*big.Float, N+1)
	for i := range cu {
		cu[i] = zero()
	}
	pw := []*big.Float{nf(1)} // ((1+u)/8)^j
	for j := 0; j <= N; j++ {
		for i, b := range pw {
			cu[i].Add(cu[i], new(big.Float).Mul(p[j], b))
		}
		next := make([]*big.Float, len(pw)+1)
		for i := range next {
			next[i] = zero()
		}
		for i, b := range pw {
			t := new(big.Float).Quo(b, nf(8))
			next[i].Add(next[i], t)
			next[i+1].Add(next[i+1], t)
		}
		pw = next
	}
	// Monomials in u to Chebyshev: u^n = 2^(1-n) sum_j binom(n, j) T_|n-2j| / (1 + [n = 2j]).
	ch := make([]*big.Float, N+1)
	for i := range ch {
		ch[i] = zero()
	}
	for n := 0; n <= N; n++ {
		binom := nf(1)
		scale := new(big.Float).SetMantExp(nf(1), -n)
		for j := 0; j <= n; j++ {
			if j > 0 {
				binom.Mul(binom, nf(float64(n-j+1)))
				binom.Quo(binom, nf(float64(j)))
			}
			k := n - 2*j
			if k < 0 {
				break
			}
			t := new(big.Float).Mul(cu[n], binom)
			t.Mul(t, scale)
			if k > 0 {
				t.Mul(t, nf(2))
			}
			ch[k].Add(ch[k], t)
		}
	}
	tail, _ = new(big.Float).Abs(ch[d+1]).Float64()
	// Chebyshev (truncated at d) back to monomials in u, then in y (u = 8y - 1).
	tPrev := []*big.Float{nf(1)}        // T_0
	tCur := []*big.Float{zero(), nf(1)} // T_1
	mu := make([]*big.Float, d+1)
	for i := range mu {
		mu[i] = zero()
	}
	mu[0].Add(mu[0], ch[0])
	if d >= 1 {
		mu[1].Add(mu[1], ch[1])
	}
	for k := 2; k <= d; k++ {
		next := make([]*big.Float, k+1)
		for i := range next {
			next[i] = zero()
		}
		for i, b := range tCur {
			next[i+1].Add(next[i+1], new(big.Float).Mul(b, nf(2)))
		}
		for i, b := range tPrev {
			next[i].Sub(next[i], b)
		}
		for i, b := range next {
			mu[i].Add(mu[i], new(big.Float).Mul(ch[k], b))
		}
		tPrev, tCur = tCur, next
	}
	c = make([]*big.Float, d+1)
	for i := range c {
		c[i] = zero()
	}
	pw = []*big.Float{nf(1)} // (8y - 1)^i
	for i := 0; i <= d; i++ {
		for j, b := range pw {
			c[j].Add(c[j], new(big.Float).Mul(mu[i], b))
		}
		next := make([]*big.Float, len(pw)+1)
		for j := range next {
			next[j] = zero()
		}
		for j, b := range pw {
			next[j+1].Add(next[j+1], new(big.Float).Mul(b, nf(8)))
			next[j].Sub(next[j], b)
		}
		pw = next
	}
	return c, tail
}
