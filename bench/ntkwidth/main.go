// Command ntkwidth measures how the empirical NTK and NNGP of finite
// networks at initialization approach the analytic infinite-width kernels
// of package kernel as the width grows.
//
//	go run ./bench/ntkwidth -arch 'dip-skip:dims=1,scales=3,channels={W},...' -size 32 \
//	    -widths 16,32,64,128,256 -seeds 4 -nets 64
//
// {W} in -arch is replaced by each width. Per width it prints, over -seeds
// networks (weights and input noise drawn from seed s = 1, 2, ...; with
// -fixed-input every network reads the input of seed 1):
//
//   - ntk: the relative Frobenius error |Theta_hat - Theta|_F / |Theta|_F of
//     one network's empirical NTK Theta_hat = J J^T (J = d f / d theta over
//     the raw parameters, one backward pass per output sample) against the
//     analytic NTK read densely from kernel.Compute's map, mean ± sd;
//   - spec: per network, the RMS over the analytic eigenvectors v with
//     lambda >= 1e-3 lambda_max of (v^T Theta_hat v - lambda) / lambda, the
//     error the per-frequency dynamics see, mean ± sd;
//   - ntk-mean: the error of the mean of Theta_hat over the seeds (its bias
//     plus the Monte Carlo noise of the mean);
//   - nngp: the error of the mean of f f^T over -nets networks against the
//     analytic NNGP, and the Monte Carlo noise that error would have with
//     no bias (sqrt of the summed per-entry variances of the mean over
//     |K|_F).
//
// Last, the least-squares slopes of log error against log width and the
// fit of the per-network squared NTK error to A + B/width (A > 0: a floor).
// -v prints the per-seed errors and the mean's error along every analytic
// eigenvector; -top measures only v^T Theta_hat v / lambda along the top
// analytic eigenvector, per parameter tensor, by one backward pass per
// network (-first sets the first seed), so that widths of thousands fit;
// -forward compares the Gram of the output channels of each network (set
// out_channels large) with the NNGP; -linear-out appends a 1x1 conv to one
// channel to presets that end in an activation. docs/linearized.md,
// "Finite width in 1-D", has the measurements.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/kernel"
	"github.com/dipgp/dipgp/nn"
)

func main() {
	log.SetFlags(0)
	spec := flag.String("arch", "", "architecture preset with {W} where the width goes (out_channels=1, out_act=identity)")
	sizeF := flag.String("size", "32", "output size: N (1-D) or HxW (2-D)")
	widthsF := flag.String("widths", "16,32,64,128,256", "widths, comma-separated")
	seeds := flag.Int("seeds", 4, "networks per width for the NTK")
	nets := flag.Int("nets", 0, "networks per width for the NNGP mean (0: no NNGP)")
	fixed := flag.Bool("fixed-input", false, "every network reads the input of seed 1")
	threads := flag.Int("threads", 1, "nn threads")
	verbose = flag.Bool("v", false, "print the per-seed errors and the mean's error per analytic eigenvector")
	forward = flag.Bool("forward", false, "measure (1/C) sum_c f_c f_c^T over the C output channels against the NNGP instead of the NTK (forward passes only; set out_channels large)")
	topOnly = flag.Bool("top", false, "only v^T Theta_hat v / lambda along the analytic top eigenvector, per parameter tensor (one backward pass per network)")
	first = flag.Int("first", 1, "first seed of -top")
	linear := flag.Bool("linear-out", false, "append a 1x1 conv to one channel (for presets that end in an activation)")
	flag.Parse()
	nn.SetThreads(*threads)
	size, err := parseSize(*sizeF)
	if err != nil {
		log.Fatal(err)
	}
	var widths, ntkErr, specErr, meanErr, nngpErr []float64
	var fx, fy []float64 // 1/width, squared per-network NTK error
	fmt.Printf("%6s %5s %18s %18s %9s %9s %9s %9s\n", "width", "seeds", "ntk mean±sd", "spec mean±sd", "ntk-mean", "spec-mean", "nngp", "nngp-mc")
	for _, ws := range strings.Split(*widthsF, ",") {
		w, err := strconv.Atoi(ws)
		if err != nil {
			log.Fatalf("width %q: %v", ws, err)
		}
		a, err := arch.Parse(strings.ReplaceAll(*spec, "{W}", ws))
		if err != nil {
			log.Fatal(err)
		}
		if *linear {
			a.Layers = append(a.Layers, arch.Conv{Out: 1, K: 1, Stride: 1, Bias: true})
		}
		r, err := measure(a, size, *seeds, *nets, *fixed)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%6d %5d %9.4f ± %6.4f %9.4f ± %6.4f %9.4f %9.4f %9.4f %9.4f\n", w, *seeds,
			mean(r.ntk), sd(r.ntk), mean(r.spec), sd(r.spec), r.ntkMean, r.specMean, r.nngp, r.nngpMC)
		widths = append(widths, float64(w))
		ntkErr = append(ntkErr, mean(r.ntk))
		for _, e := range r.ntk {
			fx, fy = append(fx, 1/float64(w)), append(fy, e*e)
		}
		specErr = append(specErr, mean(r.spec))
		meanErr = append(meanErr, r.ntkMean)
		nngpErr = append(nngpErr, r.nngp)
	}
	fmt.Printf("slopes of log error vs log width: ntk %.3f, spec %.3f, ntk-mean %.3f", slope(widths, ntkErr), slope(widths, specErr), slope(widths, meanErr))
	if *nets > 0 {
		fmt.Printf(", nngp %.3f", slope(widths, nngpErr))
	}
	fmt.Println()
	a, se, b := fitInverse(fx, fy)
	fmt.Printf("per-network ntk error^2 = A + B/width: A = %.4f ± %.4f (1 se), B = %.3f; sqrt(max(A, 0)) = %.4f\n", a, se, b, math.Sqrt(math.Max(a, 0)))
}

