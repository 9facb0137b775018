package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCPUProfileFlag runs a small kernel with --cpu-profile and checks that
// the file is non-empty gzip data (pprof's format), and that
// an unwritable profile path is one clear error before any work.
func TestCPUProfileFlag(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.pprof")
	if code := run([]string{"-q", "--cpu-profile", prof, "kernel", "--arch", "conv-stack:dims=1,depth=2", "--size", "32", "--out", filepath.Join(dir, "k")}); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	raw, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("profile is not gzip data: %v", err)
	}
	body, err := io.ReadAll(z)
	if err != nil || len(body) == 0 {
		t.Fatalf("profile body: %d bytes, %v", len(body), err)
	}
	bad := filepath.Join(dir, "missing", "cpu.pprof")
	if code := run([]string{"-q", "--cpu-profile", bad, "kernel", "--arch", "conv-stack:dims=1,depth=2", "--size", "32", "--out", filepath.Join(dir, "k2")}); code != 1 {
		t.Errorf("unwritable profile path: exit code %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "k2")); err == nil {
		t.Error("the refused run created its output folder")
	}
}
