package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/dipgp/dipgp/arch"
)

func init() {
	register("arch", "List the architecture presets and show expanded architectures.", &archCmd{})
}

type archCmd struct {
	List archListCmd `cmd:"" help:"List the presets with their keys and defaults."`
	Show archShowCmd `cmd:"" help:"Print an architecture's expanded layer list as YAML (it loads back to the same architecture)."`
}

type archListCmd struct{}

func (archListCmd) Run() error { return writePresets(os.Stdout) }

func writePresets(w io.Writer) error {
	for _, p := range arch.Presets() {
		fmt.Fprintf(w, "%s\n    %s\n", p.Name, p.Doc)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range p.Keys {
			def := k.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\n", k.Name, def, k.Doc)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Use as PRESET or PRESET:key=value,key=value, e.g. --arch dip-skip:scales=3,channels=64,up=nearest")
	return nil
}

type archShowCmd struct {
	Arch string `help:"Preset (PRESET:key=value,...) or YAML/JSON file." default:"dip-skip"`
	Size string `help:"Optionally validate for this output size (N, HxW or S for SxS)."`
	JSON bool   `help:"Print JSON instead of YAML." name:"json"`
}

func (c archShowCmd) Run() error {
	a, err := parseArch(c.Arch, 0)
	if err != nil {
		return err
	}
	if c.Size != "" {
		size, err := parseSize(c.Size, a.Dims)
		if err != nil {
			return err
		}
		if err := a.Validate(size); err != nil {
			return err
		}
	}
	var out []byte
	if c.JSON {
		out, err = a.MarshalJSON()
		out = append(out, '\n')
	} else {
		out, err = a.YAML()
	}
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
