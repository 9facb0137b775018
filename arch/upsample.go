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
)

// Upsample up-samples by 2 per axis.
type Upsample struct {
	// Mode is Nearest or Bilinear.
	Mode UpMode `yaml:"mode" json:"mode"`
}

// Kind returns "upsample".
func (Upsample) Kind() string { return "upsample" }
