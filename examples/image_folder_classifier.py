"""A small CNN on an image folder (source document 004's 6-class, 150x150 task, or cats vs dogs).

The folder holds one subfolder per class (root/CLASS/*.jpg), or train/ and val/ folders that
each hold those. The student network that did best in the seminar: He-normal initialisation,
batch norm, global average pooling and heavy dropout.

    python examples/image_folder_classifier.py PATH/TO/FOLDER --size 150 --epochs 20
"""
import argparse
import os
import sys

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import DataLoader, datasets, transforms as T


def student_cnn(num_classes):
    layers, c = [], 3
    for width in (32, 64, 128, 256):
        conv = nn.Conv2d(c, width, 3, padding=1)
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        layers += [conv, nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
        c = width
    return nn.Sequential(*layers, nn.GlobalAvgPool2d(), nn.Dropout(0.8), nn.Linear(c, num_classes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--size", type=int, default=150)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    if not os.path.isdir(args.folder):
        sys.exit(f"{args.folder} is not a folder: give an image folder with one subfolder per class "
                 "(e.g. the Intel image classification set, or Kaggle's cats vs dogs)")
    mc.manual_seed(0)
    train, val = datasets.image_folder_splits(args.folder, target_size=args.size,
                                              transform=T.Compose([T.ToTensor(), T.RandomHorizontalFlip()]))
    print(f"classes: {train.classes}")
    model = student_cnn(len(train.classes))
    model.summary((3, args.size, args.size), batch_size=32)
    mc.fit(model, DataLoader(train, batch_size=32, shuffle=True, seed=0), epochs=args.epochs,
           optimizer=mc.optim.Adam(model.parameters(), lr=1e-3), validation_data=DataLoader(val, batch_size=64))


if __name__ == "__main__":
    main()
