"""Why does a plain deep VGG sit at chance? The source's VGG-16 on CIFAR-10 stayed at loss 2.3026
(= ln 10) for ten epochs. This reproduces it at a small scale and lets mc.diagnose point at the cause.

A plain stack of ten 3x3 convolutions (no batch norm) on Fashion-MNIST, trained three ways:
  paper-init   weights from N(0, 0.01), the VGG paper's initialisation for its shallowest net
  he-init      He-normal weights (std sqrt(2 / fan_in)): each layer keeps the signal's scale
  batch-norm   N(0, 0.01) again, with batch norm after every convolution
Before training and after, the diagnostics of the failing network are printed.

    python examples/why_not_learning.py --epochs 3
"""
import argparse

import numpy as np

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader, datasets


def plain_vgg(init, batch_norm=False, depth=10, width=32):
    layers, c = [], 1
    for i in range(depth):
        conv = nn.Conv2d(c, width, 3, padding=1)
        if init == "paper":
            nn.init.normal_(conv.weight, 0.0, 0.01)
        else:
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        nn.init.zeros_(conv.bias)
        layers += [conv] + ([nn.BatchNorm2d(width)] if batch_norm else []) + [nn.ReLU()]
        if i in (3, 7):
            layers.append(nn.MaxPool2d(2))
        c = width
    head = nn.Linear(width * 7 * 7, 10)
    nn.init.normal_(head.weight, 0.0, 0.01) if init == "paper" else nn.init.kaiming_normal_(head.weight)
    nn.init.zeros_(head.bias)
    return nn.Sequential(*layers, nn.Flatten(), head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train-size", type=int, default=3000)
    args = ap.parse_args()
    try:
        train, test = datasets.FashionMNIST(train=True), datasets.FashionMNIST(train=False)
    except FileNotFoundError as err:
        raise SystemExit(str(err))
    rs = np.random.default_rng(0)
    idx = np.sort(rs.choice(len(train), args.train_size, replace=False))
    x, y = train.get_batch(idx)
    xt, yt = test.get_batch(np.arange(2000))
    probe_x, probe_y = x[:64], y[:64]
    results = {}
    for name, init, bn in (("paper-init", "paper", False), ("he-init", "he", False), ("batch-norm", "paper", True)):
        mc.manual_seed(0)
        model = plain_vgg(init, bn)
        if name == "paper-init":
            print("== diagnostics of the plain network with N(0, 0.01) weights, before training ==")
            mc.diagnose(model, probe_x, probe_y)
        hist = mc.fit(model, DataLoader(ArrayDataset(x, y), batch_size=32, shuffle=True, seed=0), epochs=args.epochs,
                      optimizer=mc.optim.Adam(model.parameters(), lr=1e-3),
                      validation_data=DataLoader(ArrayDataset(xt, yt), batch_size=500), verbose=0)
        results[name] = hist.history
        print(f"{name:11s} loss per epoch {[round(v, 4) for v in hist.history['loss']]}, "
              f"test accuracy {[round(v, 4) for v in hist.history['val_accuracy']]}", flush=True)
        if name == "paper-init":
            print("== the same network after training ==")
            mc.diagnose(model, probe_x, probe_y)
    print("\n| network | loss after the last epoch | test accuracy |\n|---|---:|---:|")
    for name, h in results.items():
        print(f"| {name} | {h['loss'][-1]:.4f} | {h['val_accuracy'][-1]:.2%} |")


if __name__ == "__main__":
    main()
