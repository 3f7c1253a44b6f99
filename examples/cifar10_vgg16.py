"""The source's reduced VGG-16 for CIFAR-10 ("cifar10_VGG16", 2,264,394 parameters) with batch norm
and dropout: Adam, batch 64, 20 epochs (the source reports 82.5% validation accuracy).

    python examples/cifar10_vgg16.py --epochs 20
    # the same through the command line:
    python -m minicnn train --model vgg16_cifar --dataset cifar10 --batch-size 64 --epochs 20
"""
import argparse

import minicnn as mc
from minicnn.data import DataLoader, datasets
from minicnn.models import vgg16_cifar


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--data-root", default=None)
    args = ap.parse_args()
    mc.manual_seed(0)
    try:
        train_set = datasets.CIFAR10(root=args.data_root, train=True)
        test_set = datasets.CIFAR10(root=args.data_root, train=False)
    except FileNotFoundError as err:
        raise SystemExit(str(err))
    model = vgg16_cifar()
    model.summary((3, 32, 32), batch_size=64)
    history = mc.fit(model, DataLoader(train_set, batch_size=64, shuffle=True, seed=0), epochs=args.epochs,
                     optimizer=mc.optim.Adam(model.parameters(), lr=1e-3),
                     validation_data=DataLoader(test_set, batch_size=500),
                     callbacks=[mc.train.ModelCheckpoint("cifar10_vgg16_best.npz", monitor="val_accuracy")])
    print("best validation accuracy:", max(history.history["val_accuracy"]))


if __name__ == "__main__":
    main()
