package data

import (
	"bytes"
	"crypto/sha256"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImagesMatchFiles checks that the embedded set is the folder on disk,
// file by file, and that every image decodes.
func TestImagesMatchFiles(t *testing.T) {
	names := Names()
	// The images the experiments read, and one of each folder.
	for _, want := range []string{"cameraman256.png", "house256rgb.png", "triangle-0.2.png", "triangle-0.9.png",
		"denoising9/kodim01.png", "bernoulli11/house_mask.png", "cheng-inpainting64/mask64.png"} {
		if _, err := ReadImage(want); err != nil {
			t.Error(err)
		}
	}
	var onDisk []string
	err := filepath.WalkDir("images", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".png") {
			onDisk = append(onDisk, filepath.ToSlash(strings.TrimPrefix(p, "images"+string(filepath.Separator))))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != len(names) {
		t.Fatalf("%d images on disk, %d embedded", len(onDisk), len(names))
	}
	for _, n := range names {
		b, err := ReadImage(n)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.ReadFile(filepath.Join("images", filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(b) != sha256.Sum256(f) {
			t.Errorf("%s: embedded bytes differ from the file", n)
		}
		if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestReadImageUnknown(t *testing.T) {
	_, err := ReadImage("no-such.png")
	if err == nil || !strings.Contains(err.Error(), "cameraman256.png") {
		t.Fatalf("error %v should list the images there are", err)
	}
}
