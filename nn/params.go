package nn

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/sbinet/npyio"
)

// ParamKind says what a parameter is.
type ParamKind int

// Parameter kinds.
const (
	// ConvWeight is a convolution's weight [out, in, kh, kw] ([out, in, k] in 1-D).
	ConvWeight ParamKind = iota
	// ConvBias is a convolution's bias [out].
	ConvBias
	// BNWeight is a batch norm's scale gamma [channels].
	BNWeight
	// BNBias is a batch norm's shift beta [channels].
	BNBias
)

// String returns "conv weight", "conv bias", "bn weight" or "bn bias".
func (k ParamKind) String() string {
	switch k {
	case ConvWeight:
		return "conv weight"
	case ConvBias:
		return "conv bias"
	case BNWeight:
		return "bn weight"
	case BNBias:
		return "bn bias"
	}
	return fmt.Sprintf("ParamKind(%d)", int(k))
}

// Param is a trainable parameter tensor of a network. Data and Grad are the
// network's own storage: optimizers update Data in place, Backward adds to
// Grad, ZeroGrad clears it.
type Param struct {
	// Name is the PyTorch state_dict name ("layers.3.weight").
	Name string
	// Shape is the PyTorch shape ([out, in, kh, kw] for a 2-D conv weight).
	Shape []int
	// Data holds the values in C order.
	Data []float32
	// Grad holds d loss / d Data, accumulated over Backward calls.
	Grad []float32
	// Kind says what the parameter is.
	Kind ParamKind
	// Mult is the factor the forward pass applies to Data: 1 in the
	// standard parameterization, s_w/sqrt(fan_in) (weights) or s_b (biases)
	// of convolutions in the NTK parameterization.
	Mult float32
	// FanIn is C_in * taps for convolution parameters, 0 for batch norm.
	FanIn int
}

// Buffer is a non-trainable tensor of a network saved with its parameters:
// a batch norm's running_mean or running_var.
type Buffer struct {
	// Name is the PyTorch state_dict name ("layers.4.running_mean").
	Name string
	// Shape is [channels].
	Shape []int
	// Data holds the values.
	Data []float32
}

func newParam(name string, kind ParamKind, shape []int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &Param{Name: name, Shape: shape, Kind: kind, Data: make([]float32, n), Grad: make([]float32, n), Mult: 1}
}

// Params returns the network's trainable parameters in PyTorch's
// parameters() order (the order of Arch.Layers, weight before bias).
func (n *Net) Params() []*Param { return n.params }

// Buffers returns the batch norms' running statistics in state_dict order.
func (n *Net) Buffers() []*Buffer { return n.buffers }

// NumParams returns the total number of trainable scalars.
func (n *Net) NumParams() int {
	s := 0
	for _, p := range n.params {
		s += len(p.Data)
	}
	return s
}

// ZeroGrad sets every parameter gradient to zero.
func (n *Net) ZeroGrad() {
	for _, p := range n.params {
		clear(p.Grad)
	}
}

// streamSeed derives the PCG stream of parameter tensor i.
func streamSeed(i int) uint64 { return 0x9E3779B97F4A7C15*uint64(i+1) ^ 0xD1B54A32D192ED03 }

// Reinit draws new parameters from seed without reallocating (see the
// package documentation for the distributions), resets the batch norms'
// running statistics (mean 0, variance 1, no batches tracked) and zeroes
// the gradients. The same seed gives the same parameters at any thread
// count.
func (n *Net) Reinit(seed uint64) {
	a := n.arch
	ntk := a.Param == arch.NTK
	pytorch := a.Init.Scheme == arch.PyTorch
	ps := n.params
	parallelFor(len(ps), 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := ps[i]
			clear(p.Grad)
			switch p.Kind {
			case BNWeight:
				for j := range p.Data {
					p.Data[j] = 1
				}
				continue
			case BNBias:
				clear(p.Data)
				continue
			}
			rng := rand.New(rand.NewPCG(seed, streamSeed(i)))
			sw2, sb2 := a.Init.Variances(p.FanIn)
			scale := math.Sqrt(sw2 / float64(p.FanIn))
			if p.Kind == ConvBias {
				scale = math.Sqrt(sb2)
			}
			switch {
			case pytorch && ntk:
				drawUniform(rng, p.Data, math.Sqrt(3))
			case pytorch:
				drawUniform(rng, p.Data, 1/math.Sqrt(float64(p.FanIn)))
			case ntk:
				drawNormal(rng, p.Data, 1)
			default:
				drawNormal(rng, p.Data, scale)
			}
		}
	})
	for _, bn := range n.bns {
		bn.resetStats()
	}
}

