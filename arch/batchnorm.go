package arch

// BatchNorm normalizes every channel by its mean and standard deviation over
// the grid (training mode on one image, as DIP uses it), then applies a
// trainable affine map gamma*x + beta when Affine is set (gamma starts at 1,
// beta at 0).
type BatchNorm struct {
	// Affine adds the trainable gamma and beta.
	Affine bool `yaml:"affine" json:"affine"`
	// Eps is added to the variance (PyTorch: 1e-5).
	Eps float64 `yaml:"eps" json:"eps"`
	// MeanOnly is Shi et al.'s mean-only batch norm: every channel only
	// has its mean over the grid subtracted (no division, no gamma), and
	// Affine adds the trainable shift beta. Eps is then unused.
	MeanOnly bool `yaml:"mean_only,omitempty" json:"mean_only,omitempty"`
}

// Kind returns "batchnorm".
func (BatchNorm) Kind() string { return "batchnorm" }
