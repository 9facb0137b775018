package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/data"
	"github.com/dipgp/dipgp/internal/imageio"
)

// testImage returns the test image file with the given number of channels
// (1: converted to grey), centre-cropped to side x side (0: the whole
// image). It reads the file from the folder Config.Images or, when that is
// empty, from the images embedded in package data. A file missing from a
// folder the user named is an error in every mode. A file missing from the
// embedded set makes Tiny and Quick use imageio.Synthetic of the same size
// (256 when side is 0) and note it; Full fails. It also returns a
// description of the source for the report.
func (e *env) testImage(file string, side, channels int) (imageio.Image, string, error) {
	img, where, err := loadTestImage(e.cfg.Images, file)
	if err != nil {
		if e.cfg.Images != "" {
			return imageio.Image{}, "", fmt.Errorf("test image %s not found in the --images folder %s (%v): put the papers' test images (%s) there, or leave --images out to use the set embedded in dipgp", file, where, err, strings.Join(e.x.Images, ", "))
		}
		if e.cfg.Mode == Full {
			return imageio.Image{}, "", fmt.Errorf("test image %s not found in %s (%v): give --images DIR, the folder holding the papers' test images (%s), leave --images out to use the embedded set, or run --quick, which falls back to a synthetic image", file, where, err, strings.Join(e.x.Images, ", "))
		}
		s := side
		if s == 0 {
			s = 256
		}
		e.note("test image %s not found in %s (%v): using imageio.Synthetic(%d, %d, %d) instead; numbers are not comparable with the paper's", file, where, err, s, s, channels)
		return imageio.Synthetic(s, s, channels), fmt.Sprintf("synthetic %dx%d test image (imageio.Synthetic; %s was not found)", s, s, file), nil
	}
	src := file
	if channels == 1 && img.C == 3 {
		img = img.ToGray()
		src += " (converted to grey)"
	} else if channels == 3 && img.C == 1 {
		e.note("%s is grey; using one channel instead of three", file)
	}
	if side > 0 && (side < img.W || side < img.H) {
		c, err := imageio.CenterCrop(img, side, side)
		if err != nil {
			return imageio.Image{}, "", fmt.Errorf("cropping %s: %w", file, err)
		}
		img = c
		src = fmt.Sprintf("%s, centre %dx%d crop", src, side, side)
	}
	return img, src, nil
}

// checkImageDir returns an error unless dir, a folder the user named for
// the test images, exists and holds at least one of the files (or
// sub-folders, ending in "/") in need, the images of the experiment name.
// An empty dir (the embedded set) or an empty need passes.
func checkImageDir(dir, name string, need []string) error {
	if dir == "" || len(need) == 0 {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("experiments: the --images folder %q cannot be read (%v): give the folder that holds the papers' test images (%s), or leave --images out to use the set embedded in dipgp", dir, err, strings.Join(need, ", "))
	}
	if !st.IsDir() {
		return fmt.Errorf("experiments: --images %q is a file, not a folder: give the folder that holds the papers' test images (%s), or leave --images out to use the set embedded in dipgp", dir, strings.Join(need, ", "))
	}
	for _, f := range need {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("experiments: the --images folder %q holds none of the images %s needs (%s): put them there, give the folder that holds them, or leave --images out to use the set embedded in dipgp", dir, name, strings.Join(need, ", "))
}

// loadTestImage reads file from the folder dir, or from the embedded
// images of package data when dir is empty. where describes the source for
// messages.
func loadTestImage(dir, file string) (img imageio.Image, where string, err error) {
	if dir == "" {
		img, err = imageio.LoadFS(data.Images, file)
		return img, "the embedded test images (data/images)", err
	}
	where = strconv.Quote(dir)
	path := filepath.Join(dir, file)
	if _, err := os.Stat(path); err != nil {
		return img, where, err
	}
	img, err = imageio.Load(path)
	return img, where, err
}

// parseArch parses an architecture spec and validates it for the size.
func parseArch(spec string, size []int) (arch.Arch, error) {
	a, err := arch.Parse(spec)
	if err != nil {
		return arch.Arch{}, err
	}
	if err := a.Validate(size); err != nil {
		return arch.Arch{}, fmt.Errorf("%s at size %v: %w", spec, size, err)
	}
	return a, nil
}
