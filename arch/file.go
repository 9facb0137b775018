package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileLayer is the YAML/JSON form of a layer: exactly one field is set.
type fileLayer struct {
	Conv      *Conv       `yaml:"conv,omitempty" json:"conv,omitempty"`
	Act       *Act        `yaml:"act,omitempty" json:"act,omitempty"`
	Pool      *Pool       `yaml:"pool,omitempty" json:"pool,omitempty"`
	Upsample  *Upsample   `yaml:"upsample,omitempty" json:"upsample,omitempty"`
	BatchNorm *BatchNorm  `yaml:"batchnorm,omitempty" json:"batchnorm,omitempty"`
	Save      *Save       `yaml:"save,omitempty" json:"save,omitempty"`
	Concat    *fileConcat `yaml:"concat,omitempty" json:"concat,omitempty"`
	Dense     *Dense      `yaml:"dense,omitempty" json:"dense,omitempty"`
}

type fileConcat struct {
	From   string      `yaml:"from" json:"from"`
	Branch []fileLayer `yaml:"branch,omitempty" json:"branch,omitempty"`
}

type fileArch struct {
	Name   string      `yaml:"name,omitempty" json:"name,omitempty"`
	Dims   int         `yaml:"dims" json:"dims"`
	Input  Input       `yaml:"input" json:"input"`
	Init   Init        `yaml:"init" json:"init"`
	Param  Param       `yaml:"param" json:"param"`
	Pad    Padding     `yaml:"pad" json:"pad"`
	Layers []fileLayer `yaml:"layers" json:"layers"`
}

func toFile(ls []Layer) []fileLayer {
	out := make([]fileLayer, len(ls))
	for i, l := range ls {
		if l != nil {
			l.accept(fileWriter{&out[i]})
		}
	}
	return out
}

// fileWriter sets the field of a fileLayer for the kind of a layer.
type fileWriter struct{ f *fileLayer }

func (w fileWriter) Conv(l Conv) error           { w.f.Conv = &l; return nil }
func (w fileWriter) Act(l Act) error             { w.f.Act = &l; return nil }
func (w fileWriter) Pool(l Pool) error           { w.f.Pool = &l; return nil }
func (w fileWriter) Upsample(l Upsample) error   { w.f.Upsample = &l; return nil }
func (w fileWriter) BatchNorm(l BatchNorm) error { w.f.BatchNorm = &l; return nil }
func (w fileWriter) Save(l Save) error           { w.f.Save = &l; return nil }
func (w fileWriter) Concat(l Concat) error {
	w.f.Concat = &fileConcat{From: l.From, Branch: toFile(l.Branch)}
	return nil
}

func fromFile(fl []fileLayer, path string) ([]Layer, error) {
	out := make([]Layer, len(fl))
	for i, f := range fl {
		where := fmt.Sprintf("%s[%d]", path, i)
		n := 0
		if f.Conv != nil {
			out[i], n = *f.Conv, n+1
		}
		if f.Act != nil {
			out[i], n = *f.Act, n+1
		}
		if f.Pool != nil {
			out[i], n = *f.Pool, n+1
		}
		if f.Upsample != nil {
			out[i], n = *f.Upsample, n+1
		}
		if f.BatchNorm != nil {
			out[i], n = *f.BatchNorm, n+1
		}
		if f.Save != nil {
			out[i], n = *f.Save, n+1
		}
		if f.Dense != nil {
			out[i], n = *f.Dense, n+1
		}
		if f.Concat != nil {
			b, err := fromFile(f.Concat.Branch, where+".concat.branch")
			if err != nil {
				return nil, err
			}
			out[i], n = Concat{From: f.Concat.From, Branch: b}, n+1
		}
		if n != 1 {
			return nil, errorf("%s: a layer must have exactly one of conv, act, pool, upsample, batchnorm, save, concat, dense (found %d)", where, n)
		}
	}
	return out, nil
}

// MarshalYAML writes the architecture with its layers as a list of
// one-key maps (- conv: {out: 128, k: 3, stride: 1, bias: true}).
func (a Arch) MarshalYAML() (any, error) {
	return fileArch{a.Name, a.Dims, a.Input, a.Init, a.Param, a.Pad, toFile(a.Layers)}, nil
}

// MarshalJSON writes the same structure as MarshalYAML.
func (a Arch) MarshalJSON() ([]byte, error) {
	return json.Marshal(fileArch{a.Name, a.Dims, a.Input, a.Init, a.Param, a.Pad, toFile(a.Layers)})
}

func (f fileArch) arch() (Arch, error) {
	ls, err := fromFile(f.Layers, "layers")
	if err != nil {
		return Arch{}, err
	}
	return Arch{Name: f.Name, Dims: f.Dims, Input: f.Input, Init: f.Init, Param: f.Param, Pad: f.Pad, Layers: ls}, nil
}

// UnmarshalYAML reads the form written by MarshalYAML; unknown fields are
// errors.
func (a *Arch) UnmarshalYAML(n *yaml.Node) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	var f fileArch
	if err := dec.Decode(&f); err != nil {
		return errorf("%v", err)
	}
	b, err := f.arch()
	if err != nil {
		return err
	}
	*a = b
	return nil
}

// UnmarshalJSON reads the form written by MarshalJSON; unknown fields are
// errors.
func (a *Arch) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileArch
	if err := dec.Decode(&f); err != nil {
		return errorf("%v", err)
	}
	b, err := f.arch()
	if err != nil {
		return err
	}
	*a = b
	return nil
}

// YAML returns the architecture as YAML text that Decode reads back to the
// same architecture.
func (a Arch) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(a); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads an architecture from YAML or JSON text and validates
// everything that does not depend on the image size.
func Decode(data []byte) (Arch, error) {
	var a Arch
	trim := bytes.TrimSpace(data)
	var err error
	if len(trim) > 0 && trim[0] == '{' {
		err = json.Unmarshal(trim, &a)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(&a)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return Arch{}, err
	}
	if err := a.Validate(nil); err != nil {
		return Arch{}, err
	}
	return a, nil
}

// Parse reads an architecture from a spec: a preset ("dip-skip",
// "dip-skip:scales=3,channels=64") or the path of a YAML or JSON file.
func Parse(spec string) (Arch, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Arch{}, errorf("empty architecture; give a preset (see 'dipgp arch list') or a YAML/JSON file")
	}
	name, _, _ := strings.Cut(spec, ":")
	if _, ok := presets[name]; ok {
		return ParsePreset(spec)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		if os.IsNotExist(err) {
			return Arch{}, errorf("%q is neither a preset (%s) nor an existing file", spec, strings.Join(PresetNames(), ", "))
		}
		return Arch{}, errorf("%v", err)
	}
	a, err := Decode(data)
	if err != nil {
		return Arch{}, withSource(err, spec)
	}
	if a.Name == "" {
		a.Name = spec
	}
	return a, nil
}
