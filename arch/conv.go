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
