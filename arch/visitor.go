package arch

// Visitor has one method per layer kind. Every package that interprets
// layers (validation here, the kernel, the finite network) implements it,
// so adding a layer kind to this interface fails to compile until each of
// them handles the new kind: there is no "unknown layer" case at run time.
// The methods return an error for the interpreter to pass on.
type Visitor interface {
	Conv(Conv) error
	Act(Act) error
	Pool(Pool) error
	Upsample(Upsample) error
	BatchNorm(BatchNorm) error
	Save(Save) error
	Concat(Concat) error
	Dense(Dense) error
}

// Visit calls the method of v for the kind of l. A nil l is an error.
func Visit(l Layer, v Visitor) error {
	if l == nil {
		return errorf("empty layer (nil); give one of conv, act, pool, upsample, batchnorm, save, concat, dense")
	}
	return l.accept(v)
}

func (l Conv) accept(v Visitor) error      { return v.Conv(l) }
func (l Act) accept(v Visitor) error       { return v.Act(l) }
func (l Pool) accept(v Visitor) error      { return v.Pool(l) }
func (l Upsample) accept(v Visitor) error  { return v.Upsample(l) }
func (l BatchNorm) accept(v Visitor) error { return v.BatchNorm(l) }
func (l Save) accept(v Visitor) error      { return v.Save(l) }
func (l Concat) accept(v Visitor) error    { return v.Concat(l) }
func (l Dense) accept(v Visitor) error     { return v.Dense(l) }
