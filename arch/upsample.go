package arch

// UpMode names an up-sampling interpolation.
type UpMode string

// Up-sampling modes.
const (
	// Nearest repeats each value: y[i] = x[i/2].
	Nearest UpMode = "nearest"
	// Bilinear uses PyTorch's align_corners=False weights per axis:
	// y[2i] = 0.75 x[i] + 0.25 x[i-1], y[2i+1] = 0.75 x[i] + 0.25 x[i+1].
	// The kernel wraps on the periodic grid; the finite network wraps too
	// when the architecture's Pad is Circular and clamps at the border as
	// PyTorch does otherwise.
	Bilinear UpMode = "bilinear"
	// GaussianUp is Shi et al.'s Gaussian-controlled up-sampling: a fixed
	// per-channel transposed convolution (5 taps per axis, stride 2) whose
	// filter is a Gaussian of width Sigma (see GaussTaps).
	GaussianUp UpMode = "gaussian"
)

// Upsample up-samples by 2 per axis.
type Upsample struct {
	// Mode is Nearest, Bilinear or GaussianUp.
	Mode UpMode `yaml:"mode" json:"mode"`
	// Sigma is the Gaussian's width for GaussianUp (in Shi et al.'s
	// units, see GaussTaps); it must be 0 for the other modes.
	Sigma float64 `yaml:"sigma,omitempty" json:"sigma,omitempty"`
}

// Kind returns "upsample".
func (Upsample) Kind() string { return "upsample" }
