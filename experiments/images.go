package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/imageio"
)

// testImage returns the test image file from Config.Images with the given
// number of channels (1: converted to grey), centre-cropped to side x side
// (0: the whole image). When the file is missing, Tiny and Quick use
// imageio.Synthetic of the same size (256 when side is 0) and note it; Full
// fails. It also returns a description of the source for the report.
func (e *env) testImage(file string, side, channels int) (imageio.Image, string, error) {
	path := filepath.Join(e.cfg.Images, file)
	if e.cfg.Images == "" {
		path = ""
	}
	var img imageio.Image
	var err error
	if path != "" {
		if _, serr := os.Stat(path); serr != nil {
			err = serr
		} else {
			img, err = imageio.Load(path)
		}
	} else {
		err = fmt.Errorf("no image folder given")
	}
	if err != nil {
		if e.cfg.Mode == Full {
			return imageio.Image{}, "", fmt.Errorf("test image %s not found in %q (%v): give --images DIR, the folder holding the papers' test images (%s), or run --quick, which falls back to a synthetic image", file, e.cfg.Images, err, strings.Join(e.x.Images, ", "))
		}
		s := side
		if s == 0 {
			s = 256
		}
		e.note("test image %s not found in %q (%v): using imageio.Synthetic(%d, %d, %d) instead; numbers are not comparable with the paper's", file, e.cfg.Images, err, s, s, channels)
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
