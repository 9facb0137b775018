package arch

// Conv is a convolution with Out output channels, a K-tap (K x K in 2-D)
// kernel centred on the output pixel, and stride 1 or 2: output y reads
// input Stride*y + t for t in -(K-1)/2 .. (K-1)/2.
type Conv struct {
	// Out is the number of output channels.
	Out int `yaml:"out" json:"out"`
	// K is the kernel size per axis; it must be odd.
	K int `yaml:"k" json:"k"`
	// Stride is 1 or 2.
	Stride int `yaml:"stride" json:"stride"`
	// Bias adds a bias per output channel.
	Bias bool `yaml:"bias" json:"bias"`
	// Lipschitz, when positive, is Shi et al.'s Lipschitz control lambda:
	// the weight is divided by max(1, s/lambda) in every forward pass, s
	// the largest singular value of the weight reshaped to Out x (C_in
	// taps), the divisor held constant in the backward pass (see
	// LipschitzScale). 0 leaves the conv as is.
	Lipschitz float64 `yaml:"lipschitz,omitempty" json:"lipschitz,omitempty"`
}

// Kind returns "conv".
func (Conv) Kind() string { return "conv" }

// Taps returns the number of filter taps: K in 1-D, K*K in 2-D.
func (c Conv) Taps(dims int) int {
	if dims == 1 {
		return c.K
	}
	return c.K * c.K
}
