//go:build !amd64 || purego

package sgemm

import "testing"

func TestImplGeneric(t *testing.T) {
	if Impl() != "generic" {
		t.Errorf("Impl() = %q without assembly, want generic", Impl())
	}
}
