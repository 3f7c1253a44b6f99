"""ImageNet-1k: the class names, the two input conventions, and a top-5 readout.

Class index i is the i-th WordNet id in sorted order (n01440764 "tench" ... n15075141
"toilet_tissue"), the order torchvision and Keras both train with; the names are the first lemma of
each synset with spaces as underscores, as Keras prints them ("Chesapeake_Bay_retriever").

Two ways of feeding a pretrained network, which must match where its weights came from:

    mode="torch"  torchvision weights:  RGB, x / 255, then (x - mean) / std with
                  mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225)
    mode="caffe"  Keras VGG-16 weights: BGR, 0..255, minus the mean pixel (103.939, 116.779, 123.68)

Wrong preprocessing does not raise anything; it just gives confident nonsense.
"""
import os

import numpy as np

from ..backend import to_device
from ..tensor import Tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

_CLASSES = None


def imagenet_classes():
    """The 1,000 classes as a list of (wordnet_id, name), in the order of the logits."""
    global _CLASSES
    if _CLASSES is None:
        path = os.path.join(os.path.dirname(__file__), "imagenet_classes.txt")
        with open(path, encoding="utf-8") as f:
            _CLASSES = [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]
    return _CLASSES


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def decode_predictions(preds, top=5):
    """Top-k readout: (N, 1000) -> for each sample a list of (wordnet_id, name, probability), best first.

    ``preds`` may be probabilities (what Keras' model.predict gives after its softmax) or raw logits
    (what a minicnn or torchvision model returns): rows that are not probability distributions go
    through a softmax first. Accepts a Tensor or a NumPy/CuPy array.
    """
    p = preds.array if isinstance(preds, Tensor) else preds
    p = np.asarray(to_device(p, "cpu"), dtype=np.float64)
    if p.ndim == 1:
        p = p[None]
    classes = imagenet_classes()
    if p.ndim != 2 or p.shape[1] != len(classes):
        raise ValueError(f"decode_predictions expects a batch of ImageNet predictions of shape (N, {len(classes)}); "
                         f"got {tuple(p.shape)}")
    if not (np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-3)):
        p = _softmax(p)
    top = min(int(top), p.shape[1])
    best = np.argsort(-p, axis=1, kind="stable")[:, :top]
    return [[(*classes[j], float(row[j])) for j in idx] for row, idx in zip(p, best)]


def preprocess_input(images, mode="torch"):
    """Images (N, H, W, 3) or (H, W, 3), RGB in 0..255 (uint8 or float) -> float32 (N, 3, H, W) as the
    pretrained weights expect: mode="torch" for torchvision weights, "caffe" for Keras VGG-16 weights."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"preprocess_input expects RGB images of shape (N, H, W, 3) or (H, W, 3); got {x.shape}")
    x = x.transpose(0, 3, 1, 2)
    if mode == "torch":
        mean = np.asarray(IMAGENET_MEAN, np.float32).reshape(1, 3, 1, 1) * 255
        std = np.asarray(IMAGENET_STD, np.float32).reshape(1, 3, 1, 1) * 255
        return np.ascontiguousarray((x - mean) / std)
    if mode == "caffe":
        bgr = x[:, ::-1]
        return np.ascontiguousarray(bgr - np.asarray(CAFFE_MEAN_BGR, np.float32).reshape(1, 3, 1, 1))
    raise ValueError(f"preprocess_input: mode must be 'torch' or 'caffe', got {mode!r}")


def load_image(path, target_size=(224, 224), interpolation="nearest"):
    """One image file as uint8 (H, W, 3) RGB, resized to target_size (H, W). The defaults are those of
    Keras' load_img, which the source uses; "bilinear" is what torchvision's transforms use."""
    from PIL import Image
    filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
    if interpolation not in filters:
        raise ValueError(f"load_image: interpolation must be one of {sorted(filters)}, got {interpolation!r}")
    with Image.open(path) as im:
        im = im.convert("RGB")
        if target_size is not None:
            h, w = (target_size, target_size) if isinstance(target_size, int) else target_size
            im = im.resize((w, h), filters[interpolation])
        return np.asarray(im, dtype=np.uint8)