// fitInverse fits y = a + b x by least squares and returns a, its standard
// error and b.
func fitInverse(x, y []float64) (a, se, b float64) {
	n := float64(len(x))
	mx, my := mean(x), mean(y)
	var sxx, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	b = sxy / sxx
	a = my - b*mx
	var rss float64
	for i := range x {
		r := y[i] - a - b*x[i]
		rss += r * r
	}
	s2 := rss / (n - 2)
	return a, math.Sqrt(s2 * (1/n + mx*mx/sxx)), b
}

var (
	verbose, forward, topOnly *bool
	first                     *int
)

// topByTensor prints, over seeds networks, v^T Theta_hat v / lambda for
// the analytic top eigenpair (lambda, v) by one backward pass of dy = v,
// and each parameter tensor's share of it (mean ± sd), largest sd first.
func topByTensor(a arch.Arch, size []int, seeds int, fixed bool, lambda float64, v []float64) error {
	var names []string
	var per [][]float64
	var total []float64
	for s := *first; s < *first+seeds; s++ {
		net, err := nn.Build(a, size, uint64(s))
		if err != nil {
			return err
		}
		z, err := nn.NewInput(a, size, 1, inputSeed(s, fixed))
		if err != nil {
			return err
		}
		if _, err := net.Forward(z); err != nil {
			return err
		}
		shape := net.OutputShape(1)
		dy := make([]float32, prodInts(shape))
		for i, x := range v {
			dy[i] = float32(x)
		}
		net.ZeroGrad()
		if err := net.Backward(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(dy))); err != nil {
			return err
		}
		if per == nil {
			per = make([][]float64, len(net.Params()))
			for _, p := range net.Params() {
				names = append(names, p.Name)
			}
		}
		tot := 0.0
		for i, p := range net.Params() {
			c := 0.0
			for _, g := range p.Grad {
				c += float64(g) * float64(g)
			}
			per[i] = append(per[i], c/lambda)
			tot += c / lambda
		}
		total = append(total, tot)
	}
	fmt.Printf("top: v^T Theta_hat v / lambda = %.4f ± %.4f over %d seeds %.3f\n", mean(total), sd(total), seeds, total)
	idx := make([]int, len(per))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(x, y int) bool { return sd(per[idx[x]]) > sd(per[idx[y]]) })
	for _, i := range idx[:min(6, len(idx))] {
		fmt.Printf("    %-28s %.4f ± %.4f\n", names[i], mean(per[i]), sd(per[i]))
	}
	return nil
}

// channelGram returns (1/C) sum_c f_c f_c^T over the C output channels of
// one network: the NNGP of its output given its last hidden layer (use many
// out_channels).
func channelGram(a arch.Arch, size []int, ws, is uint64) ([]float64, error) {
	net, err := nn.Build(a, size, ws)
	if err != nil {
		return nil, err
	}
	z, err := nn.NewInput(a, size, 1, is)
	if err != nil {
		return nil, err
	}
	y, err := net.Infer(z)
	if err != nil {
		return nil, err
	}
	n := prodInts(size)
	f := y.Data().([]float32)
	c := len(f) / n
	g := make([]float64, n*n)
	for k := 0; k < c; k++ {
		fk := f[k*n : (k+1)*n]
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				g[i*n+j] += float64(fk[i]) * float64(fk[j]) / float64(c)
			}
		}
	}
	return g, nil
}

type result struct {
	ntk, spec, top    []float64
	ntkMean, specMean float64
	nngp, nngpMC      float64
}

