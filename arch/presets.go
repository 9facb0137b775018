package arch

import "fmt"

func init() {
	skipKeys := []PresetKey{
		{"scales", "5", "number of down/up-sampling levels; the image size must divide by 2^scales"},
		{"channels", "128", "channels of every encoder and decoder conv"},
		{"skip", "4", "channels of each skip branch (0: no skip branch)"},
		{"in_channels", "32", "channels of the input noise"},
		{"input", "uniform", keyInputDoc},
		{"in_scale", "0.1", "scale of the input noise"},
		{"sigma", "0", "std in pixels of the Gaussian smoothing of the input noise (0 = white)"},
		{"out_channels", "3", "channels of the output image"},
		{"up", "bilinear", "up-sampling: bilinear, nearest or gaussian (Shi et al.'s, width up_sigma)"},
		keyUpSigma, keyLipschitz, keyMeanBN,
		{"down", "stride", "down-sampling: stride (3x3 conv with stride 2), avg or decimate (3x3 conv, then pool)"},
		{"act", "leakyrelu", "activation: leakyrelu, relu, tanh, erf, sigmoid or identity"},
		keySlope,
		{"bn", "true", "batch norm after every conv (and after each concatenation)"},
		{"out_act", "sigmoid", "output activation: sigmoid or identity"},
		{"pad", "reflect", "padding of the finite network: reflect, zero or circular (the kernel is always periodic)"},
		{"k", "3", "kernel size of the 3x3 convs (odd)"},
		keyInit, keySW, keySB, keyParam, keyDims,
	}
	register(Preset{
		Name: "dip-skip",
		Doc: "Ulyanov et al.'s skip encoder-decoder (models/skip.py, denoising settings). Level i: a skip " +
			"branch (1x1 conv to skip channels, bn, act) and a deeper branch (3x3 stride-2 conv, bn, act, 3x3 conv, " +
			"bn, act, the next level, upsample), concatenated [skip, deeper], then bn, 3x3 conv, bn, act, 1x1 conv, " +
			"bn, act; the output is a 1x1 conv to out_channels and out_act.",
		Keys:  skipKeys,
		build: func(p *params) (Arch, error) { return buildSkip(p, true) },
	})
	var encKeys []PresetKey
	for _, k := range skipKeys {
		if k.Name != "skip" {
			encKeys = append(encKeys, k)
		}
	}
	register(Preset{
		Name:  "encdec",
		Doc:   "The dip-skip encoder-decoder without skip branches (and without the concatenation's batch norm).",
		Keys:  encKeys,
		build: func(p *params) (Arch, error) { return buildSkip(p, false) },
	})
	register(Preset{
		Name: "conv-stack",
		Doc: "depth x [conv (k taps, stride 1), act] on Gaussian noise: Cheng et al.'s 1-D toy and its 2-D " +
			"analogue. The output is the last activation.",
		Keys: []PresetKey{
			{"dims", "2", "1 for signals, 2 for images"},
			{"depth", "4", "number of conv + act layers"},
			{"channels", "128", "channels of every conv"},
			{"k", "3", "kernel size (odd)"},
			{"act", "relu", "activation: relu, leakyrelu, tanh, erf, sigmoid or identity"},
			keySlope,
			{"bias", "false", "convs have biases"},
			{"input", "gaussian", keyInputDoc},
			{"in_scale", "1", "scale of the input noise"},
			{"in_channels", "", "channels of the input noise (default: channels)"},
			{"sigma", "0", "std in pixels of the Gaussian smoothing of the input noise (0 = white)"},
			{"init", "normal", keyInit.Doc},
			keySW, keySB, keyParam,
			{"pad", "circular", "padding of the finite network: circular, zero or reflect"},
		},
		build: buildConvStack,
	})
	register(Preset{
		Name: "deep-decoder",
		Doc: "Heckel and Hand's deep decoder: scales x [1x1 conv, upsample, act, channel norm (batch norm)], then " +
			"1x1 conv, act, channel norm and a 1x1 conv to out_channels with out_act. The input is " +
			"2^scales times smaller than the output.",
		Keys: []PresetKey{
			{"scales", "5", "number of x2 up-samplings; the image size must divide by 2^scales"},
			{"channels", "64", "channels of every 1x1 conv"},
			{"in_channels", "", "channels of the input noise (default: channels)"},
			{"input", "uniform", keyInputDoc},
			{"in_scale", "0.1", "scale of the input noise"},
			{"out_channels", "3", "channels of the output image"},
			{"up", "bilinear", "up-sampling: bilinear or nearest"},
			{"act", "relu", "activation: relu, leakyrelu, tanh, erf, sigmoid or identity"},
			keySlope,
			{"bn", "true", "channel normalization (batch norm) after every activation"},
			{"bias", "false", "convs have biases"},
			{"out_act", "sigmoid", "output activation: sigmoid or identity"},
			{"pad", "reflect", "padding of the finite network (1x1 convs do not pad)"},
			keyInit, keySW, keySB, keyParam, keyDims,
		},
		build: buildDeepDecoder,
	})
}

