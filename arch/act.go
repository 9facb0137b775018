package arch

// ActFn names a pointwise activation.
type ActFn string

// Activations.
const (
	ReLU      ActFn = "relu"
	LeakyReLU ActFn = "leakyrelu"
	Tanh      ActFn = "tanh"
	Sigmoid   ActFn = "sigmoid"
	Erf       ActFn = "erf"
	Identity  ActFn = "identity"
)

// Act is a pointwise activation.
type Act struct {
	// Fn is the activation function.
	Fn ActFn `yaml:"fn" json:"fn"`
	// Slope is the negative slope of LeakyReLU (0.2 in DIP).
	Slope float64 `yaml:"slope,omitempty" json:"slope,omitempty"`
}

// Kind returns "act".
func (Act) Kind() string { return "act" }
