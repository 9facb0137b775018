package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// internals are the internal helper packages.
var internals = []string{
	"internal/atomicfile", "internal/fft2", "internal/imageio", "internal/npy",
	"internal/plotting", "internal/progress", "internal/sgemm",
}

// allowed lists, for every package of the module (path relative to the
// module), the dipgp packages it may import directly. A package missing
// from the table fails the test: add it with its layer. "*" allows every
// package except those of cmd/.
var allowed = map[string][]string{
	"arch":   nil,
	"data":   nil,
	"kernel": {"arch"},
	"gp":     append([]string{"arch", "kernel"}, internals...),
	"nn":     {"arch", "internal/sgemm", "internal/npy", "internal/atomicfile"},
	// netinit computes and stores data; its figures and tables are
	// internal/checkreport's.
	"netinit": {"arch", "kernel", "nn", "internal/atomicfile", "internal/fft2", "internal/npy"},
	"dip":     append([]string{"arch", "kernel", "gp", "nn"}, internals...),

	"experiments":      {"*"},
	"cmd/dipgp":        {"*"},
	"bench/nnbench":    {"*"},
	"bench/linsummary": {"*"},
	"bench/ntkwidth":   {"*"},

	"internal/atomicfile": nil,
	"internal/fft2":       nil,
	"internal/progress":   nil,
	"internal/sgemm":      nil,
	"internal/imageio":    {"internal/atomicfile"},
	"internal/npy":        {"internal/atomicfile"},
	"internal/plotting":   {"internal/atomicfile"},
	"internal/repocheck":  nil,
	"internal/checkreport": {"arch", "kernel", "netinit", "internal/atomicfile", "internal/npy",
		"internal/plotting"},
}

// testOnly are the packages any package's tests may import besides what
// the package itself may: the embedded test images and the description of
// architectures that tests build.
var testOnly = []string{"data", "arch"}

func may(pkg, imp string, test bool) bool {
	if imp == pkg {
		return true // an external test package imports the package it tests
	}
	a := allowed[pkg]
	if slices.Contains(a, "*") {
		return !strings.HasPrefix(imp, "cmd/")
	}
	if slices.Contains(a, imp) {
		return true
	}
	if !test {
		return false
	}
	if strings.HasPrefix(pkg, "internal/") {
		return imp == "data" // internal tests read the test images, nothing else
	}
	return slices.Contains(testOnly, imp)
}

type listed struct {
	path                 string
	imports, testImports []string
}

// listPackages runs go list over the module and returns every package with
// its direct dipgp imports (relative to the module), non-test and test.
func listPackages(t *testing.T) []listed {
	t.Helper()
	root := repoRoot(t)
	cmd := exec.Command(goTool(t), "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .TestImports \" \"}} {{join .XTestImports \" \"}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, stderr.String())
	}
	rel := func(s string) []string {
		var r []string
		for _, f := range strings.Fields(s) {
			if p, ok := strings.CutPrefix(f, module+"/"); ok {
				r = append(r, p)
			} else if f == module {
				r = append(r, ".")
			}
		}
		return r
	}
	var pkgs []listed
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		p := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		pkgs = append(pkgs, listed{path: p, imports: rel(f[1]), testImports: rel(f[2])})
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		if _, ok := allowed[p.path]; !ok {
			t.Errorf("package %s is not in the import table of internal/repocheck/imports_test.go: add it with the dipgp packages it may import (and state them in its doc.go)", p.path)
			continue
		}
		for _, imp := range p.imports {
			if !may(p.path, imp, false) {
				t.Errorf("%s imports %s, which the layering forbids (allowed: %v; see its doc.go)", p.path, imp, allowed[p.path])
			}
		}
		for _, imp := range p.testImports {
			if !may(p.path, imp, true) {
				t.Errorf("the tests of %s import %s, which the layering forbids", p.path, imp)
			}
		}
	}
}

// mustNot matches the doc.go sentences that name forbidden imports, such as
// "it must not import gp, nn, netinit, dip, experiments or cmd."
var mustNot = regexp.MustCompile(`(?s)must\s+not\s+import\s+([^.;]*)`)

// TestImportRulesMatchDocs reads every package's doc.go and checks that no
// package its "must not import" sentence names is allowed by the table, so
// that the table and the documented rules cannot drift apart.
func TestImportRulesMatchDocs(t *testing.T) {
	root := repoRoot(t)
	names := map[string]string{}
	for p := range allowed {
		names[filepath.Base(p)] = p
	}
	checked := 0
	for pkg := range allowed {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(pkg), "doc.go"))
		if err != nil {
			continue
		}
		text := strings.ReplaceAll(string(b), "\n//", "")
		for _, m := range mustNot.FindAllStringSubmatch(text, -1) {
			list := strings.NewReplacer(" or ", ",", " and ", ",").Replace(m[1])
			for _, w := range strings.Split(list, ",") {
				w = strings.TrimSpace(w)
				if strings.HasPrefix(w, "any") {
					continue // "any (other) dipgp package": the table's own list decides
				}
				var forbidden []string
				if w == "cmd" {
					for p := range allowed {
						if strings.HasPrefix(p, "cmd/") {
							forbidden = append(forbidden, p)
						}
					}
				} else if p, ok := names[w]; ok {
					forbidden = []string{p}
				} else {
					t.Errorf("%s/doc.go: must not import %q, which is no package of the module", pkg, w)
					continue
				}
				for _, f := range forbidden {
					checked++
					if may(pkg, f, false) {
						t.Errorf("%s/doc.go says it must not import %s, but the import table allows it", pkg, f)
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d documented import rules found in the doc.go files", checked)
	}
}
