"""Transfer learning as the source teaches it, runnable here with no downloads.

Pretrain LeNet-5 on Fashion-MNIST classes 0-4 (tops, trousers, pullovers, dresses, coats),
then learn classes 5-9 (sandals, shirts, sneakers, bags, ankle boots) from only a few hundred
images, three ways:
  frozen     the convolutional base frozen (requires_grad_(False)), a new head trained
  fine-tune  everything trained, the pretrained layers at lr/10 (parameter groups)
  scratch    the same network from random weights
and compare test accuracy on classes 5-9. Writes transfer_results.png.

    python examples/transfer_fashion_mnist.py --per-class 100 --epochs 15
"""
import argparse

import numpy as np

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader, datasets
from minicnn.models import lenet5


def subset(ds, classes, per_class=None, seed=0):
    rs = np.random.default_rng(seed)
    idx = np.concatenate([rs.permutation(np.flatnonzero(ds.targets == c))[:per_class] for c in classes])
    x, _ = ds.get_batch(np.sort(idx))
    return ArrayDataset(x, ds.targets[np.sort(idx)] - min(classes))


def new_head(model):
    model[11] = nn.Linear(84, 5)          # replace the classifier for the new 5 classes
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=100, help="training images per new class")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--out", default="transfer_results.png")
    args = ap.parse_args()
    try:
        train, test = datasets.FashionMNIST(train=True), datasets.FashionMNIST(train=False)
    except FileNotFoundError as err:
        raise SystemExit(str(err))
    mc.manual_seed(0)
    source = lenet5(num_classes=5)
    print("pretraining on classes 0-4 ...")
    mc.fit(source, DataLoader(subset(train, range(5)), batch_size=64, shuffle=True, seed=0), epochs=2,
           optimizer=mc.optim.Adam(source.parameters()), verbose=2)
    pretrained = {k: v.copy() for k, v in source.state_dict().items()}
    target_train = DataLoader(subset(train, range(5, 10), args.per_class), batch_size=32, shuffle=True, seed=1)
    target_test = DataLoader(subset(test, range(5, 10)), batch_size=500)

    results = {}
    for mode in ("frozen", "fine-tune", "scratch"):
        mc.manual_seed(1)
        model = lenet5(num_classes=5)
        if mode != "scratch":
            model.load_state_dict(pretrained)
        new_head(model)
        base, head = list(model[:11].parameters()), list(model[11].parameters())
        if mode == "frozen":
            model[:6].requires_grad_(False)                         # the convolutional base
            opt = mc.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        elif mode == "fine-tune":
            opt = mc.optim.Adam([{"params": base, "lr": 1e-4}, {"params": head, "lr": 1e-3}])
        else:
            opt = mc.optim.Adam(model.parameters(), lr=1e-3)
        hist = mc.fit(model, target_train, epochs=args.epochs, optimizer=opt, validation_data=target_test, verbose=0)
        results[mode] = hist.history["val_accuracy"]
        print(f"{mode:10s} test accuracy on classes 5-9 after {args.epochs} epochs: {results[mode][-1]:.4f} "
              f"(best {max(results[mode]):.4f})")

    print("\n| strategy | final accuracy | best accuracy |\n|---|---:|---:|")
    for mode, acc in results.items():
        print(f"| {mode} | {acc[-1]:.2%} | {max(acc):.2%} |")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for mode, acc in results.items():
        ax.plot(range(1, len(acc) + 1), acc, "o-", label=mode)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy, classes 5-9")
    ax.set_title(f"transfer from classes 0-4, {args.per_class} images per new class")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
