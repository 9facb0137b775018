#!/usr/bin/env python3
"""PyTorch twin of a dipgp network (package nn).

Builds a torch.nn.Module from a dipgp architecture in JSON (the output of
`dipgp arch show --json`, or json.Marshal of an arch.Arch) with the same
layers in the same order, so that its state_dict names and shapes are the
ones nn uses:

    layers.{i}.weight / .bias                        conv i   ([out, in, kh, kw] / [out])
    layers.{i}.weight / .bias / .running_mean /
        .running_var / .num_batches_tracked          batch norm i
    layers.{i}.branch.{j}....                        layer j of the branch of concat i

Padding ('circular', 'zero', 'reflect') is applied with F.pad before the
convolution, as nn.Conv2d's padding_mode does. Bilinear up-sampling is
F.interpolate(align_corners=False); with circular padding the input is first
padded circularly by one pixel so the border wraps, as in dipgp. In the NTK
parameterization the forward pass multiplies conv weights by
sqrt(sw2 / fan_in) and biases by sqrt(sb2), with (sw2, sb2) from the
architecture's init (pytorch: 1/3 and 1/(3 fan_in)), as nn does. Batch norm
runs in training mode.

A dense layer is Flatten (channel, then row, then column) followed by
nn.Linear(C*H*W, Out*H'*W'): layers.{i}.weight is [Out*H'*W', C*H*W] and
layers.{i}.bias [Out*H'*W'], initialized and scaled in the NTK
parameterization as a conv with fan_in C*H*W (nn/dense.go). Without image
its output is a vector, held as Out channels on a one-point grid; with
image it is reshaped to (Out, H', W'), the grid at the layer's scale (the
input grid times 2^e, e counting the up-samplings minus the pools and
stride-2 convs before it). The weight's shape depends on the input grid:
check reads it from INPUT, names and save need --size.

Usage:
    torch_net.py names ARCH.json [--size H,W]
        print the state_dict names and shapes as JSON (--size: the network
        input's grid, H,W or N in 1-D; needed only with dense layers)
    torch_net.py check ARCH.json PARAMS_DIR INPUT.npy DY.npy OUT_DIR [--adam LR]
        load PARAMS_DIR (one <name>.npy per state_dict entry, as nn.Net.Save
        writes), run forward on INPUT (training mode), backward with the
        output gradient DY, and write OUT_DIR/output.npy, OUT_DIR/input_grad.npy,
        OUT_DIR/grad/<name>.npy (parameter gradients) and OUT_DIR/state/<name>.npy
        (state_dict after the pass: running statistics). With --adam, then take
        one torch.optim.Adam(lr=LR) step and write OUT_DIR/adam/<name>.npy.
    torch_net.py save ARCH.json OUT_DIR [SEED] [--size H,W]
        build the module with PyTorch's own initialization and save its
        state_dict as nn.Load reads it.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD_MODE = {"circular": "circular", "zero": "constant", "reflect": "reflect"}


def variances(init, fan_in):
    if init["scheme"] == "pytorch":
        return 1.0 / 3, 1.0 / (3 * fan_in)
    return init["sw"] ** 2, init["sb"] ** 2


class Conv(nn.Module):
    def __init__(self, dims, cin, spec, pad, ntk, init):
        super().__init__()
        self.dims, self.k, self.stride, self.pad = dims, spec["k"], spec["stride"], pad
        shape = (spec["out"], cin) + (spec["k"],) * dims
        self.weight = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.empty(spec["out"])) if spec.get("bias") else None
        fan_in = cin * spec["k"] ** dims
        bound = 1 / math.sqrt(fan_in)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)
        self.wmult, self.bmult = 1.0, 1.0
        self.lipschitz = spec.get("lipschitz", 0.0)
        if ntk:
            sw2, sb2 = variances(init, fan_in)
            self.wmult, self.bmult = math.sqrt(sw2 / fan_in), math.sqrt(sb2)

    def forward(self, x):
        p = (self.k - 1) // 2
        if p > 0:
            x = F.pad(x, [p] * (2 * self.dims), mode=PAD_MODE[self.pad])
        w = self.weight if self.wmult == 1.0 else self.weight * self.wmult
        if self.lipschitz > 0:
            # Shi et al.'s Lipschitz control (code/models/common.py,
            # SpectralNorm): divide by max(1, s/lambda), s the largest
            # singular value of the weight reshaped to out x rest, computed
            # from detached values (a constant in the backward pass).
            s = torch.linalg.svdvals(w.detach().reshape(w.shape[0], -1).double())[0]
            w = w / float(max(1.0, s.item() / self.lipschitz))
        b = self.bias
        if b is not None and self.bmult != 1.0:
            b = b * self.bmult
        f = F.conv2d if self.dims == 2 else F.conv1d
        return f(x, w, b, stride=self.stride)


class Dense(nn.Module):
    """Flatten then nn.Linear, as nn/dense.go: out_grid is the output's grid
    ((1,) * dims for a vector)."""

    def __init__(self, fan_in, spec, out_grid, ntk, init):
        super().__init__()
        self.out_shape = (spec["out"],) + tuple(out_grid)
        n_out = spec["out"] * math.prod(out_grid)
        self.weight = nn.Parameter(torch.empty(n_out, fan_in))
        self.bias = nn.Parameter(torch.empty(n_out)) if spec.get("bias") else None
        bound = 1 / math.sqrt(fan_in)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)
        self.wmult, self.bmult = 1.0, 1.0
        if ntk:
            sw2, sb2 = variances(init, fan_in)
            self.wmult, self.bmult = math.sqrt(sw2 / fan_in), math.sqrt(sb2)

    def forward(self, x):
        w = self.weight if self.wmult == 1.0 else self.weight * self.wmult
        b = self.bias
        if b is not None and self.bmult != 1.0:
            b = b * self.bmult
        y = F.linear(x.reshape(x.shape[0], -1), w, b)
        return y.reshape((x.shape[0],) + self.out_shape)


class Act(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.fn, self.slope = spec["fn"], spec.get("slope", 0.0)

    def forward(self, x):
        if self.fn == "relu":
            return F.relu(x)
        if self.fn == "leakyrelu":
            return F.leaky_relu(x, self.slope)
        if self.fn == "tanh":
            return torch.tanh(x)
        if self.fn == "sigmoid":
            return torch.sigmoid(x)
        if self.fn == "erf":
            return torch.erf(x)
        return x


class Pool(nn.Module):
    def __init__(self, dims, spec):
        super().__init__()
        self.dims, self.op = dims, spec["op"]

    def forward(self, x):
        if self.op == "avg":
            return F.avg_pool2d(x, 2) if self.dims == 2 else F.avg_pool1d(x, 2)
        return x[..., ::2, ::2] if self.dims == 2 else x[..., ::2]


class Upsample(nn.Module):
    def __init__(self, dims, spec, pad):
        super().__init__()
        self.dims, self.mode, self.wrap = dims, spec["mode"], pad == "circular"
        self.sigma = spec.get("sigma", 0.0)

    def gaussian(self, x):
        # Shi et al.'s Gaussian up-sampling (code/models/common.py, gaussian):
        # a depthwise ConvTranspose2d(5, stride 2, padding 2, output_padding
        # 1) with the unit-sum Gaussian exp(-((i/2)^2+(j/2)^2)/(2 sigma^2)).
        t = torch.arange(-2, 3, dtype=torch.float64) / 2
        g1 = torch.exp(-t * t / (2 * self.sigma ** 2))
        c = x.shape[1]
        if self.dims == 2:
            g = torch.outer(g1, g1)
            g = (g / g.sum()).to(x.dtype).expand(c, 1, 5, 5)
            f = F.conv_transpose2d
        else:
            g = (g1 / g1.sum()).to(x.dtype).expand(c, 1, 5)
            f = F.conv_transpose1d
        if not self.wrap:
            return f(x, g, stride=2, padding=2, output_padding=1, groups=c)
        # Circular: the full transposed conv (no cropping), then fold the
        # overhanging outputs back onto the periodic grid.
        y = f(x, g, stride=2, padding=0, output_padding=1, groups=c)
        for ax in range(2, 2 + self.dims):
            n2 = 2 * x.shape[ax]
            full = y.shape[ax]  # 2n + 4: outputs -2 .. 2n+1
            main = y.narrow(ax, 2, n2).clone()
            main.narrow(ax, 0, 2).add_(y.narrow(ax, full - 2, 2))
            main.narrow(ax, n2 - 2, 2).add_(y.narrow(ax, 0, 2))
            y = main
        return y

    def forward(self, x):
        if self.mode == "gaussian":
            return self.gaussian(x)
        if self.mode == "nearest":
            return F.interpolate(x, scale_factor=2, mode="nearest")
        mode = "bilinear" if self.dims == 2 else "linear"
        if not self.wrap:
            return F.interpolate(x, scale_factor=2, mode=mode, align_corners=False)
        xp = F.pad(x, [1] * (2 * self.dims), mode="circular")
        y = F.interpolate(xp, scale_factor=2, mode=mode, align_corners=False)
        return y[..., 2:-2, 2:-2] if self.dims == 2 else y[..., 2:-2]


class MeanOnly(nn.Module):
    """Shi et al.'s MeanOnlyBatchNorm (code/models/common.py): x - mean + beta."""

    def __init__(self, c, affine):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(c)) if affine else None

    def forward(self, x):
        y = x - x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
        if self.bias is not None:
            y = y + self.bias.view((1, -1) + (1,) * (x.dim() - 2))
        return y