func drawUniform(rng *rand.Rand, d []float32, bound float64) {
	for j := range d {
		d[j] = float32(bound * (2*rng.Float64() - 1))
	}
}

func drawNormal(rng *rand.Rand, d []float32, std float64) {
	for j := range d {
		d[j] = float32(std * rng.NormFloat64())
	}
}

// Save writes the network's parameters and batch norm buffers to dir (which
// it creates if needed), one "<name>.npy" per PyTorch state_dict entry:
// float32 arrays shaped as PyTorch shapes them, and num_batches_tracked as
// an int64 scalar. scripts/torch_net.py loads such a folder into the PyTorch
// module built from the same architecture. Files are written atomically.
func (n *Net) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("nn: save: %v", err)
	}
	for _, e := range n.stateEntries() {
		path := filepath.Join(dir, e.name+".npy")
		var err error
		if e.count != nil {
			var buf bytes.Buffer
			if err = npyio.Write(&buf, *e.count); err == nil {
				err = atomicfile.WriteFile(path, buf.Bytes(), 0o644)
			}
		} else {
			err = npy.WriteFloat32(path, e.shape, e.data)
		}
		if err != nil {
			return fmt.Errorf("nn: save %s: %v", e.name, err)
		}
	}
	return nil
}

type stateEntry struct {
	name  string
	shape []int
	data  []float32
	count *int64
}

// stateEntries lists the state_dict in PyTorch's order.
func (n *Net) stateEntries() []stateEntry {
	var es []stateEntry
	for _, o := range n.owners {
		for _, p := range o.params() {
			es = append(es, stateEntry{name: p.Name, shape: p.Shape, data: p.Data})
		}
		if bn, ok := o.(*batchnorm); ok {
			es = append(es,
				stateEntry{name: bn.rmean.Name, shape: bn.rmean.Shape, data: bn.rmean.Data},
				stateEntry{name: bn.rvar.Name, shape: bn.rvar.Shape, data: bn.rvar.Data},
				stateEntry{name: bn.prefix + ".num_batches_tracked", count: &bn.tracked})
		}
	}
	return es
}

// Load builds the network of architecture a for output size size and reads
// its parameters and buffers from dir, as written by Save (or by
// scripts/torch_net.py from a PyTorch module). Every state_dict entry must
// be present with the PyTorch shape; the error names the file at fault.
// The NTK multipliers come from a, as in Build.
func Load(a arch.Arch, size []int, dir string) (*Net, error) {
	n, err := Build(a, size, 0)
	if err != nil {
		return nil, err
	}
	for _, e := range n.stateEntries() {
		path := filepath.Join(dir, e.name+".npy")
		if e.count != nil {
			f, err := os.Open(path)
			if err != nil {
				return nil, loadErr(path, e.name, err)
			}
			var c int64
			err = npyio.Read(f, &c)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("nn: load %s: %v; num_batches_tracked must be an int64 scalar", path, err)
			}
			*e.count = c
			continue
		}
		shape, data, err := npy.ReadFloat32(path)
		if err != nil {
			return nil, loadErr(path, e.name, err)
		}
		if !sameShape(shape, e.shape) {
			return nil, fmt.Errorf("nn: load %s: shape %v, but %s of this architecture has shape %v; the folder was saved from a different architecture", path, shape, e.name, e.shape)
		}
		for _, v := range data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("nn: load %s: holds a value that is not finite (%v)", path, v)
			}
		}
		copy(e.data, data)
	}
	return n, nil
}

func loadErr(path, name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("nn: load: %s is missing; the folder must hold one .npy per state_dict entry (%s) as written by Net.Save", path, name)
	}
	return fmt.Errorf("nn: load %s: %v", path, err)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
