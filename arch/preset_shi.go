package arch

import (
	"fmt"
	"strconv"
	"strings"
)

// Preset keys and the preset of Shi et al.'s spectral-bias controls (see
// shi.go).

var (
	keyUpSigma   = PresetKey{"up_sigma", "0", "width of Shi et al.'s Gaussian up-sampling; > 0 selects up=gaussian"}
	keyLipschitz = PresetKey{"lipschitz", "0", "Shi et al.'s Lipschitz control lambda of every conv but the output one (0: none)"}
	keyMeanBN    = PresetKey{"mean_bn", "false", "Shi et al.'s mean-only batch norm (subtract the channel mean, add beta) instead of batch norm"}
)

// upsample reads "up" and "up_sigma" (one width).
func (p *params) upsample() Upsample {
	up := UpMode(p.choice("up", "bilinear", "nearest", "gaussian"))
	sigma := p.float("up_sigma")
	if sigma < 0 {
		p.fail("up_sigma", p.raw("up_sigma"), "give a width > 0, or 0 for no Gaussian up-sampling")
	}
	if sigma > 0 {
		up = GaussianUp
	}
	if up == GaussianUp && sigma == 0 {
		p.fail("up", "gaussian", "give its width too, e.g. up_sigma=0.5")
	}
	if up != GaussianUp {
		sigma = 0
	}
	return Upsample{Mode: up, Sigma: sigma}
}

func (p *params) lipschitz() float64 {
	l := p.float("lipschitz")
	if l < 0 {
		p.fail("lipschitz", p.raw("lipschitz"), "give lambda > 0, or 0 for no Lipschitz control")
	}
	return l
}

func (p *params) batchNorm() BatchNorm {
	if p.bool("mean_bn") {
		return BatchNorm{MeanOnly: true, Affine: true}
	}
	return BatchNorm{Affine: true, Eps: 1e-5}
}

// sigmas reads "up_sigma" as one width or scales widths separated by '/'.
func (p *params) sigmas(scales int) []float64 {
	raw := p.raw("up_sigma")
	parts := strings.Split(raw, "/")
	if len(parts) == 1 {
		parts = make([]string, scales)
		for i := range parts {
			parts[i] = raw
		}
	}
	if len(parts) != scales {
		p.fail("up_sigma", raw, fmt.Sprintf("give one width or %d widths separated by '/'", scales))
		return make([]float64, scales)
	}
	out := make([]float64, scales)
	for i, s := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !finite(v) || v <= 0 {
			p.fail("up_sigma", raw, "give widths > 0")
		}
		out[i] = v
	}
	return out
}

func init() {
	register(Preset{
		Name: "shi-decoder",
		Doc: "Shi et al.'s decoder (denoising/models/decoder.py and code/models/common.py of " +
			"shizenglin/Measure-and-Control-Spectral-Bias): a block [conv 3x3, mean-only bn, act] x 2 on the input, " +
			"then scales x [up-sample, the same block], then a 1x1 conv to out_channels (no Lipschitz control) and " +
			"out_act. Every 3x3 conv has Lipschitz control lambda. The input is 2^scales times smaller than the output; " +
			"their input is Fourier features of uniform noise, here plain noise.",
		Keys: []PresetKey{
			{"scales", "5", "number of x2 up-samplings; the image size must divide by 2^scales"},
			{"channels", "128", "channels of every 3x3 conv"},
			{"in_channels", "32", "channels of the input noise"},
			{"input", "uniform", keyInputDoc},
			{"in_scale", "1", "scale of the input noise"},
			{"out_channels", "3", "channels of the output image"},
			{"up", "bilinear", "up-sampling: bilinear (their denoising.py), nearest or gaussian"},
			{"up_sigma", "0", "Gaussian up-sampling widths, one or scales of them separated by '/' (theirs: 0.1/0.1/0.1/0.5/0.5); > 0 selects up=gaussian"},
			{"lipschitz", "1.4", "Lipschitz control lambda of the 3x3 convs (their denoising.py: 1.4; 0: none)"},
			{"mean_bn", "true", "mean-only batch norm (theirs); false: PyTorch's batch norm"},
			{"act", "leakyrelu", "activation: leakyrelu, relu, tanh, erf, sigmoid or identity"},
			{"slope", "0.01", "negative slope of leakyrelu (PyTorch's nn.LeakyReLU default)"},
			{"out_act", "sigmoid", "output activation: sigmoid or identity"},
			{"pad", "reflect", "padding of the finite network: reflect, zero or circular"},
			{"init", "normal", keyInit.Doc + "; their kaiming_uniform_ has variance 2/fan_in, sw = 1.4142"},
			{"sw", "1.4142135623730951", keySW.Doc},
			keySB, keyParam, keyDims,
		},
		build: buildShiDecoder,
	})
}

func buildShiDecoder(p *params) (Arch, error) {
	var a Arch
	p.common(&a)
	scales := p.posInt("scales")
	ch := p.posInt("channels")
	a.Input = p.input(a.Dims, "input", "in_scale", "in_channels", "")
	up := UpMode(p.choice("up", "bilinear", "nearest", "gaussian"))
	var sig []float64
	if up == GaussianUp || p.raw("up_sigma") != "0" {
		up = GaussianUp
		sig = p.sigmas(scales)
	}
	lip := p.lipschitz()
	bn := p.batchNorm()
	act := p.act("act")
	outCh := p.posInt("out_channels")
	var ls []Layer
	block := func() {
		for j := 0; j < 2; j++ {
			ls = append(ls, Conv{Out: ch, K: 3, Stride: 1, Bias: true, Lipschitz: lip}, bn, act)
		}
	}
	block()
	for i := 0; i < scales; i++ {
		u := Upsample{Mode: up}
		if up == GaussianUp {
			u.Sigma = sig[i]
		}
		ls = append(ls, u)
		block()
	}
	ls = append(ls, Conv{Out: outCh, K: 1, Stride: 1, Bias: true})
	a.Layers = p.outAct(ls)
	return a, nil
}
