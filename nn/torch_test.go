package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/npy"
	"gorgonia.org/tensor"
)

const python = "/usr/bin/python3"

// needTorch skips the test when /usr/bin/python3 cannot import torch.
func needTorch(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import torch, numpy").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		t.Skipf("torch not available: %s -c 'import torch' failed: %v %s (install python3-torch to run this test)", python, err, msg)
	}
}

func torchScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "scripts", "torch_net.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("missing %s: %v", p, err)
	}
	return p
}

func writeArch(t *testing.T, a arch.Arch, dir string) string {
	t.Helper()
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "arch.json")
	if err := os.WriteFile(p, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readNpy(t *testing.T, path string) ([]int, []float32) {
	t.Helper()
	sh, d, err := npy.ReadFloat32(path)
	if err != nil {
		t.Fatal(err)
	}
	return sh, d
}

// relErr returns ||a - b|| / ||b|| (or ||a|| if b is zero).
func relErr(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// TestTorch runs small networks forward and backward here and in PyTorch
// (scripts/torch_net.py) with the same parameters and input, and compares
// the output, the input and parameter gradients, the running statistics and
// the parameters after one Adam step.
func TestTorch(t *testing.T) {
	needTorch(t)
	script := torchScript(t)
	cases := []struct {
		spec string
		size []int
	}{
		{"dip-skip:scales=2,channels=8", []int{16, 16}},
		{"dip-skip:scales=2,channels=8,skip=3,pad=circular,param=ntk,init=normal,sw=1.4,sb=0.3,down=avg,act=tanh", []int{16, 16}},
		{"dip-skip:scales=2,channels=6,pad=zero,param=ntk,up=nearest,down=decimate,act=relu,k=5", []int{16, 16}},
		{"conv-stack:dims=1,depth=3,channels=8,k=5,act=erf,bias=true,param=ntk,pad=zero,sigma=1.5", []int{32}},
		{"encdec:dims=1,scales=2,channels=8,down=avg,act=sigmoid,pad=circular,out_act=identity", []int{32}},
		{"shi-decoder:scales=2,channels=8,in_channels=4,up_sigma=0.1/0.5,lipschitz=0.8", []int{16, 16}},
		{"dip-skip:scales=2,channels=8,pad=circular,up_sigma=0.5,lipschitz=1.2,mean_bn=true", []int{16, 16}},
		{"encdec:dims=1,scales=2,channels=8,pad=zero,up_sigma=0.3,mean_bn=true,lipschitz=0.5,param=ntk", []int{32}},
		{"dip-fc:scales=1,channels=6,in_channels=2,out_channels=3", []int{8, 8}},
		{"dip-fc:scales=2,channels=5,in_channels=2,out_channels=2,param=ntk,init=normal,sw=1.3,sb=0.2,act=tanh,dims=1", []int{12}},
	}
	for ci, c := range cases {
		t.Run(strings.SplitN(c.spec, ":", 2)[0], func(t *testing.T) {
			a, err := arch.ParsePreset(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			n, err := Build(a, c.size, uint64(10+ci))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(ci), 99))
			// Non-trivial batch norm affine parameters.
			for _, p := range n.Params() {
				if p.Kind == BNWeight || p.Kind == BNBias {
					for i := range p.Data {
						p.Data[i] = float32(0.5*rng.NormFloat64()) + float32(p.Kind-BNBias)
					}
				}
			}
			if err := n.Save(filepath.Join(dir, "params")); err != nil {
				t.Fatal(err)
			}
			x, err := NewInput(a, c.size, 1, uint64(ci))
			if err != nil {
				t.Fatal(err)
			}
			oshape := n.OutputShape(1)
			dyd := make([]float32, prod(oshape))
			for i := range dyd {
				dyd[i] = float32(rng.NormFloat64())
			}
			dy := tensor.New(tensor.WithShape(oshape...), tensor.WithBacking(dyd))
			if err := npy.WriteFloat32(filepath.Join(dir, "x.npy"), n.InputShape(1), x.Data().([]float32)); err != nil {
				t.Fatal(err)
			}
			if err := npy.WriteFloat32(filepath.Join(dir, "dy.npy"), oshape, dyd); err != nil {
				t.Fatal(err)
			}
			n.RequireInputGrad(true)
			y, err := n.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Backward(dy); err != nil {
				t.Fatal(err)
			}
			const lr = 0.01
			cmd := exec.Command(python, script, "check", writeArch(t, a, dir), filepath.Join(dir, "params"),
				filepath.Join(dir, "x.npy"), filepath.Join(dir, "dy.npy"), filepath.Join(dir, "out"), "--adam", "0.01")
			cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("torch_net.py: %v\n%s", err, out)
			}
			out := filepath.Join(dir, "out")
			check := func(what string, got []float32, path string, tol float64) {
				t.Helper()
				_, want := readNpy(t, path)
				if len(want) != len(got) {
					t.Fatalf("%s: %d values, torch %d", what, len(got), len(want))
				}
				if e := relErr(got, want); !(e <= tol) {
					t.Errorf("%s: relative error %.3g vs torch (tolerance %g)", what, e, tol)
				}
			}
			// State_dict names and shapes: every entry torch wrote is ours.
			files, err := filepath.Glob(filepath.Join(out, "state", "*.npy"))
			if err != nil {
				t.Fatal(err)
			}
			es := n.stateEntries()
			if len(files) != len(es) {
				t.Errorf("torch state_dict has %d entries, ours %d", len(files), len(es))
			}
			for _, e := range es {
				if e.count != nil {
					continue
				}
				sh, _ := readNpy(t, filepath.Join(out, "state", e.name+".npy"))
				if !sameShape(sh, e.shape) {
					t.Errorf("%s: shape %v, torch %v", e.name, e.shape, sh)
				}
			}
			check("output", y.Data().([]float32), filepath.Join(out, "output.npy"), 1e-5)
			check("input grad", n.InputGrad().Data().([]float32), filepath.Join(out, "input_grad.npy"), 1e-4)
			// Float32 rounding differs between the two implementations;
			// the tolerances are far below what any indexing or formula
			// error gives (relative errors of order 1). The bias of a conv
			// feeding a batch norm has gradient zero exactly; both sides hold rounding noise, compared against the
			// size of the conv's weight gradient.
			zero := biasBeforeBN(n)
			shifts := meanNormShifts(n)
			var wgrad, wmax float64
			for _, p := range n.Params() {
				if p.Kind == ConvWeight {
					wgrad = math.Sqrt(dot64(p.Grad, p.Grad))
					wmax = max(wmax, wgrad)
				}
			}
			for _, p := range n.Params() {
				if p.Kind == ConvWeight {
					wgrad = math.Sqrt(dot64(p.Grad, p.Grad))
				}
				if shifts[p] {
					// A mean-only batch norm's shift gets the plane sums of
					// a gradient that the next mean-only batch norm has
					// nearly centred: a cancellation, compared against the
					// largest weight gradient.
					_, want := readNpy(t, filepath.Join(out, "grad", p.Name+".npy"))
					if e := relErr(p.Grad, want) * math.Sqrt(dot64(want, want)); !(e <= 1e-4*wmax) {
						t.Errorf("%s grad: |ours - torch| = %.3g, more than 1e-4 max |weight grad| = %.3g", p.Name, e, 1e-4*wmax)
					}
					continue
				}
				if !zero[p.Name] {
					check(p.Name+" grad", p.Grad, filepath.Join(out, "grad", p.Name+".npy"), 5e-4)
					continue
				}
				_, want := readNpy(t, filepath.Join(out, "grad", p.Name+".npy"))
				ztol := 1e-5 * wgrad
				if len(shifts) > 0 {
					// Mean-only batch norm does not fold the bias: both
					// sides sum a centred float32 gradient, and Lipschitz
					// control shrinks the weight gradient, not the bias's.
					ztol = max(ztol, 1e-4*wmax)
				}
				if e := relErr(p.Grad, want) * math.Sqrt(dot64(want, want)); !(e <= ztol) {
					t.Errorf("%s grad (zero up to rounding): |ours - torch| = %.3g, more than %.3g", p.Name, e, ztol)
				}
			}
			for _, b := range n.Buffers() {
				check(b.Name, b.Data, filepath.Join(out, "state", b.Name+".npy"), 1e-5)
			}
			// Adam's first step is about lr*sign(grad), which rounding noise
			// flips for near-zero gradients; step from torch's gradients to
			// test the optimizer on its own.
			for _, p := range n.Params() {
				_, g := readNpy(t, filepath.Join(out, "grad", p.Name+".npy"))
				copy(p.Grad, g)
			}
			opt := NewAdam(n.Params(), lr)
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
			for _, p := range n.Params() {
				check(p.Name+" after Adam", p.Data, filepath.Join(out, "adam", p.Name+".npy"), 1e-5)
			}
		})
	}
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// biasBeforeBN names the conv and batch norm biases whose output reaches
// only batch norms, possibly through pools, up-samplings, concatenations
// and (unless padding is zero) convolutions, which all map a per-channel
// constant to a per-channel constant: their gradient is zero.
// meanNormShifts returns the shifts beta of the mean-only batch norms.
func meanNormShifts(n *Net) map[*Param]bool {
	out := map[*Param]bool{}
	for _, nd := range n.nodes {
		if m, ok := nd.op.(*meanNorm); ok && m.beta != nil {
			out[m.beta] = true
		}
	}
	return out
}

func biasBeforeBN(n *Net) map[string]bool {
	var onlyBN func(v *value) bool
	onlyBN = func(v *value) bool {
		found := false
		for _, other := range n.nodes {
			for _, in := range other.in {
				if in != v {
					continue
				}
				found = true
				switch op := other.op.(type) {
				case *batchnorm, *meanNorm:
				case *conv:
					// A constant passes a circular or reflect conv as a constant.
					if n.arch.Pad == arch.Zero || !onlyBN(other.out) {
						return false
					}
				case *pool, *upsample, *concat:
					// Gaussian up-sampling turns a constant into a period-2 pattern.
					if u, ok := op.(*upsample); ok && u.mode == arch.GaussianUp {
						return false
					}
					if !onlyBN(other.out) {
						return false
					}
				default:
					return false
				}
			}
		}
		return found
	}
	m := map[string]bool{}
	for _, nd := range n.nodes {
		if cv, ok := nd.op.(*conv); ok && cv.b != nil && onlyBN(nd.out) {
			m[cv.b.Name] = true
		}
		if bn, ok := nd.op.(*batchnorm); ok && bn.beta != nil && onlyBN(nd.out) {
			m[bn.beta.Name] = true
		}
	}
	return m
}

// TestTorchToNN saves a network initialized by PyTorch (torch_net.py save),
// loads it with Load and compares the forward pass with PyTorch's.
// A dense network (dip-fc) needs the grid: torch_net.py save --size.
func TestTorchToNN(t *testing.T) {
	needTorch(t)
	torchToNN(t, "dip-skip:scales=2,channels=8,pad=circular", []int{16, 16})
	torchToNN(t, "dip-fc:scales=1,channels=6,in_channels=2,out_channels=3", []int{6, 4})
}

func torchToNN(t *testing.T, spec string, size []int) {
	t.Helper()
	script := torchScript(t)
	a, err := arch.ParsePreset(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	archPath := writeArch(t, a, dir)
	params := filepath.Join(dir, "params")
	in, err := a.InputSize(size)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script, "save", archPath, params, "5", "--size", arch.SizeString(in))
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_net.py save: %v\n%s", err, out)
	}
	n, err := Load(a, size, params)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := NewInput(a, size, 1, 8)
	y, err := n.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFloat32(filepath.Join(dir, "x.npy"), n.InputShape(1), x.Data().([]float32)); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFloat32(filepath.Join(dir, "dy.npy"), n.OutputShape(1), y.Data().([]float32)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd = exec.Command(python, script, "check", archPath, params, filepath.Join(dir, "x.npy"), filepath.Join(dir, "dy.npy"), out)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_net.py check: %v\n%s", err, o)
	}
	_, want := readNpy(t, filepath.Join(out, "output.npy"))
	if e := relErr(y.Data().([]float32), want); e > 1e-5 {
		t.Errorf("output of the PyTorch-initialized network: relative error %.3g vs torch", e)
	}
	// PyTorch's initialization: conv weights within +-1/sqrt(fan_in).
	for _, p := range n.Params() {
		if p.Kind != ConvWeight {
			continue
		}
		bound := 1 / math.Sqrt(float64(p.FanIn))
		for _, v := range p.Data {
			if math.Abs(float64(v)) > bound {
				t.Fatalf("%s: %g beyond PyTorch's bound %g", p.Name, v, bound)
			}
		}
	}
}
