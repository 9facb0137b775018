// Package data holds the test images of the papers dipgp reproduces
// (images/, with their provenance in images/README.md), embedded in the
// binary so that a clone of the repository, and every program built from
// it, finds them from any working directory without flags.
//
// data imports no dipgp package, so that any package, internal ones
// included, may use it in its tests.
package data

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed images
var embedded embed.FS

// Images is the embedded test image set as a file system rooted at
// data/images: names are slash-separated paths such as "cameraman256.png",
// "denoising9/kodim01.png" or "bernoulli11/house_mask.png".
var Images fs.FS = mustSub(embedded, "images")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // unreachable: dir is embedded above
	}
	return s
}

// ReadImage returns the bytes of the embedded test image with the given
// name (a path relative to data/images). An unknown name gives an error
// that lists the images there are.
func ReadImage(name string) ([]byte, error) {
	b, err := fs.ReadFile(Images, name)
	if err != nil {
		return nil, fmt.Errorf("data: no embedded test image %q; there are: %s", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Names returns the names of all embedded images (PNG files), sorted.
func Names() []string {
	var names []string
	_ = fs.WalkDir(Images, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".png") {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	return names
}
