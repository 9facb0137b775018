package arch

import (
	"sort"
	"strconv"
	"strings"
)

// PresetKey documents one key of a preset.
type PresetKey struct {
	// Name is the key as written in "preset:name=value".
	Name string
	// Default is the value used when the key is not given.
	Default string
	// Doc says what the key does and which values it takes.
	Doc string
}

// Preset is a named family of architectures with documented keys.
type Preset struct {
	// Name is the preset's name ("dip-skip").
	Name string
	// Doc describes the architecture.
	Doc string
	// Keys are the preset's parameters with their defaults.
	Keys []PresetKey

	build func(p *params) (Arch, error)
}

var presets = map[string]Preset{}

func register(p Preset) { presets[p.Name] = p }

// Presets returns all presets sorted by name.
func Presets() []Preset {
	out := make([]Preset, 0, len(presets))
	for _, p := range presets {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PresetNames returns the names of all presets, sorted.
func PresetNames() []string {
	var out []string
	for _, p := range Presets() {
		out = append(out, p.Name)
	}
	return out
}

// ParsePreset builds a preset from "name" or "name:key=value,key=value".
// Unknown presets, unknown keys and malformed values are errors that list
// what is accepted.
func ParsePreset(spec string) (Arch, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	p, ok := presets[name]
	if !ok {
		return Arch{}, errorf("unknown preset %q; presets are %s", name, strings.Join(PresetNames(), ", "))
	}
	pr := &params{preset: p, vals: map[string]string{}, used: map[string]bool{}}
	if rest = strings.TrimSpace(rest); rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return Arch{}, errorf("preset %s: %q is not key=value; write e.g. %s:%s=%s", name, kv, name, p.Keys[0].Name, p.Keys[0].Default)
			}
			if _, dup := pr.vals[k]; dup {
				return Arch{}, errorf("preset %s: key %q is given twice", name, k)
			}
			pr.vals[k] = v
		}
	}
	for k := range pr.vals {
		if pr.key(k) == nil {
			var names []string
			for _, key := range p.Keys {
				names = append(names, key.Name)
			}
			return Arch{}, errorf("preset %s has no key %q; its keys are %s (see 'dipgp arch list')", name, k, strings.Join(names, ", "))
		}
	}
	a, err := p.build(pr)
	if err != nil {
		return Arch{}, err
	}
	if pr.err != nil {
		return Arch{}, pr.err
	}
	a.Name = strings.TrimSpace(spec)
	if err := a.Validate(nil); err != nil {
		return Arch{}, withSource(err, "preset "+spec)
	}
	return a, nil
}

type params struct {
	preset Preset
	vals   map[string]string
	used   map[string]bool
	err    error
}

func (p *params) key(k string) *PresetKey {
	for i := range p.preset.Keys {
		if p.preset.Keys[i].Name == k {
			return &p.preset.Keys[i]
		}
	}
	return nil
}

func (p *params) raw(k string) string {
	key := p.key(k)
	if key == nil {
		panic("arch: preset " + p.preset.Name + " reads undeclared key " + k)
	}
	if v, ok := p.vals[k]; ok {
		return v
	}
	return key.Default
}

func (p *params) fail(k, v, want string) {
	if p.err == nil {
		p.err = errorf("preset %s: %s=%s is not valid; %s", p.preset.Name, k, v, want)
	}
}

func (p *params) int(k string) int {
	v := p.raw(k)
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(k, v, "give a whole number")
	}
	return n
}

func (p *params) posInt(k string) int {
	n := p.int(k)
	if n <= 0 {
		p.fail(k, p.raw(k), "give a positive whole number")
	}
	return n
}

func (p *params) float(k string) float64 {
	v := p.raw(k)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !finite(f) {
		p.fail(k, v, "give a finite number")
	}
	return f
}

func (p *params) bool(k string) bool {
	v := p.raw(k)
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(k, v, "give true or false")
	}
	return b
}

