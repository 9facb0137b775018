package sgemm

// kernels lists every micro-kernel usable on this machine, generic first.
func kernels() []*kernel {
	ks := []*kernel{generic}
	if best != generic {
		ks = append(ks, available()...)
	}
	return ks
}
