package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/netinit"
)

// This file is the one home of --arch parsing for every command: presets
// and files, the number of axes, and the changes commands make to an
// architecture (--width, --widths, output channels). A file is taken as
// written: changes edit its layers, never rebuild it from the preset its
// name: field may name (it may have been edited since 'dipgp arch show').

// cliArch is a parsed --arch.
type cliArch struct {
	arch.Arch
	// File is the path when --arch named a YAML/JSON file.
	File string
}

// loadArch parses --arch (a preset or a file) and checks the number of
// axes when dims is not 0.
func loadArch(spec string, dims int) (cliArch, error) {
	name, _, _ := strings.Cut(strings.TrimSpace(spec), ":")
	isPreset := slices.Contains(arch.PresetNames(), name)
	if !isPreset {
		if b, err := os.ReadFile(spec); err == nil && len(bytes.TrimSpace(b)) == 0 {
			return cliArch{}, fmt.Errorf("arch: file %s is empty; write an architecture in it ('dipgp arch show --arch PRESET > %s' gives one to edit) or give a preset", spec, spec)
		}
	}
	a, err := arch.Parse(spec)
	if err != nil {
		return cliArch{}, err
	}
	c := cliArch{Arch: a}
	if !isPreset {
		c.File = spec
		// The name: field is a free label; keep it out of reach of
		// arch.WithPresetKey, which would rebuild the preset it names.
		if n, _, _ := strings.Cut(a.Name, ":"); slices.Contains(arch.PresetNames(), n) {
			c.Name = spec + " (" + a.Name + ", as in the file)"
		}
	}
	if dims != 0 && a.Dims != dims {
		return cliArch{}, fmt.Errorf("architecture %q is %d-D; this command needs a %d-D architecture (images: dims=2)", spec, a.Dims, dims)
	}
	return c, nil
}

// withWidth returns the architecture at a new width: for a preset, keys
// (e.g. channels) set to width; for a file, every conv whose output
// channels equal the file's width (its widest conv) set to width.
func (c cliArch) withWidth(width int, keys []string) (cliArch, error) {
	if width < 1 {
		return c, fmt.Errorf("--width %d must be a positive number of channels", width)
	}
	if c.File == "" {
		a := c.Arch
		var err error
		for _, key := range keys {
			if a, err = arch.WithPresetKey(a, strings.TrimSpace(key), strconv.Itoa(width)); err != nil {
				return c, err
			}
		}
		return cliArch{Arch: a}, nil
	}
	old := netinit.Width(c.Arch)
	out := c
	out.Layers = mapConvs(c.Layers, func(cv arch.Conv) arch.Conv {
		if cv.Out == old {
			cv.Out = width
		}
		return cv
	})
	out.Name = fmt.Sprintf("%s, width %d", c.File, width)
	if err := out.Validate(nil); err != nil {
		return c, err
	}
	return out, nil
}

// withOutChannels returns the architecture with n output channels: the
// preset's out_channels key, or the last conv of a file.
func (c cliArch) withOutChannels(n int) (cliArch, error) {
	if c.File == "" {
		a, err := arch.WithPresetKey(c.Arch, "out_channels", strconv.Itoa(n))
		return cliArch{Arch: a}, err
	}
	out := c
	out.Layers = slices.Clone(c.Layers)
	for i := len(out.Layers) - 1; i >= 0; i-- {
		if cv, ok := out.Layers[i].(arch.Conv); ok {
			cv.Out = n
			out.Layers[i] = cv
			return out, out.Validate(nil)
		}
	}
	return c, fmt.Errorf("architecture file %s has no conv at its top level to set to %d output channels; edit the file", c.File, n)
}

// mapConvs returns a copy of ls with f applied to every conv, branches
// included.
func mapConvs(ls []arch.Layer, f func(arch.Conv) arch.Conv) []arch.Layer {
	out := make([]arch.Layer, len(ls))
	for i, l := range ls {
		switch l := l.(type) {
		case arch.Conv:
			out[i] = f(l)
		case arch.Concat:
			l.Branch = mapConvs(l.Branch, f)
			out[i] = l
		default:
			out[i] = l
		}
	}
	return out
}

// widthLabel formats an optional --width.
func widthLabel(w *int) string {
	if w == nil {
		return "as given"
	}
	return strconv.Itoa(*w)
}
