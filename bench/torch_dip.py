"""Reference PyTorch (CPU) timings for the DIP 'skip' encoder-decoder, the
performance anchor of dipgp's nn engine. Written by the dipgp team from the
published architecture description (Ulyanov et al., CVPR 2018): 5 scales, 128
channels, skip 4, 32 input channels, reflect padding, bilinear up-sampling,
batch norm after every conv and after each concatenation, output sigmoid;
Adam, MSE loss, input uniform on [0, 0.1).

    /usr/bin/python3 bench/torch_dip.py [SIZE [CHANNELS [ITERS]]]   (SIZE >= 64: 5 scales)

prints one JSON line: size, channels, params, threads, train_iter_s (one full
training step: zero grad, forward, MSE, backward, Adam step) and forward_s (a
forward pass without gradients). bench/torch_compare.sh and
bench/torch_dip_cpu.py run it; bench/nnbench prints the same keys for dipgp.
"""
import sys, time, json, torch, torch.nn as nn

def block_down(cin, c):
    return nn.Sequential(nn.Conv2d(cin, c, 3, 2, 1, padding_mode='reflect'), nn.BatchNorm2d(c), nn.LeakyReLU(0.2),
                         nn.Conv2d(c, c, 3, 1, 1, padding_mode='reflect'), nn.BatchNorm2d(c), nn.LeakyReLU(0.2))

class Skip(nn.Module):
    def __init__(self, cin=32, cout=3, ch=128, skip=4, scales=5, up='bilinear'):
        super().__init__()
        self.scales = scales; self.up = up
        self.down = nn.ModuleList(); self.skip = nn.ModuleList(); self.upc = nn.ModuleList()
        c_prev = cin
        for i in range(scales):
            self.skip.append(nn.Sequential(nn.Conv2d(c_prev, skip, 1), nn.BatchNorm2d(skip), nn.LeakyReLU(0.2)))
            self.down.append(block_down(c_prev, ch))
            c_prev = ch
        for i in range(scales):
            self.upc.append(nn.Sequential(nn.BatchNorm2d(ch + skip),
                nn.Conv2d(ch + skip, ch, 3, 1, 1, padding_mode='reflect'), nn.BatchNorm2d(ch), nn.LeakyReLU(0.2),
                nn.Conv2d(ch, ch, 1), nn.BatchNorm2d(ch), nn.LeakyReLU(0.2)))
        self.out = nn.Conv2d(ch, cout, 1)
    def forward(self, x):
        skips = []
        for i in range(self.scales):
            skips.append(self.skip[i](x)); x = self.down[i](x)
        for i in reversed(range(self.scales)):
            x = nn.functional.interpolate(x, scale_factor=2, mode=self.up, align_corners=False if self.up=='bilinear' else None)
            x = self.upc[i](torch.cat([skips[i], x], 1))
        return torch.sigmoid(self.out(x))

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    ch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    torch.manual_seed(0)
    net = Skip(ch=ch)
    z = torch.rand(1, 32, n, n) * 0.1
    y = torch.rand(1, 3, n, n)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    params = sum(p.numel() for p in net.parameters())
    def step():
        opt.zero_grad(); loss = ((net(z) - y) ** 2).mean(); loss.backward(); opt.step()
    step()
    t = time.time()
    for _ in range(iters): step()
    it = (time.time() - t) / iters
    with torch.no_grad():
        net(z); t = time.time()
        for _ in range(iters): net(z)
        fw = (time.time() - t) / iters
    print(json.dumps(dict(size=n, channels=ch, params=params, threads=torch.get_num_threads(), train_iter_s=it, forward_s=fw)))

if __name__ == "__main__":
    main()