func (p *params) common(a *Arch) {
	a.Dims = p.int("dims")
	if a.Dims != 1 && a.Dims != 2 {
		p.fail("dims", p.raw("dims"), "use 1 or 2")
	}
	a.Init = p.init()
	a.Param = Param(p.choice("param", "standard", "ntk"))
	a.Pad = Padding(p.choice("pad", "reflect", "zero", "circular"))
}

func (p *params) outAct(ls []Layer) []Layer {
	if p.choice("out_act", "sigmoid", "identity") == "sigmoid" {
		ls = append(ls, Act{Fn: Sigmoid})
	}
	return ls
}

func buildSkip(p *params, withSkip bool) (Arch, error) {
	var a Arch
	p.common(&a)
	scales := p.posInt("scales")
	ch := p.posInt("channels")
	skip := 0
	if withSkip {
		skip = p.int("skip")
		if skip < 0 {
			p.fail("skip", p.raw("skip"), "give 0 (no skip branch) or a positive number of channels")
		}
	}
	k := p.posInt("k")
	a.Input = p.input(a.Dims, "input", "in_scale", "in_channels", "sigma")
	upL := p.upsample()
	down := p.choice("down", "stride", "avg", "decimate")
	act := p.act("act")
	bn := p.bool("bn")
	bnL := p.batchNorm()
	lip := p.lipschitz()
	outCh := p.posInt("out_channels")
	norm := func(ls []Layer) []Layer {
		if bn {
			ls = append(ls, bnL)
		}
		return ls
	}
	conv := func(ls []Layer, out, k, stride int) []Layer {
		ls = append(ls, Conv{Out: out, K: k, Stride: stride, Bias: true, Lipschitz: lip})
		return norm(ls)
	}
	var ls []Layer
	var level func(i int)
	level = func(i int) {
		name := fmt.Sprintf("level%d", i)
		if skip > 0 {
			ls = append(ls, Save{Name: name})
		}
		if down == "stride" {
			ls = conv(ls, ch, k, 2)
		} else {
			ls = append(ls, Conv{Out: ch, K: k, Stride: 1, Bias: true, Lipschitz: lip})
			ls = append(ls, Pool{Op: PoolOp(down)})
			ls = norm(ls)
		}
		ls = append(ls, act)
		ls = conv(ls, ch, k, 1)
		ls = append(ls, act)
		if i+1 < scales {
			level(i + 1)
		}
		ls = append(ls, upL)
		if skip > 0 {
			br := conv(nil, skip, 1, 1)
			br = append(br, act)
			ls = append(ls, Concat{From: name, Branch: br})
			ls = norm(ls)
		}
		ls = conv(ls, ch, k, 1)
		ls = append(ls, act)
		ls = conv(ls, ch, 1, 1)
		ls = append(ls, act)
	}
	level(0)
	ls = append(ls, Conv{Out: outCh, K: 1, Stride: 1, Bias: true})
	a.Layers = p.outAct(ls)
	return a, nil
}

