package arch

// Save names the current tensor so that a later Concat can use it. It does
// not change the tensor.
type Save struct {
	// Name is unique within the architecture.
	Name string `yaml:"name" json:"name"`
}

// Kind returns "save".
func (Save) Kind() string { return "save" }

// Concat joins, along channels, the result of Branch applied to the tensor
// saved as From with the current tensor: the output is
// [Branch(saved), current]. Both must have the same resolution. An empty
// Branch concatenates the saved tensor itself.
type Concat struct {
	// From names a tensor saved earlier by Save.
	From string `yaml:"from" json:"from"`
	// Branch is applied to the saved tensor before it is joined.
	Branch []Layer `yaml:"-" json:"-"`
}

// Kind returns "concat".
func (Concat) Kind() string { return "concat" }
