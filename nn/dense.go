package nn

import "github.com/dipgp/dipgp/arch"

// Dense compiles a fully connected layer. Values are stored channel-major
// ([c][h][w] per sample), which is PyTorch's flattening order, so the
// layer is a 1x1 convolution on a one-point grid from the C*H*W flattened
// input values to the Out*H'*W' output values, whose output buffer read as
// (Out, H', W') is nn.Linear's output reshaped to the image. Its weight has
// nn.Linear's shape [Out*H'*W', C*H*W] and fan-in C*H*W; it is drawn, and
// scaled in the NTK parameterization, as a conv's.
func (c *compiler) Dense(l arch.Dense) error {
	a, nd, x := c.net.arch, c.node(), c.in(0)
	h, w := grid(nd.Out)
	inF, outF := x.c*x.h*x.w, l.Out*h*w
	cv := newConv(arch.Conv{Out: outF, K: 1, Stride: 1, Bias: l.Bias}, 2, inF, 1, 1, a.Pad, stateName(nd.Index), a.Param == arch.NTK, a.Init)
	cv.w.Shape = []int{outF, inF}
	cv.dense = true
	c.add(cv, nd.String(), x)
	return nil
}
