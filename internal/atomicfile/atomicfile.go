package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is an in-progress atomic write. Write data to it, then call Close to
// commit it to the destination path or Abort to discard it. Exactly one of
// Close or Abort takes effect; later calls are no-ops returning nil (Close
// after Abort returns an error, since nothing was committed).
//
// A File is not safe for concurrent use.
type File struct {
	f       *os.File
	path    string
	perm    os.FileMode
	done    bool
	aborted bool
}

// Create starts an atomic write to path with permission 0644. The directory
// of path must exist. The returned File writes to a temporary file named
// .<base>.tmp-* in the same directory; the destination is replaced only by a
// successful Close.
func Create(path string) (*File, error) {
	return CreatePerm(path, 0o644)
}

// CreatePerm is like Create but sets the permission bits of the committed
// file to perm (not subject to the umask).
func CreatePerm(path string, perm os.FileMode) (*File, error) {
	if path == "" {
		return nil, errors.New("atomicfile: empty path; pass the destination file name")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, fmt.Errorf("atomicfile: path %q names a directory; pass a file name", path)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("atomicfile: %q is an existing directory; pass a file name", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: cannot create temporary file for %q (does the directory exist and is it writable?): %w", path, err)
	}
	return &File{f: f, path: path, perm: perm}, nil
}

// Name returns the destination path given to Create.
func (f *File) Name() string { return f.path }

// Write writes p to the temporary file. It implements io.Writer.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("atomicfile: write to %q after Close or Abort", f.path)
	}
	return f.f.Write(p)
}

// Close flushes the temporary file to disk, sets its permissions, and renames
// it over the destination path. If any step fails the temporary file is
// removed, the destination is left untouched, and the error is returned.
func (f *File) Close() error {
	if f.done {
		if f.aborted {
			return fmt.Errorf("atomicfile: Close of %q after Abort; nothing was written", f.path)
		}
		return nil
	}
	f.done = true
	tmp := f.f.Name()
	fail := func(err error) error {
		f.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: writing %q: %w", f.path, err)
	}
	if err := f.f.Chmod(f.perm); err != nil {
		return fail(err)
	}
	if err := f.f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: writing %q: %w", f.path, err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: renaming into %q: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abort discards everything written so far and removes the temporary file.
// The destination is left untouched. Abort after Close is a no-op, so
// `defer f.Abort()` is a safe cleanup pattern.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	f.aborted = true
	tmp := f.f.Name()
	cerr := f.f.Close()
	rerr := os.Remove(tmp)
	if rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return fmt.Errorf("atomicfile: removing temporary file %q: %w", tmp, rerr)
	}
	_ = cerr
	return nil
}

// WriteFile atomically replaces the file at path with data, creating it with
// permission perm if needed. It is the atomic analogue of os.WriteFile.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := CreatePerm(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("atomicfile: writing %q: %w", path, err)
	}
	return f.Close()
}

// syncDir fsyncs a directory so that a completed rename survives a crash.
// Errors are ignored: some file systems do not support syncing directories,
// and the rename itself has already succeeded.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
