"""The lecture's simplified VGG on CIFAR-10 (source document 003).

conv3-16 (padding 1) + ReLU, conv3-32 (no padding) + ReLU, max-pool 4, FC 32*7*7=1568 -> 10.
Augmentation Pad(4) + RandomHorizontalFlip + RandomCrop(32); each RGB channel normalized by
the training set's mean and std (the exercise); Adam lr 0.001 for 80 epochs, the learning
rate divided by 3 every 20 epochs; test accuracy after every epoch.

Needs the CIFAR-10 *binary* files (downloaded on first use, or see the error message).

    python examples/simple_vgg_cifar10.py --epochs 80
"""
import argparse

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import DataLoader, compute_mean_std, datasets, transforms as T


def simple_vgg(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3), nn.ReLU(),
        nn.MaxPool2d(4),
        nn.Flatten(), nn.Linear(32 * 7 * 7, num_classes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--data-root", default=None)
    args = ap.parse_args()
    mc.manual_seed(0)
    try:
        train_set = datasets.CIFAR10(root=args.data_root, train=True)
        test_set = datasets.CIFAR10(root=args.data_root, train=False)
    except FileNotFoundError as err:
        raise SystemExit(str(err))
    mean, std = compute_mean_std(train_set)
    print(f"training-set mean {mean.round(4).tolist()}, std {std.round(4).tolist()}")
    train_set.transform = T.Compose([T.ToTensor(), T.Normalize(mean, std), T.RandomCrop(32, padding=4),
                                     T.RandomHorizontalFlip()])
    test_set.transform = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    model = simple_vgg()
    model.summary((3, 32, 32))
    opt = mc.optim.Adam(model.parameters(), lr=1e-3)
    sched = mc.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=1 / 3)
    mc.fit(model, DataLoader(train_set, batch_size=64, shuffle=True, seed=0), epochs=args.epochs, optimizer=opt,
           scheduler=sched, validation_data=DataLoader(test_set, batch_size=500))


if __name__ == "__main__":
    main()
