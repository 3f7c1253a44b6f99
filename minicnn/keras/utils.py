"""keras.utils: to_categorical, and the image helpers the seeds call."""
import numpy as np


def to_categorical(x, num_classes=None):
    """Class indices -> one-hot float32 rows (N, num_classes); (N, 1) indices are taken as (N,)."""
    x = np.asarray(x)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.dtype.kind == "f":
        if np.any(x != np.round(x)):
            raise ValueError("to_categorical: expects whole-number class indices")
        x = x.astype(np.int64)
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: class indices must be >= 0, got {int(x.min())}")
    n = int(x.max()) + 1 if num_classes is None else int(num_classes)
    if x.size and x.max() >= n:
        raise ValueError(f"to_categorical: index {int(x.max())} is out of range for num_classes={n}")
    out = np.zeros(x.shape + (n,), np.float32)
    np.put_along_axis(out, x[..., None].astype(np.int64), 1.0, axis=-1)
    return out