class Save(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def forward(self, x):
        return x


class Concat(nn.Module):
    def __init__(self, src, branch):
        super().__init__()
        self.src, self.branch = src, branch


class Net(nn.Module):
    """The network of a dipgp architecture (a dict parsed from its JSON)."""

    def __init__(self, a, size=None):
        """size is the grid of the network's input ([H, W], or [N] in 1-D);
        only dense layers need it."""
        super().__init__()
        self.a = a
        self.dims = a["dims"]
        self.size = list(size) if size is not None else None
        self.layers, _ = self._build(a["layers"], (a["input"]["channels"], 0, False), {})

    def _grid(self, scale, flat):
        """The grid at a scale: the input's times 2^scale per axis."""
        if flat:
            return (1,) * self.dims
        if self.size is None:
            raise ValueError("the architecture has dense layers, whose weights depend on the grid: give --size "
                             "(the network input's grid, H,W or N)")
        return tuple(n << scale if scale >= 0 else n >> -scale for n in self.size)

    def _build(self, specs, t, saved):
        """Builds the layers from the tensor t = (channels, scale, flat)."""
        mods = nn.ModuleList()
        a = self.a
        c, scale, flat = t
        for s in specs:
            (kind, spec), = s.items()
            if kind == "conv":
                m = Conv(self.dims, c, spec, a["pad"], a["param"] == "ntk", a["init"])
                c = spec["out"]
                if spec["stride"] == 2:
                    scale -= 1
            elif kind == "dense":
                fan_in = c * math.prod(self._grid(scale, flat))
                flat = not spec.get("image", False)
                m = Dense(fan_in, spec, self._grid(scale, flat), a["param"] == "ntk", a["init"])
                c = spec["out"]
            elif kind == "act":
                m = Act(spec)
            elif kind == "pool":
                m = Pool(self.dims, spec)
                scale -= 1
            elif kind == "upsample":
                m = Upsample(self.dims, spec, a["pad"])
                scale += 1
            elif kind == "batchnorm" and spec.get("mean_only"):
                m = MeanOnly(c, spec["affine"])
            elif kind == "batchnorm":
                bn = nn.BatchNorm2d if self.dims == 2 else nn.BatchNorm1d
                m = bn(c, eps=spec["eps"], affine=spec["affine"], momentum=0.1)
            elif kind == "save":
                m = Save(spec["name"])
                saved[spec["name"]] = (c, scale, flat)
            elif kind == "concat":
                br, (cb, _, _) = self._build(spec.get("branch") or [], saved[spec["from"]], saved)
                m = Concat(spec["from"], br)
                c = cb + c
            else:
                raise ValueError("unknown layer kind %r" % kind)
            mods.append(m)
        return mods, (c, scale, flat)

    def _run(self, mods, x, saved):
        for m in mods:
            if isinstance(m, Save):
                saved[m.name] = x
            elif isinstance(m, Concat):
                x = torch.cat([self._run(m.branch, saved[m.src], saved), x], 1)
            else:
                x = m(x)
        return x

    def forward(self, x):
        return self._run(self.layers, x, {})


def load_state(net, d):
    sd = net.state_dict()
    new = {}
    for k, v in sd.items():
        a = np.load(os.path.join(d, k + ".npy"))
        t = torch.from_numpy(np.array(a)).to(v.dtype).reshape(v.shape)
        new[k] = t
    net.load_state_dict(new)


def save_state(net, d, tensors=None):
    os.makedirs(d, exist_ok=True)
    items = tensors if tensors is not None else net.state_dict().items()
    for k, v in items:
        v = v.detach().cpu()
        arr = v.numpy().astype(np.int64) if v.dtype == torch.int64 else v.numpy().astype(np.float32)
        np.save(os.path.join(d, k + ".npy"), arr)


def size_flag(argv):
    """Removes --size H,W (or N) from argv and returns it as a list, or None."""
    if "--size" not in argv:
        return None
    i = argv.index("--size")
    if i + 1 >= len(argv):
        sys.exit("--size needs a value: the network input's grid, H,W or N")
    size = [int(v) for v in argv[i + 1].replace("x", ",").split(",")]
    del argv[i:i + 2]
    return size


def main(argv):
    argv = list(argv)
    size = size_flag(argv)
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd = argv[1]
    with open(argv[2]) as f:
        a = json.load(f)
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    if cmd == "names":
        net = Net(a, size)
        print(json.dumps([[k, list(v.shape)] for k, v in net.state_dict().items()]))
    elif cmd == "save":
        torch.manual_seed(int(argv[4]) if len(argv) > 4 else 0)
        save_state(Net(a, size), argv[3])
    elif cmd == "check":
        params, xin, dyin, out = argv[3:7]
        x = torch.from_numpy(np.load(xin).astype(np.float32)).requires_grad_(True)
        net = Net(a, x.shape[2:])
        load_state(net, params)
        net.train()
        dy = torch.from_numpy(np.load(dyin).astype(np.float32))
        y = net(x)
        y.backward(dy)
        os.makedirs(out, exist_ok=True)
        np.save(os.path.join(out, "output.npy"), y.detach().numpy())
        np.save(os.path.join(out, "input_grad.npy"), x.grad.numpy())
        save_state(net, os.path.join(out, "grad"),
                   [(k, p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in net.named_parameters()])
        save_state(net, os.path.join(out, "state"))
        if "--adam" in argv:
            lr = float(argv[argv.index("--adam") + 1])
            opt = torch.optim.Adam(net.parameters(), lr=lr)
            opt.step()
            save_state(net, os.path.join(out, "adam"), list(net.named_parameters()))
    else:
        sys.exit("unknown command %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main(sys.argv)
