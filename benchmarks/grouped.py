"""Networks built on grouped and depthwise convolutions: a training step of minicnn against PyTorch.

The models are kuangliu's pytorch-cifar MobileNet, MobileNetV2, ShuffleNetV2 and EfficientNetB0 (32x32
inputs; EfficientNetB0's dropout2d draws different masks in the two libraries, the same amount of work),
written once below against PyTorch's names and built twice: with torch, and with minicnn imported
as torch. Both start from the same weights (copied key for key); a step is forward, cross-entropy,
backward and SGD with momentum, timed in alternating blocks with a pause between them
(timing.compare); medians over the rounds, ms a step; the ratio is minicnn's time over PyTorch's.
Before they were one op, minicnn ran a grouped convolution one group after the other (8x
PyTorch's time on MobileNet, 12x on MobileNetV2, 7x on ShuffleNetV2: issue 28); --per-group times
that way too, for comparison.

    python benchmarks/grouped.py                       # batch 4, 2 threads, 5 rounds
    python benchmarks/grouped.py --batch 32 --rounds 3 --per-group
    python benchmarks/grouped.py --layers --only mobilenetv2

--layers times the models' convolutions and batch norms one layer at a time instead (forward and
backward, each distinct layer alternating with PyTorch's, NCHW inputs) and adds them up by kind,
times how often the model has each: where a step's time goes, and how far each kind is from PyTorch.
A lone layer's time includes each library's cost per call of backward (PyTorch's autograd engine
starts once a call here, once a step in a model), so the sums are not the step's time.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from timing import compare, fix_threads, machine  # noqa: E402


def models(torch):
    """kuangliu's pytorch-cifar models, against ``torch`` (PyTorch or minicnn)."""
    nn, F = torch.nn, torch.nn.functional

    class MBBlock(nn.Module):                                   # MobileNet: depthwise 3x3, then 1x1
        def __init__(self, in_planes, out_planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, in_planes, 3, stride, 1, groups=in_planes, bias=False)
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv2 = nn.Conv2d(in_planes, out_planes, 1, 1, 0, bias=False)
            self.bn2 = nn.BatchNorm2d(out_planes)

        def forward(self, x):
            return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))

    class MobileNet(nn.Module):
        cfg = [64, (128, 2), 128, (256, 2), 256, (512, 2), 512, 512, 512, 512, 512, (1024, 2), 1024]

        def __init__(self, num_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            layers, in_planes = [], 32
            for x in self.cfg:
                out, stride = (x, 1) if isinstance(x, int) else x
                layers.append(MBBlock(in_planes, out, stride))
                in_planes = out
            self.layers = nn.Sequential(*layers)
            self.linear = nn.Linear(1024, num_classes)

        def forward(self, x):
            out = self.layers(F.relu(self.bn1(self.conv1(x))))
            out = F.avg_pool2d(out, 2)
            return self.linear(out.view(out.size(0), -1))

    class V2Block(nn.Module):                                   # MobileNetV2: expand, depthwise, project
        def __init__(self, in_planes, out_planes, expansion, stride):
            super().__init__()
            self.stride = stride
            planes = expansion * in_planes
            self.conv1 = nn.Conv2d(in_planes, planes, 1, 1, 0, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, groups=planes, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, out_planes, 1, 1, 0, bias=False)
            self.bn3 = nn.BatchNorm2d(out_planes)
            self.shortcut = nn.Sequential()
            if stride == 1 and in_planes != out_planes:
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, 1, 0, bias=False),
                                              nn.BatchNorm2d(out_planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            return out + self.shortcut(x) if self.stride == 1 else out

    class MobileNetV2(nn.Module):
        cfg = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1)]

        def __init__(self, num_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            layers, in_planes = [], 32
            for expansion, out_planes, num_blocks, stride in self.cfg:
                for s in [stride] + [1] * (num_blocks - 1):
                    layers.append(V2Block(in_planes, out_planes, expansion, s))
                    in_planes = out_planes
            self.layers = nn.Sequential(*layers)
            self.conv2 = nn.Conv2d(320, 1280, 1, 1, 0, bias=False)
            self.bn2 = nn.BatchNorm2d(1280)
            self.linear = nn.Linear(1280, num_classes)

        def forward(self, x):
            out = self.layers(F.relu(self.bn1(self.conv1(x))))
            out = F.relu(self.bn2(self.conv2(out)))
            out = F.avg_pool2d(out, 4)
            return self.linear(out.view(out.size(0), -1))

    class ShuffleBlock(nn.Module):
        def __init__(self, groups=2):
            super().__init__()
            self.groups = groups

        def forward(self, x):                                   # channel shuffle
            N, C, H, W = x.size()
            g = self.groups
            return x.view(N, g, C // g, H, W).permute(0, 2, 1, 3, 4).reshape(N, C, H, W)

    class SplitBlock(nn.Module):
        def __init__(self, ratio):
            super().__init__()
            self.ratio = ratio

        def forward(self, x):
            c = int(x.size(1) * self.ratio)
            return x[:, :c, :, :], x[:, c:, :, :]

    class BasicBlock(nn.Module):
        def __init__(self, in_channels, split_ratio=0.5):
            super().__init__()
            self.split = SplitBlock(split_ratio)
            in_channels = int(in_channels * split_ratio)
            self.conv1 = nn.Conv2d(in_channels, in_channels, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(in_channels)
            self.conv2 = nn.Conv2d(in_channels, in_channels, 3, 1, 1, groups=in_channels, bias=False)
            self.bn2 = nn.BatchNorm2d(in_channels)
            self.conv3 = nn.Conv2d(in_channels, in_channels, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(in_channels)
            self.shuffle = ShuffleBlock()

        def forward(self, x):
            x1, x2 = self.split(x)
            out = F.relu(self.bn1(self.conv1(x2)))
            out = self.bn2(self.conv2(out))
            out = F.relu(self.bn3(self.conv3(out)))
            return self.shuffle(torch.cat([x1, out], 1))

    class DownBlock(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            mid = out_channels // 2
            self.conv1 = nn.Conv2d(in_channels, in_channels, 3, 2, 1, groups=in_channels, bias=False)
            self.bn1 = nn.BatchNorm2d(in_channels)
            self.conv2 = nn.Conv2d(in_channels, mid, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(mid)
            self.conv3 = nn.Conv2d(in_channels, mid, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(mid)
            self.conv4 = nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False)
            self.bn4 = nn.BatchNorm2d(mid)
            self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
            self.bn5 = nn.BatchNorm2d(mid)
            self.shuffle = ShuffleBlock()

        def forward(self, x):
            out1 = self.bn1(self.conv1(x))                      # left
            out1 = F.relu(self.bn2(self.conv2(out1)))
            out2 = F.relu(self.bn3(self.conv3(x)))              # right
            out2 = self.bn4(self.conv4(out2))
            out2 = F.relu(self.bn5(self.conv5(out2)))
            return self.shuffle(torch.cat([out1, out2], 1))

    class ShuffleNetV2(nn.Module):
        def __init__(self, out_channels=(116, 232, 464, 1024), num_blocks=(3, 7, 3), num_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 24, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(24)
            self.in_channels = 24
            self.layer1 = self._make_layer(out_channels[0], num_blocks[0])
            self.layer2 = self._make_layer(out_channels[1], num_blocks[1])
            self.layer3 = self._make_layer(out_channels[2], num_blocks[2])
            self.conv2 = nn.Conv2d(out_channels[2], out_channels[3], 1, 1, 0, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels[3])
            self.linear = nn.Linear(out_channels[3], num_classes)

        def _make_layer(self, out_channels, num_blocks):
            layers = [DownBlock(self.in_channels, out_channels)]
            for i in range(num_blocks):
                layers.append(BasicBlock(out_channels))
                self.in_channels = out_channels
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer3(self.layer2(self.layer1(out)))
            out = F.relu(self.bn2(self.conv2(out)))
            out = F.avg_pool2d(out, 4)
            return self.linear(out.view(out.size(0), -1))

    def swish(x):
        return x * x.sigmoid()

    class EBlock(nn.Module):                                    # EfficientNet: expand, depthwise, SE, project
        def __init__(self, in_planes, out_planes, kernel_size, stride, expand_ratio=1, se_ratio=0.0, drop_rate=0.0):
            super().__init__()
            self.stride, self.drop_rate = stride, drop_rate
            planes = expand_ratio * in_planes
            self.conv1 = nn.Conv2d(in_planes, planes, 1, 1, 0, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size, stride, (kernel_size - 1) // 2, groups=planes,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            se_planes = max(1, int(planes * se_ratio))
            self.se1 = nn.Conv2d(planes, se_planes, 1)
            self.se2 = nn.Conv2d(se_planes, planes, 1)
            self.conv3 = nn.Conv2d(planes, out_planes, 1, 1, 0, bias=False)
            self.bn3 = nn.BatchNorm2d(out_planes)
            self.shortcut = nn.Sequential()
            if stride == 1 and in_planes != out_planes:
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, 1, 0, bias=False),
                                              nn.BatchNorm2d(out_planes))

        def forward(self, x):
            out = swish(self.bn1(self.conv1(x)))
            out = swish(self.bn2(self.conv2(out)))
            w = F.avg_pool2d(out, out.size(2))                  # squeeze and excitation
            w = self.se2(swish(self.se1(w))).sigmoid()
            out = self.bn3(self.conv3(out * w))
            if self.drop_rate > 0:
                out = F.dropout2d(out, self.drop_rate)
            return out + (self.shortcut(x) if self.stride == 1 else out)    # as kuangliu's source has it

    class EfficientNetB0(nn.Module):
        cfg = [(1, 16, 1, 3, 1), (6, 24, 2, 3, 2), (6, 40, 2, 5, 2), (6, 80, 3, 3, 2), (6, 112, 3, 5, 1),
               (6, 192, 4, 5, 2), (6, 320, 1, 3, 1)]           # expansion, out_planes, blocks, kernel, stride

        def __init__(self, num_classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            layers, in_planes = [], 32
            for expansion, out_planes, num_blocks, kernel_size, stride in self.cfg:
                for s in [stride] + [1] * (num_blocks - 1):
                    layers.append(EBlock(in_planes, out_planes, kernel_size, s, expansion, 0.25, 0.2))
                    in_planes = out_planes
            self.layers = nn.Sequential(*layers)
            self.linear = nn.Linear(self.cfg[-1][1], num_classes)

        def forward(self, x):
            out = self.layers(swish(self.bn1(self.conv1(x))))
            out = F.adaptive_avg_pool2d(out, 1)
            return self.linear(out.view(out.size(0), -1))

    return {"mobilenet": MobileNet, "mobilenetv2": MobileNetV2, "shufflenetv2": ShuffleNetV2,
            "efficientnetb0": EfficientNetB0}


def step_fn(torch, model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.tensor(x), torch.tensor(y)

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def eval_loss(torch, model, x, y):
    """The loss in evaluation mode (no dropout, the initial running statistics): the same in both libraries."""
    model.eval()
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(y)).item()
    model.train()
    return loss


def layer_kinds(torch, model, x):
    """{(kind, input shape, layer settings): count} for the Conv2d and BatchNorm2d layers of a PyTorch
    model, from one forward pass on ``x`` (kind: depthwise, pointwise, conv or batchnorm)."""
    found = {}

    def hook(m, inp, out):
        shape = tuple(inp[0].shape)
        if isinstance(m, torch.nn.Conv2d):
            kind = "depthwise" if m.groups > 1 else "pointwise" if m.kernel_size == (1, 1) else "conv"
            key = (kind, shape, (m.out_channels, m.kernel_size[0], m.stride[0], m.padding[0], m.groups))
        else:
            key = ("batchnorm", shape, ())
        found[key] = found.get(key, 0) + 1
    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d))]
    with torch.no_grad():
        model(torch.tensor(x))
    for h in hooks:
        h.remove()
    return found


def layer_fn(lib, kind, shape, settings, rng):
    """One layer of ``lib`` (torch or minicnn), forward and backward from a fixed upstream gradient."""
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    if kind == "batchnorm":
        layer = lib.nn.BatchNorm2d(shape[1])
    else:
        K, k, stride, padding, groups = settings
        layer = lib.nn.Conv2d(shape[1], K, k, stride, padding, groups=groups, bias=False)
    gy = lib.tensor(rng.standard_normal(tuple(layer(x).shape)).astype(np.float32))

    def run():
        x.grad = None
        layer(x).backward(gy)
    return run


def layers_table(torch, mc, name, x, rounds):
    """Print the model's layers by kind: minicnn's and PyTorch's summed times, alone, and the ratio."""
    torch.manual_seed(0)
    found = layer_kinds(torch, models(torch)[name](), x)
    sums, worst = {}, []
    for (kind, shape, settings), count in found.items():
        t = compare({lib: layer_fn(m, kind, shape, settings, np.random.default_rng(0))
                     for lib, m in (("minicnn", mc), ("torch", torch))}, rounds=rounds, block_time=0.2, settle=0.05)
        s = sums.setdefault(kind, [0, 0.0, 0.0])
        s[0] += count
        s[1] += count * t["minicnn"]
        s[2] += count * t["torch"]
        worst.append((count * (t["minicnn"] - t["torch"]), kind, shape, count, t["minicnn"] / t["torch"]))
    print(f"\n{name}: layers alone, forward + backward, summed over the model (ms)")
    print("| kind | layers | minicnn ms | PyTorch ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for kind, (count, ours, theirs) in sorted(sums.items(), key=lambda kv: -kv[1][1]):
        print(f"| {kind} | {count} | {ours * 1e3:.1f} | {theirs * 1e3:.1f} | {ours / theirs:.2f}x |")
    total = [sum(v[i] for v in sums.values()) for i in (1, 2)]
    print(f"| all | {sum(v[0] for v in sums.values())} | {total[0] * 1e3:.1f} | {total[1] * 1e3:.1f} | "
          f"{total[0] / total[1]:.2f}x |")
    print("the widest gaps: " + "; ".join(f"{kind} {'x'.join(map(str, shape))} x{count} {ratio:.2f}x"
                                          for _, kind, shape, count, ratio in sorted(worst, reverse=True)[:4]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None, help="mobilenet, mobilenetv2, shufflenetv2, efficientnetb0")
    ap.add_argument("--per-group", action="store_true", help="also time minicnn running one group after the other")
    ap.add_argument("--layers", action="store_true", help="time the layers one at a time, by kind, instead")
    args = ap.parse_args()
    blas = fix_threads(args.threads)
    import torch
    import minicnn as mc
    import minicnn.functional as MF
    torch.set_num_threads(args.threads)
    rs = np.random.default_rng(0)
    x = rs.standard_normal((args.batch, 3, 32, 32)).astype(np.float32)
    y = rs.integers(0, 10, args.batch)
    if args.layers:
        print(f"# {machine()}; BLAS {blas}; torch {torch.__version__}; batch {args.batch}, "
              f"one layer at a time, median of {args.rounds} alternating rounds")
        for name in args.only or list(models(torch)):
            layers_table(torch, mc, name, x, args.rounds)
        return
    print(f"# {machine()}; BLAS {blas}; torch {torch.__version__}; batch {args.batch}, "
          f"training step (forward, backward, SGD), median of {args.rounds} alternating rounds, ms")
    print("| model | minicnn ms | PyTorch ms | ratio |" + (" one group at a time ms | ratio |" if args.per_group else ""))
    print("|---|---:|---:|---:|" + ("---:|---:|" if args.per_group else ""))
    theirs_all, ours_all = models(torch), models(mc)
    for name in args.only or list(theirs_all):
        torch.manual_seed(0)
        theirs = theirs_all[name]()
        ours = ours_all[name]()
        ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
        first = [eval_loss(lib, model, x, y) for lib, model in ((mc, ours), (torch, theirs))]
        assert abs(first[0] - first[1]) <= 1e-3 * abs(first[1]), f"{name}: the losses differ {first}"
        funcs = {"minicnn": step_fn(mc, ours, x, y), "torch": step_fn(torch, theirs, x, y)}
        if args.per_group:
            real = MF.conv2d

            def per_group(*a, **k):
                if k.get("groups", a[6] if len(a) > 6 else 1) > 1:
                    k["algorithm"] = "im2col"
                return real(*a, **k)
            slow = ours_all[name]()
            slow.load_state_dict(ours.state_dict())
            step = step_fn(mc, slow, x, y)

            def slow_step():
                MF.conv2d = per_group
                try:
                    return step()
                finally:
                    MF.conv2d = real
            funcs["per_group"] = slow_step
        t = compare(funcs, rounds=args.rounds, warmup=1)
        line = f"| {name} | {t['minicnn'] * 1e3:.1f} | {t['torch'] * 1e3:.1f} | {t['minicnn'] / t['torch']:.2f}x |"
        if args.per_group:
            line += f" {t['per_group'] * 1e3:.1f} | {t['per_group'] / t['torch']:.2f}x |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
