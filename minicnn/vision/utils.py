"""torchvision.utils' make_grid and save_image: a batch of images as one picture.

make_grid lays B images (B, C, H, W) out in rows of ``nrow``, with ``padding`` pixels of ``pad_value``
around and between them: (C, rows * (H + padding) + padding, nrow * (W + padding) + padding); grey
images (C = 1) become three equal channels, as torchvision does.
"""
import math

import numpy as np

from ..tensor import Tensor


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """(B, C, H, W) images (a Tensor, an array, or a list of (C, H, W)) -> one (C', H', W') Tensor grid."""
    if isinstance(tensor, (list, tuple)):
        x = np.stack([t.numpy() if isinstance(t, Tensor) else np.asarray(t) for t in tensor])
    else:
        x = tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)
    x = x.astype(np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[None] if x.shape[0] in (1, 3) else x[:, None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expects images (B, C, H, W), got shape {x.shape}")
    if x.shape[1] == 1:
        x = np.concatenate([x, x, x], axis=1)
    if normalize:
        def scale(a, lo, hi):
            return np.clip((a - lo) / max(hi - lo, 1e-5), 0, 1)
        if scale_each:
            x = np.stack([scale(im, *(value_range or (im.min(), im.max()))) for im in x])
        else:
            x = scale(x, *(value_range or (x.min(), x.max())))
    if len(x) == 1:
        return Tensor(x[0])
    B, C, H, W = x.shape
    cols = min(nrow, B)
    rows = int(math.ceil(B / cols))
    h, w = H + padding, W + padding
    grid = np.full((C, rows * h + padding, cols * w + padding), pad_value, np.float32)
    for k in range(B):
        r, c = divmod(k, cols)
        grid[:, r * h + padding:r * h + padding + H, c * w + padding:c * w + padding + W] = x[k]
    return Tensor(grid)


def save_image(tensor, fp, format=None, **kwargs):  # noqa: A002  (torchvision's name)
    """make_grid(tensor, **kwargs), scaled from [0, 1] to 0..255, written as an image file (PNG, JPEG, ...)."""
    from PIL import Image
    grid = make_grid(tensor, **kwargs).numpy()
    image = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(image).save(fp, format=format)
