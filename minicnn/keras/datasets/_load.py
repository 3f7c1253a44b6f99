"""The one loader behind keras.datasets' modules."""
import numpy as np


def load(cls, squeeze_channels, labels_2d):
    """Both splits of a minicnn data set as Keras gives them: uint8 images (N, H, W) for grey sets or
    (N, H, W, C), uint8 labels (N,) or, for CIFAR, (N, 1)."""
    out = []
    for train in (True, False):
        ds = cls(train=train)
        x = ds.images[..., 0] if squeeze_channels else ds.images
        y = ds.targets.astype(np.uint8)
        out.append((np.ascontiguousarray(x), y.reshape(-1, 1) if labels_2d else y))
    return tuple(out)
