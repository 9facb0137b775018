#!/usr/bin/env python3
"""Networks per second of PyTorch on the Monte Carlo workload of `dipgp check`:
for each network, fresh normal weights (std s_w/sqrt(fan_in), biases s_b) and
a fresh Gaussian input, then one forward pass (no_grad, batch 1). The module
is dipgp's PyTorch twin (scripts/torch_net.py), so the network is the same.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/netinit_torch.py ARCH.json SIZE N [THREADS]
prints JSON: networks_per_s, forward_s.
"""
import json, math, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
import torch
import torch_net


def main():
    a = json.load(open(sys.argv[1]))
    size, n = int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    torch.manual_seed(0)
    net = torch_net.Net(a)
    cin = a["input"]["channels"]
    shape = (1, cin) + (size,) * a["dims"]
    sw, sb = a["init"].get("sw", 1.0), a["init"].get("sb", 0.0)
    convs = [m for m in net.modules() if isinstance(m, torch_net.Conv)]

    def redraw():
        for m in convs:
            w = m.weight
            fan_in = w[0].numel()
            w.normal_(0, sw / math.sqrt(fan_in))
            if getattr(m, "bias", None) is not None:
                m.bias.normal_(0, sb)

    with torch.no_grad():
        redraw(); net(torch.randn(shape))
        t = time.time()
        for _ in range(n):
            redraw()
            net(torch.randn(shape))
        dt = time.time() - t
    print(json.dumps(dict(size=size, networks=n, threads=torch.get_num_threads(), networks_per_s=n / dt, forward_s=dt / n)))


main()
