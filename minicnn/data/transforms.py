"""Transforms that work on whole batches with array operations (one call per batch, not per image).

Input layouts: uint8 images (N, H, W, C) before ToTensor; float32 (N, C, H, W) after it.
A single image ((H, W, C) or (C, H, W)) is treated as a batch of one.
Random transforms draw from minicnn's seeded generator (minicnn.manual_seed).
"""
import numpy as np

from .. import backend


def _batched(x, ndim=4):
    return (x[None], True) if x.ndim == ndim - 1 else (x, False)


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return "Compose(" + ", ".join(map(repr, self.transforms)) + ")"


class ToTensor:
    """uint8 (N, H, W, C) in [0, 255] -> float32 (N, C, H, W) in [0, 1]."""

    def __call__(self, x):
        x, single = _batched(np.asarray(x))
        out = x.transpose(0, 3, 1, 2).astype(np.float32)
        out *= np.float32(1 / 255)
        return out[0] if single else out

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean[c]) / std[c] per channel, on float (N, C, H, W)."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, np.float32).reshape(-1, 1, 1)

    def __call__(self, x):
        return (x - self.mean) / self.std

    def __repr__(self):
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


def _size(size):
    return (size, size) if isinstance(size, int) else tuple(size)


class RandomCrop:
    """Zero-pad by ``padding`` then cut a random size x size window from each image (N, C, H, W)."""

    def __init__(self, size, padding=0):
        self.size, self.padding = _size(size), padding

    def __call__(self, x):
        x, single = _batched(x)
        p = self.padding
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        N, C, H, W = x.shape
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop {self.size} larger than the padded image {(H, W)}")
        rng = backend.rng("cpu")
        oy, ox = rng.integers(0, H - h + 1, N), rng.integers(0, W - w + 1, N)
        windows = np.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(2, 3))   # (N, C, H-h+1, W-w+1, h, w)
        out = windows[np.arange(N), :, oy, ox]                                          # (N, C, h, w)
        return out[0] if single else out

    def __repr__(self):
        return f"RandomCrop({self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability p."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        x, single = _batched(x)
        flip = backend.rng("cpu").random(len(x)) < self.p
        out = x.copy()
        out[flip] = x[flip][..., ::-1]
        return out[0] if single else out

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class CenterCrop:
    def __init__(self, size):
        self.size = _size(size)

    def __call__(self, x):
        H, W = x.shape[-2:]
        h, w = self.size
        top, left = (H - h) // 2, (W - w) // 2
        return x[..., top:top + h, left:left + w]

    def __repr__(self):
        return f"CenterCrop({self.size})"


class Resize:
    """Bilinear resize of float (N, C, H, W) images to ``size`` with Pillow (one call per image and channel)."""

    def __init__(self, size):
        self.size = _size(size)

    def __call__(self, x):
        from PIL import Image
        x, single = _batched(x)
        h, w = self.size
        out = np.empty(x.shape[:2] + (h, w), np.float32)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                out[n, c] = np.asarray(Image.fromarray(x[n, c].astype(np.float32), mode="F").resize((w, h), Image.BILINEAR))
        return out[0] if single else out

    def __repr__(self):
        return f"Resize({self.size})"


def compute_mean_std(dataset, batch_size=1000):
    """Per-channel mean and standard deviation of a dataset's images (after its transform), over all pixels."""
    n, total, total_sq = 0, None, None
    for start in range(0, len(dataset), batch_size):
        x, _ = dataset.get_batch(np.arange(start, min(start + batch_size, len(dataset))))
        x = np.asarray(x, np.float64)
        s, sq = x.sum(axis=(0, 2, 3)), (x * x).sum(axis=(0, 2, 3))
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        n += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / n
    return mean.astype(np.float32), np.sqrt(total_sq / n - mean ** 2).astype(np.float32)
