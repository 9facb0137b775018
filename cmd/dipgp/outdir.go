package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// prepareOut makes the output folder out ready for a run and refuses what
// would lose files:
//
//   - out (or anything under it) is one of the run's inputs: an output
//     could replace an input, with or without --force;
//   - out is a folder that is not empty (it holds an earlier run's files,
//     which would mix with this run's), unless --force or keep (a
//     --resume that continues the run in it).
//
// Inputs that do not exist (empty strings, preset names) are skipped.
func prepareOut(out string, g *Globals, keep bool, inputs ...string) error {
	if out == "" {
		return fmt.Errorf("--out is empty; give an output folder")
	}
	absOut, err := realPath(out)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if _, err := os.Stat(in); in == "" || err != nil {
			continue // not a file: a preset name, or nothing given
		}
		absIn, err := realPath(in)
		if err != nil {
			return err
		}
		if absIn == absOut || strings.HasPrefix(absIn, absOut+string(filepath.Separator)) {
			return fmt.Errorf("the output folder %s holds the input %s, which an output could replace; give another --out", out, in)
		}
	}
	st, err := os.Stat(out)
	switch {
	case os.IsNotExist(err):
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		createdOuts = append(createdOuts, out)
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("--out %s is a file, not a folder", out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	if len(entries) == 0 || keep || (g != nil && g.Force) {
		return nil
	}
	var names []string
	for i, e := range entries {
		if i == 4 {
			names = append(names, fmt.Sprintf("and %d more", len(entries)-4))
			break
		}
		names = append(names, e.Name())
	}
	return fmt.Errorf("the output folder %s is not empty (it holds %s, from another run) and its files would mix with this run's: give a new --out, or --force to write into it anyway (files of the same names are replaced, the others stay)", out, strings.Join(names, ", "))
}

// realPath returns the absolute path of p with symbolic links resolved as
// far as p exists.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	// Resolve the longest existing prefix.
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// createdOuts are the output folders prepareOut created in this process.
var createdOuts []string

// removeEmptyOuts removes the output folders this process created that are
// still empty: a command that fails before writing leaves nothing behind.
// os.Remove refuses a folder with files in it, so nothing written is lost.
func removeEmptyOuts() {
	for _, out := range createdOuts {
		os.Remove(out)
	}
	createdOuts = nil
}
