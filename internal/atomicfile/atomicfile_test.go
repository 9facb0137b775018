package atomicfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.bin")
	data := []byte("hello, atomic world")
	if err := WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("content %q, want %q", got, data)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("perm %v, want 0600", fi.Mode().Perm())
	}
	// Overwrite with shorter content.
	if err := WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(p)
	if string(got) != "x" {
		t.Fatalf("after overwrite: %q", got)
	}
	if n := listDir(t, dir); len(n) != 1 {
		t.Errorf("leftover files: %v", n)
	}
}

func TestCreateAbortKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "new partial content")
	// Before commit the destination is unchanged.
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("destination changed before Close: %q", got)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("destination changed by Abort: %q", got)
	}
	if n := listDir(t, dir); len(n) != 1 {
		t.Errorf("leftover files after Abort: %v", n)
	}
	if err := f.Close(); err == nil {
		t.Error("Close after Abort should report an error")
	}
	if _, err := f.Write([]byte("z")); err == nil {
		t.Error("Write after Abort should fail")
	}
}

func TestCreateClose(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.txt")
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort() // no-op after Close
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(f, "%d\n", i)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("destination exists before Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	var want bytes.Buffer
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&want, "%d\n", i)
	}
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("content mismatch")
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("perm %v, want 0644", fi.Mode().Perm())
	}
	if f.Name() != p {
		t.Errorf("Name %q", f.Name())
	}
	if n := listDir(t, dir); len(n) != 1 {
		t.Errorf("leftover files: %v", n)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "missing", "x"), []byte("a"), 0o644); err == nil {
		t.Error("missing directory: want error")
	}
	if err := WriteFile(dir, []byte("a"), 0o644); err == nil {
		t.Error("directory destination: want error")
	}
	if _, err := Create(""); err == nil {
		t.Error("empty path: want error")
	}
	if _, err := Create(dir + "/"); err == nil {
		t.Error("trailing slash: want error")
	}
}

func TestRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteFile("rel.txt", []byte("r"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "rel.txt")); string(got) != "r" {
		t.Fatalf("got %q", got)
	}
}