func measure(a arch.Arch, size []int, seeds, nets int, fixed bool) (result, error) {
	ctx := context.Background()
	nngpMap, ntkMap, err := kernel.Compute(ctx, a, size, kernel.Options{NTK: true})
	if err != nil {
		return result{}, err
	}
	n := ntkMap.Points()
	theta, kk := ntkMap.Dense(), nngpMap.Dense() // EigenSym reads the upper triangle
	if *forward {
		theta = kk
	}
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(n, theta), true) {
		return result{}, fmt.Errorf("the analytic NTK could not be diagonalized")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	if *topOnly {
		return result{}, topByTensor(a, size, seeds, fixed, vals[n-1], mat.Col(nil, n-1, &vecs))
	}
	var r result
	sum := make([]float64, n*n)
	for s := 1; s <= seeds; s++ {
		empirical := dip.EmpiricalNTK
		if *forward {
			empirical = channelGram
		}
		th, err := empirical(a, size, uint64(s), inputSeed(s, fixed))
		if err != nil {
			return r, err
		}
		r.ntk = append(r.ntk, relFrob(th, theta))
		r.spec = append(r.spec, spectralError(th, vals, &vecs))
		r.top = append(r.top, topError(th, vals, &vecs))
		for i, v := range th {
			sum[i] += v / float64(seeds)
		}
	}
	r.ntkMean = relFrob(sum, theta)
	r.specMean = spectralError(sum, vals, &vecs)
	if *verbose {
		fmt.Printf("per seed: ntk %.3f\n          spec %.3f\n          top %+.3f\n", r.ntk, r.spec, r.top)
		T := mat.NewDense(n, n, sum)
		var tv mat.VecDense
		fmt.Printf("mean over seeds, per analytic eigenvector (lambda/lambda_max: relative error):")
		for i := n - 1; i >= 0; i-- {
			v := vecs.ColView(i)
			tv.MulVec(T, v)
			fmt.Printf(" %.2g:%+.3f", vals[i]/vals[n-1], (mat.Dot(v, &tv)-vals[i])/vals[i])
		}
		fmt.Println()
	}
	if nets > 0 {
		r.nngp, r.nngpMC, err = nngpError(a, size, nets, fixed, kk)
	}
	return r, err
}

func inputSeed(s int, fixed bool) uint64 {
	if fixed {
		return 1
	}
	return uint64(s)
}

// nngpError returns the relative Frobenius error of the mean of f f^T over
// nets networks against k, and its Monte Carlo noise level.
func nngpError(a arch.Arch, size []int, nets int, fixed bool, k []float64) (float64, float64, error) {
	n := int(math.Sqrt(float64(len(k))))
	s1, s2 := make([]float64, n*n), make([]float64, n*n)
	net, err := nn.Build(a, size, 1)
	if err != nil {
		return 0, 0, err
	}
	for s := 1; s <= nets; s++ {
		net.Reinit(uint64(s))
		z, err := nn.NewInput(a, size, 1, inputSeed(s, fixed))
		if err != nil {
			return 0, 0, err
		}
		y, err := net.Infer(z)
		if err != nil {
			return 0, 0, err
		}
		f := y.Data().([]float32)[:n]
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				v := float64(f[i]) * float64(f[j])
				s1[i*n+j] += v
				s2[i*n+j] += v * v
			}
		}
	}
	m := make([]float64, n*n)
	noise, nk := 0.0, 0.0
	for i := range m {
		m[i] = s1[i] / float64(nets)
		v := s2[i]/float64(nets) - m[i]*m[i]
		noise += v / float64(nets-1)
		nk += k[i] * k[i]
	}
	return relFrob(m, k), math.Sqrt(noise / nk), nil
}

func relFrob(a, b []float64) float64 {
	var num, den float64
	for i, v := range a {
		num += (v - b[i]) * (v - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}

// spectralError is the RMS over the eigenvectors v_i with lambda_i >=
// 1e-3 lambda_max of (v_i^T th v_i - lambda_i) / lambda_i.
func spectralError(th []float64, vals []float64, vecs *mat.Dense) float64 {
	n := len(vals)
	lmax := vals[n-1]
	T := mat.NewDense(n, n, th)
	var tv mat.VecDense
	s, c := 0.0, 0
	for i, l := range vals {
		if l < 1e-3*lmax {
			continue
		}
		v := vecs.ColView(i)
		tv.MulVec(T, v)
		e := (mat.Dot(v, &tv) - l) / l
		s += e * e
		c++
	}
	return math.Sqrt(s / float64(c))
}

// topError is (v^T th v - lambda) / lambda for the analytic top
// eigenvector v.
func topError(th []float64, vals []float64, vecs *mat.Dense) float64 {
	n := len(vals)
	var tv mat.VecDense
	v := vecs.ColView(n - 1)
	tv.MulVec(mat.NewDense(n, n, th), v)
	return (mat.Dot(v, &tv) - vals[n-1]) / vals[n-1]
}

func parseSize(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, "x") {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("size %q: give N or HxW", s)
		}
		out = append(out, v)
	}
	return out, nil
}

func prodInts(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func sd(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	m, s := mean(x), 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return math.Sqrt(s / float64(len(x)-1))
}

func slope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += math.Log(x[i]) / float64(len(x))
		my += math.Log(y[i]) / float64(len(x))
	}
	var num, den float64
	for i := range x {
		dx := math.Log(x[i]) - mx
		num += dx * (math.Log(y[i]) - my)
		den += dx * dx
	}
	return num / den
}
