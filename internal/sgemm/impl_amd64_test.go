//go:build amd64 && !purego

package sgemm

import (
	"testing"

	"golang.org/x/sys/cpu"
)

func TestImplAMD64(t *testing.T) {
	want := "generic"
	switch {
	case cpu.X86.HasAVX512F:
		want = "avx512"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		want = "avx2fma"
	}
	if Impl() != want {
		t.Errorf("Impl() = %q on this CPU, want %q", Impl(), want)
	}
	t.Logf("Impl() = %s", Impl())
}
