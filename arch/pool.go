package arch

// PoolOp names a parameter-free down-sampling by 2.
type PoolOp string

// Pooling operations.
const (
	// Avg averages each 2 x 2 block (2 values in 1-D).
	Avg PoolOp = "avg"
	// Decimate keeps every second value: y[i] = x[2i].
	Decimate PoolOp = "decimate"
)

// Pool down-samples by 2 per axis.
type Pool struct {
	// Op is Avg or Decimate.
	Op PoolOp `yaml:"op" json:"op"`
}

// Kind returns "pool".
func (Pool) Kind() string { return "pool" }
