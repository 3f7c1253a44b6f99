"""Slow: every model of the zoo can fit a small batch (at least 90% training accuracy)."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.models import alexnet, alexnet_cifar, googlenet, lenet5, resnet18, resnet34, resnet50, vgg, vgg16_cifar

CASES = [
    ("lenet5", lambda: lenet5(num_classes=4), (1, 28, 28), 1e-3),
    ("alexnet", lambda: alexnet(num_classes=4), (3, 64, 64), 1e-4),
    ("alexnet_cifar", lambda: alexnet_cifar(num_classes=4), (3, 32, 32), 1e-4),
    *[(f"vgg-{c}", (lambda c=c: vgg(c, num_classes=4)), (3, 32, 32), 1e-4) for c in ("A", "A-LRN", "B", "C", "D", "E")],
    ("vgg16_cifar", lambda: vgg16_cifar(num_classes=4), (3, 32, 32), 1e-3),
    ("googlenet", lambda: googlenet(num_classes=4), (3, 224, 224), 1e-4),
    ("resnet18", lambda: resnet18(num_classes=4), (3, 64, 64), 1e-3),
    ("resnet34", lambda: resnet34(num_classes=4), (3, 64, 64), 1e-3),
    ("resnet50", lambda: resnet50(num_classes=4), (3, 64, 64), 1e-3),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,make,shape,lr", CASES, ids=[c[0] for c in CASES])
def test_model_fits_a_small_batch(name, make, shape, lr):
    mc.manual_seed(0)
    model = make()
    rs = np.random.default_rng(0)
    x = mc.tensor(rs.random((8,) + shape, dtype=np.float32))
    y = np.arange(8) % 4
    opt = mc.optim.Adam(model.parameters(), lr=lr)
    acc = 0.0
    for step in range(250):             # VGG-E's 19 plain layers took 180 steps on an AVX2 machine (rounding)
        out = model(x)
        outs = list(out) if isinstance(out, tuple) else [out]
        loss = F.cross_entropy(outs[0], y)
        for aux in outs[1:]:
            loss = loss + F.cross_entropy(aux, y) * 0.3
        opt.zero_grad()
        loss.backward()
        opt.step()
        acc = float((outs[0].numpy().argmax(axis=1) == y).mean())
        if acc >= 0.9 and step >= 3:
            break
    assert acc >= 0.9, f"{name}: training accuracy {acc:.2f} after {step + 1} steps, loss {loss.item():.4f}"