func (p *params) choice(k string, allowed ...string) string {
	v := p.raw(k)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(k, v, "use one of "+strings.Join(allowed, ", "))
	return allowed[0]
}

// input reads the input keys of a preset for a network of dims axes:
// noise of chKey channels, or, for input=coords, the dims coordinate
// channels (chKey and scaleKey are then ignored and sigmaKey must be 0).
func (p *params) input(dims int, dist, scaleKey, chKey, sigmaKey string) Input {
	if p.choice(dist, "uniform", "gaussian", "coords") == "coords" {
		if sigmaKey != "" && p.float(sigmaKey) != 0 {
			p.fail(sigmaKey, p.raw(sigmaKey), "a coordinate input (input=coords) is not smoothed; leave "+sigmaKey+" at 0")
		}
		return Input{Channels: dims, Dist: Coords}
	}
	in := Input{Channels: p.posInt(chKey)}
	s := p.float(scaleKey)
	switch p.choice(dist, "uniform", "gaussian") {
	case "uniform":
		in.Dist, in.Low, in.High = Uniform, 0, s
	case "gaussian":
		in.Dist, in.Mean, in.Std = Gaussian, 0, s
	}
	if sigmaKey != "" {
		in.Smooth = p.float(sigmaKey)
	}
	return in
}

func (p *params) init() Init {
	switch p.choice("init", "pytorch", "normal") {
	case "normal":
		return Init{Scheme: Normal, SW: p.float("sw"), SB: p.float("sb")}
	default:
		p.float("sw")
		p.float("sb")
		return Init{Scheme: PyTorch, SW: 1, SB: 0}
	}
}

func (p *params) act(k string) Act {
	fn := ActFn(p.choice(k, "relu", "leakyrelu", "tanh", "sigmoid", "erf", "identity"))
	a := Act{Fn: fn}
	if fn == LeakyReLU {
		a.Slope = p.float("slope")
	}
	return a
}

var (
	keyInputDoc = "input: uniform noise on [0, in_scale), gaussian noise N(0, in_scale^2), or coords (the pixel coordinates " +
		"normalized to [0, 1], one channel per axis; in_channels and in_scale are then ignored)"
	keyInit  = PresetKey{"init", "pytorch", "pytorch (PyTorch's default: uniform, weight and bias variance 1/(3 fan_in)) or normal (weights N(0, sw^2/fan_in), biases N(0, sb^2))"}
	keySW    = PresetKey{"sw", "1", "weight scale s_w for init=normal"}
	keySB    = PresetKey{"sb", "0", "bias scale s_b for init=normal"}
	keyParam = PresetKey{"param", "standard", "parameterization: standard or ntk (docs/theory.md section 1)"}
	keyDims  = PresetKey{"dims", "2", "1 for signals, 2 for images"}
	keySlope = PresetKey{"slope", "0.2", "negative slope of leakyrelu"}
)

// WithPresetKey returns the preset architecture a (built by ParsePreset,
// so a.Name is its spec) rebuilt with key set to value, e.g. to sweep the
// width with WithPresetKey(a, "channels", "256").
func WithPresetKey(a Arch, key, value string) (Arch, error) {
	name, rest, _ := strings.Cut(a.Name, ":")
	p, ok := presets[name]
	if !ok {
		return Arch{}, errorf("%s is not a preset, so its %s cannot be set; edit the file instead", a, key)
	}
	found := false
	for _, k := range p.Keys {
		found = found || k.Name == key
	}
	if !found {
		return Arch{}, errorf("preset %s has no key %q", name, key)
	}
	var kept []string
	if rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, _, _ := strings.Cut(kv, "=")
			if strings.TrimSpace(k) != key {
				kept = append(kept, kv)
			}
		}
	}
	kept = append(kept, key+"="+value)
	return ParsePreset(name + ":" + strings.Join(kept, ","))
}
