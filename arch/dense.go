package arch

// Dense is a fully connected layer, PyTorch's Flatten followed by
// nn.Linear: every output value is a weighted sum of all the values of its
// input (every channel at every grid point), each output value with its
// own weights and bias.
//
// Without Image the output is a vector of Out values, held as a tensor of
// Out channels on a one-point grid (Tensor.Flat). A vector goes through
// act, save and concat (with other vectors); conv, pool, upsample and
// batch norm refuse it. With Image the output is Out channels at every
// point of the grid at the layer's scale (the grid the network would have
// there without the dense layers): nn.Linear to Out*H*W values reshaped
// to (Out, H, W), as the last layer of Chakrabarty and Maji's DIP-linear
// (PCJohn/dip-spectral skip.py with use_fc). A network must end on a grid,
// so its last dense layer has Image set.
//
// The flattening order is PyTorch's: channel, then row, then column; the
// weight is [Out*H'*W', C*H*W] as nn.Linear's. See docs/theory.md section
// "Fully connected layers" for its kernel.
type Dense struct {
	// Out is the number of output values (without Image) or output
	// channels per grid point (with Image).
	Out int `yaml:"out" json:"out"`
	// Bias adds a bias to every output value.
	Bias bool `yaml:"bias" json:"bias"`
	// Image makes the output Out channels on the grid rather than a vector.
	Image bool `yaml:"image,omitempty" json:"image,omitempty"`
}

// Kind returns "dense".
func (Dense) Kind() string { return "dense" }

// Dense checks the layer and sets its output: Out channels, a vector
// unless Image.
func (v *layerCheck) Dense(l Dense) error {
	v.n.Out.Channels = l.Out
	v.n.Out.Flat = !l.Image
	if l.Out <= 0 {
		return v.errorf("out is %d; give a positive number of outputs", l.Out)
	}
	return nil
}

// gridOnly is the error of a layer that needs a grid but reads a vector.
func (v *layerCheck) gridOnly() error {
	if !v.n.In[0].Flat {
		return nil
	}
	v.n.Out.Flat = true
	return v.errorf("reads a vector (the output of a dense layer without image); only act, save, concat and dense read vectors: put it before the dense layers, or end the vector part with a dense layer with image: true")
}

func (sizeCheck) Dense(Dense) error { return nil }

func (w fileWriter) Dense(l Dense) error { w.f.Dense = &l; return nil }