func buildConvStack(p *params) (Arch, error) {
	var a Arch
	p.common(&a)
	depth := p.posInt("depth")
	ch := p.posInt("channels")
	k := p.posInt("k")
	if p.raw("in_channels") == "" {
		p.vals["in_channels"] = fmt.Sprint(ch)
	}
	a.Input = p.input(a.Dims, "input", "in_scale", "in_channels", "sigma")
	act := p.act("act")
	bias := p.bool("bias")
	for i := 0; i < depth; i++ {
		a.Layers = append(a.Layers, Conv{Out: ch, K: k, Stride: 1, Bias: bias}, act)
	}
	return a, nil
}

func buildDeepDecoder(p *params) (Arch, error) {
	var a Arch
	p.common(&a)
	scales := p.posInt("scales")
	ch := p.posInt("channels")
	if p.raw("in_channels") == "" {
		p.vals["in_channels"] = fmt.Sprint(ch)
	}
	a.Input = p.input(a.Dims, "input", "in_scale", "in_channels", "")
	up := UpMode(p.choice("up", "bilinear", "nearest"))
	act := p.act("act")
	bn := p.bool("bn")
	bias := p.bool("bias")
	outCh := p.posInt("out_channels")
	var ls []Layer
	block := func(upsample bool) {
		ls = append(ls, Conv{Out: ch, K: 1, Stride: 1, Bias: bias})
		if upsample {
			ls = append(ls, Upsample{Mode: up})
		}
		ls = append(ls, act)
		if bn {
			ls = append(ls, BatchNorm{Affine: true, Eps: 1e-5})
		}
	}
	for i := 0; i < scales; i++ {
		block(true)
	}
	block(false)
	ls = append(ls, Conv{Out: outCh, K: 1, Stride: 1, Bias: bias})
	a.Layers = p.outAct(ls)
	return a, nil
}

func init() {
	register(Preset{
		Name: "relunet",
		Doc: "Chakrabarty and Maji's ReLUNet (PCJohn/dip-spectral relunet.py): an MLP of depth linear layers " +
			"(2 -> width, depth-2 x width -> width, width -> out_channels) with act after each but the last and " +
			"out_act at the end, on the pixel coordinates (input=coords), written as 1x1 convs: a 1x1 conv stack " +
			"on the coordinate grid is that MLP applied to every pixel.",
		Keys: []PresetKey{
			{"depth", "10", "number of linear (1x1 conv) layers, their --depth (relunet.py: d layers, d-1 of them followed by act); at least 2"},
			{"width", "256", "units of every hidden layer (their --hid_size)"},
			{"out_channels", "3", "channels of the output image"},
			{"act", "relu", "activation: relu, leakyrelu, tanh, erf, sigmoid or identity"},
			keySlope,
			{"out_act", "sigmoid", "output activation: sigmoid or identity"},
			{"bias", "true", "layers have biases (nn.Linear's default)"},
			{"input", "coords", keyInputDoc},
			{"in_channels", "2", "channels of a noise input (ignored for input=coords)"},
			{"in_scale", "0.1", "scale of a noise input"},
			{"init", "pytorch", keyInit.Doc},
			keySW, keySB, keyParam, keyDims,
			{"pad", "circular", "padding of the finite network (1x1 convs do not pad)"},
		},
		build: buildReLUNet,
	})
}

func buildReLUNet(p *params) (Arch, error) {
	var a Arch
	p.common(&a)
	depth := p.posInt("depth")
	if depth < 2 {
		p.fail("depth", p.raw("depth"), "give at least 2 (an input and an output layer), as relunet.py's d")
	}
	width := p.posInt("width")
	a.Input = p.input(a.Dims, "input", "in_scale", "in_channels", "")
	act := p.act("act")
	bias := p.bool("bias")
	outCh := p.posInt("out_channels")
	var ls []Layer
	for i := 0; i < depth-1; i++ {
		ls = append(ls, Conv{Out: width, K: 1, Stride: 1, Bias: bias}, act)
	}
	ls = append(ls, Conv{Out: outCh, K: 1, Stride: 1, Bias: bias})
	a.Layers = p.outAct(ls)
	return a, nil
}
