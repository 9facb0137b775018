package arch

func init() {
	register(Preset{
		Name: "dip-fc",
		Doc: "Chakrabarty and Maji's DIP-linear (DIP-128, DIP-2048: PCJohn/dip-spectral skip.py with use_fc): " +
			"the skip net with every conv replaced by a dense layer on the flattened tensor and no batch norm or " +
			"up-sampling. Level i: dense(channels), act, dense(channels), act, the next level, dense(channels), " +
			"act, dense(channels), act; the output is a dense layer to out_channels on the image grid and out_act. " +
			"Without skip branches: skip.py's use_fc skip branch (a Flatten concatenated with the deeper path) does " +
			"not run as stored (see REPRODUCTION.md, relunet-vs-dip).",
		Keys: []PresetKey{
			{"scales", "5", "number of levels (nested dense blocks; no grid changes)"},
			{"channels", "128", "units of every hidden dense layer (their --n_ch_down = --n_ch_up)"},
			{"in_channels", "3", "channels of the input noise (dip.py: the image's channels)"},
			{"input", "gaussian", keyInputDoc},
			{"in_scale", "1", "scale of the input noise (dip.py: torch.randn)"},
			{"sigma", "0", "std in pixels of the Gaussian smoothing of the input noise (0 = white)"},
			{"out_channels", "3", "channels of the output image"},
			{"act", "leakyrelu", "activation: leakyrelu, relu, tanh, erf, sigmoid or identity"},
			keySlope,
			{"out_act", "sigmoid", "output activation: sigmoid or identity"},
			{"pad", "zero", "padding (unused: dense layers do not pad)"},
			keyInit, keySW, keySB, keyParam, keyDims,
		},
		build: buildDIPFC,
	})
}

func buildDIPFC(p *params) (Arch, error) {
	var a Arch
	p.common(&a)
	scales := p.posInt("scales")
	ch := p.posInt("channels")
	a.Input = p.input(a.Dims, "input", "in_scale", "in_channels", "sigma")
	act := p.act("act")
	outCh := p.posInt("out_channels")
	dense := func(ls []Layer) []Layer { return append(ls, Dense{Out: ch, Bias: true}, act) }
	var ls []Layer
	for range 2 * scales {
		ls = dense(dense(ls))
	}
	ls = append(ls, Dense{Out: outCh, Bias: true, Image: true})
	a.Layers = p.outAct(ls)
	return a, nil
}
