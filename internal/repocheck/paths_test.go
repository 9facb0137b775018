package repocheck

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// outside lists the ways a file can refer to a path outside the
// repository. They are built from parts so that this file does not match
// itself.
var outside = []string{
	".." + "/shared",                             // the project workspace beside the clone
	"/" + "work/",                                // the workspace of the machine it was written on
	"/" + "home/", "/" + "Users/", "/" + "root/", // home directories
	"~" + "/", // a home directory, shell style
}

// trackedFiles returns the files of the repository: git's tracked files
// when git is there, else every file under the root except .git and the
// ignored output folder out/.
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	if git, err := exec.LookPath("git"); err == nil {
		cmd := exec.Command(git, "ls-files", "-z")
		cmd.Dir = root
		if out, err := cmd.Output(); err == nil {
			var files []string
			for _, f := range strings.Split(string(out), "\x00") {
				if f != "" {
					files = append(files, f)
				}
			}
			if len(files) > 0 {
				return files
			}
		}
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(root, p)
		if d.IsDir() && (r == ".git" || r == "out") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files = append(files, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestNoPathsOutsideRepository(t *testing.T) {
	root := repoRoot(t)
	files := trackedFiles(t, root)
	if len(files) < 50 {
		t.Fatalf("only %d files found in %s", len(files), root)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the working tree, not yet in git
			}
			t.Fatal(err)
		}
		if bytes.IndexByte(b, 0) >= 0 {
			continue // binary (images)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, o := range outside {
				if strings.Contains(line, o) {
					t.Errorf("%s:%d refers to %q, a path outside the repository; a clone alone must hold what it refers to: %s", f, i+1, o, strings.TrimSpace(line))
				}
			}
		}
	}
}
