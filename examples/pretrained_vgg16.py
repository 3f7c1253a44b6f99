"""A real pretrained VGG-16: ImageNet top-5 for your photos, then transfer to your image folder.

What the source does with Keras' VGG16(weights="imagenet"): classify 'dog.1.jpg' (it printed
"Chesapeake_Bay_retriever (36.80%)"), then cut the network at block5_pool, freeze it, and train
Flatten -> Dense(10, relu) -> a new output on cats vs dogs.

Weights (download by hand once; minicnn never fetches them, see minicnn/pretrained.py):
  vgg16_weights_tf_dim_ordering_tf_kernels.h5  Keras' file (pip install minicnn[keras] for h5py);
                                               the _notop.h5 file is enough for `transfer`
  vgg16-397923af.npz                           torchvision's vgg16-397923af.pth converted with
                                               python scripts/convert_torchvision_weights.py
The input convention follows the file: Keras' weights want BGR minus the mean pixel ("caffe"),
torchvision's want RGB scaled by ImageNet's mean and std ("torch").

    python examples/pretrained_vgg16.py predict WEIGHTS dog.1.jpg cat.2.jpg
    python examples/pretrained_vgg16.py transfer WEIGHTS PATH/TO/FOLDER --epochs 10 [--fine-tune]

`transfer` runs the frozen part of the network once per image and caches its output (block5_pool,
or block4_pool with --fine-tune, which then trains block 5 at lr/10 as the source's fine-tuning
recipe does): on a CPU that turns an hour per epoch into seconds. It writes transfer_vgg16.npz (the
trained layers) and transfer_vgg16_curves.png next to the folder's name, in the current directory.
"""
import argparse
import os
import sys

import numpy as np
from tqdm.auto import tqdm

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader, datasets
from minicnn.models import decode_predictions, load_image, preprocess_input, vgg16
from minicnn.plot import plot_history
from minicnn.pretrained import load_weights


def load_vgg16(weights):
    if not os.path.isfile(weights):
        sys.exit(f"{weights}: no such file. Download VGG-16 weights by hand (see this script's docstring).")
    model = vgg16()
    load_weights(model, weights, strict=not weights.endswith("_notop.h5"))
    mode = "caffe" if weights.endswith(".h5") else "torch"
    return model.eval(), mode


def predict(args):
    if args.weights.endswith("_notop.h5"):
        sys.exit("the _notop.h5 file has no classifier; `predict` needs vgg16_weights_tf_dim_ordering_tf_kernels.h5")
    model, mode = load_vgg16(args.weights)
    x = preprocess_input(np.stack([load_image(p, (224, 224)) for p in args.images]), mode=mode)
    logits = mc.predict(model, x, batch_size=8)                         # eval mode, no graph
    for path, top5 in zip(args.images, decode_predictions(logits, top=5)):
        wnid, name, p = top5[0]
        print(f"{path}: {name} ({p:.2%})")                   # the source's one-line readout
        for wnid, name, p in top5[1:]:
            print(f"    {name:30s} {p:7.2%}  {wnid}")


def cached_features(base, dataset, batch_size, what):
    """Run the frozen ``base`` once over ``dataset``; returns float32 features and the labels."""
    feats, labels = [], []
    with mc.no_grad():
        for start in tqdm(range(0, len(dataset), batch_size), desc=f"{what}: frozen VGG-16 features", unit="batch"):
            x, y = dataset.get_batch(np.arange(start, min(start + batch_size, len(dataset))))
            feats.append(base(mc.tensor(x)).numpy())
            labels.append(np.asarray(y))
    return np.concatenate(feats), np.concatenate(labels)


def transfer(args):
    model, mode = load_vgg16(args.weights)
    to_input = lambda image: preprocess_input(image, mode=mode)[0]      # noqa: E731  uint8 HWC -> CHW
    train, val = datasets.image_folder_splits(args.folder, target_size=224, transform=to_input, val_transform=to_input)
    print(f"classes: {train.classes}; {len(train)} training and {len(val)} validation images")
    cut = 24 if args.fine_tune else 31                                  # block4_pool / block5_pool
    base = model.features[:cut]
    x_train, y_train = cached_features(base, train, args.batch_size, "train")
    x_val, y_val = cached_features(base, val, args.batch_size, "val")

    mc.manual_seed(0)
    head = nn.Sequential(nn.Flatten(), nn.Linear(512 * 7 * 7, 10), nn.ReLU(), nn.Linear(10, len(train.classes)))
    if args.fine_tune:
        block5 = model.features[24:31]                                  # pretrained, trained at lr/10
        net = nn.Sequential(block5, head)
        opt = mc.optim.RMSprop([{"params": block5.parameters(), "lr": args.lr / 10},
                                {"params": head.parameters(), "lr": args.lr}])
    else:
        net = head
        opt = mc.optim.RMSprop(head.parameters(), lr=args.lr)          # the source compiles with 'rmsprop'
    # lr 1e-4, not RMSprop's usual 1e-3: its squared-gradient average starts at zero, so the first steps move
    # every weight by ~10 lr, and over 25,088 inputs that can push all 10 ReLUs of this narrow head below zero
    # for good (loss stuck at ln 2 for two classes; `python -m minicnn diagnose` reports them dead).
    net.summary(tuple(x_train.shape[1:]), batch_size=16)
    hist = mc.fit(net, DataLoader(ArrayDataset(x_train, y_train), batch_size=16, shuffle=True, seed=0),
                  epochs=args.epochs, optimizer=opt, validation_data=(x_val, y_val))
    name = "transfer_vgg16"
    mc.save(net.state_dict(), f"{name}.npz")
    plot_history(hist, f"{name}_curves.png")
    print(f"validation accuracy {hist.history['val_accuracy'][-1]:.2%} "
          f"(best {max(hist.history['val_accuracy']):.2%}); wrote {name}.npz and {name}_curves.png")
    return hist


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="ImageNet top-5 for each image")
    p.add_argument("weights")
    p.add_argument("images", nargs="+")
    t = sub.add_parser("transfer", help="train a new head on an image folder (root/CLASS/*.jpg or train/ + val/)")
    t.add_argument("weights")
    t.add_argument("folder")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--lr", type=float, default=1e-4, help="RMSprop's step for the new head (block 5 gets lr/10)")
    t.add_argument("--batch-size", type=int, default=16, help="images per forward pass of the frozen base")
    t.add_argument("--fine-tune", action="store_true", help="also train block 5 at lr/10")
    args = ap.parse_args(argv)
    return predict(args) if args.command == "predict" else transfer(args)


if __name__ == "__main__":
    main()
