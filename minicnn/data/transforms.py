"""Image transforms with torchvision's names and order, each in two forms.

Per image (``t(img)``), as torchvision: before ``ToTensor`` an image is a PIL image or an
(H, W, C) / (H, W) array, as loaded; ``ToTensor`` turns it into a float32 (C, H, W) Tensor
in [0, 1]; after it, transforms work on (C, H, W). Every transform knows which side of
ToTensor it is on from what it receives, so ``Compose([RandomHorizontalFlip(), RandomCrop(32,
padding=4), ToTensor(), Normalize(...)])`` works in torchvision's order.

Per batch (``t.apply_batch(images)``), what minicnn's own datasets call: a whole batch of
uint8 (N, H, W, C) images in one array operation per transform (one call per batch, not per
image), giving float32 (N, C, H, W) after ToTensor. ``Compose`` keeps track of the layout.
A transform without a batched form (or any callable of yours) runs image by image.

Random transforms draw from minicnn's seeded generator (minicnn.manual_seed).
"""
import numbers

import numpy as np

from .. import backend


# ---------------------------------------------------------------- layouts
def _is_pil(img):
    return type(img).__module__.startswith("PIL.")


def _tensor_type():
    from ..tensor import Tensor
    return Tensor


def _as_hwc(img):
    """A PIL image or an (H, W[, C]) array as an (H, W, C) array (a view when possible)."""
    a = np.asarray(img)
    return a[:, :, None] if a.ndim == 2 else a


def _image(img):
    """(array, channels_first, rewrap): the pixels of any per-image input and how to give them back.
    A Tensor is (C, H, W); a PIL image or an array is (H, W, C), as torchvision reads them."""
    Tensor = _tensor_type()
    if isinstance(img, Tensor):
        return img.numpy(), True, lambda a: Tensor(np.ascontiguousarray(a))
    if _is_pil(img):
        from PIL import Image
        mode = img.mode
        return _as_hwc(img), False, lambda a: Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a, mode=mode)
    a = np.asarray(img)
    if a.ndim == 2:
        return a[:, :, None], False, lambda out: out[:, :, 0]
    return a, False, lambda out: out


def _hw_axes(channels_first, batched):
    """The (height, width) axes of an image or a batch in either layout."""
    base = 1 if batched else 0
    return (base + 1, base + 2) if channels_first else (base, base + 1)


def _size(size):
    return (size, size) if isinstance(size, numbers.Integral) else tuple(size)


def _rng():
    return backend.rng("cpu")


class Transform:
    """Base class: ``__call__`` transforms one image via ``apply(array, channels_first)``;
    ``apply_batch`` does a batch (N first), by ``apply_many`` if the subclass vectorizes it,
    else image by image."""

    def __call__(self, img):
        a, cf, rewrap = _image(img)
        return rewrap(self.apply(a, cf))

    def apply(self, a, channels_first):
        raise NotImplementedError

    def apply_batch(self, images, channels_first=None):
        images = np.asarray(images)
        if channels_first is None:                  # a batch of raw images is uint8 (N, H, W, C)
            channels_first = images.dtype != np.uint8
        return self.apply_many(images, channels_first)

    def apply_many(self, images, channels_first):
        return np.stack([self.apply(im, channels_first) for im in images])

    def __repr__(self):
        return f"{type(self).__name__}()"


class Compose:
    """Apply transforms one after the other (per image, or per batch with apply_batch)."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def apply_batch(self, images, channels_first=None):
        x = np.asarray(images)
        cf = x.dtype != np.uint8 if channels_first is None else channels_first
        for t in self.transforms:
            if isinstance(t, (Transform, Compose)):
                x = t.apply_batch(x, cf)
            else:                                   # a plain callable: per image, as torchvision calls it
                Tensor = _tensor_type()
                x = np.stack([np.asarray(t(Tensor(im) if cf else im)) for im in x])
            cf = cf or isinstance(t, ToTensor)
        return x

    def __repr__(self):
        return "Compose(" + ", ".join(map(repr, self.transforms)) + ")"


class Lambda(Transform):
    """A function of yours as a transform (called on each image)."""

    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def apply(self, a, channels_first):
        return np.asarray(self.lambd(a))


class ToTensor(Transform):
    """uint8 (H, W, C) in [0, 255] -> float32 (C, H, W) in [0, 1] (other dtypes: converted, not scaled,
    as torchvision). Batched: (N, H, W, C) -> (N, C, H, W)."""

    def __call__(self, img):
        Tensor = _tensor_type()
        if isinstance(img, Tensor):
            raise TypeError("ToTensor: the input is a Tensor already (ToTensor takes a PIL image or an "
                            "(H, W, C) array)")
        return Tensor(self.apply(_as_hwc(img), False))

    def apply(self, a, channels_first):
        return self.apply_many(a[None], channels_first)[0]

    def apply_many(self, x, channels_first):
        if channels_first:
            raise TypeError("ToTensor: the images are already (C, H, W) tensors (is ToTensor in the pipeline twice?)")
        out = x.transpose(0, 3, 1, 2).astype(np.float32)
        if x.dtype == np.uint8:
            out *= np.float32(1 / 255)
        return out


class Normalize(Transform):
    """(x - mean[c]) / std[c] per channel, on float (C, H, W) tensors (after ToTensor)."""

    def __init__(self, mean, std, inplace=False):
        self.mean = np.asarray(mean, np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, np.float32).reshape(-1, 1, 1)

    def apply(self, a, channels_first):
        return self.apply_many(a, channels_first)

    def apply_many(self, x, channels_first):
        if not channels_first:
            raise TypeError("Normalize works on (C, H, W) tensors: put it after ToTensor, as in torchvision")
        return (x - self.mean) / self.std

    def __repr__(self):
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


def _pad_widths(ndim, axes, pads):
    """np.pad widths padding the (height, width) ``axes`` by (top, bottom, left, right)."""
    widths = [(0, 0)] * ndim
    widths[axes[0]], widths[axes[1]] = (pads[0], pads[1]), (pads[2], pads[3])
    return widths


def _padding(padding):
    """torchvision's padding: int, (left/right, top/bottom) or (left, top, right, bottom) -> (t, b, l, r)."""
    if isinstance(padding, numbers.Integral):
        return (padding,) * 4
    padding = tuple(padding)
    if len(padding) == 2:
        return (padding[1], padding[1], padding[0], padding[0])
    if len(padding) == 4:
        left, top, right, bottom = padding
        return (top, bottom, left, right)
    raise ValueError(f"padding must be an int, 2 or 4 values, got {padding!r}")


class Pad(Transform):
    """Pad the borders: int, (left/right, top/bottom) or (left, top, right, bottom), as torchvision.
    padding_mode "constant" (with ``fill``), "edge", "reflect" or "symmetric"."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: unknown padding_mode {padding_mode!r}")
        self.pads, self.fill, self.mode = _padding(padding), fill, padding_mode

    def apply(self, a, channels_first):
        return self.apply_many(a[None], channels_first)[0]

    def apply_many(self, x, channels_first):
        widths = _pad_widths(x.ndim, _hw_axes(channels_first, True), self.pads)
        if self.mode == "constant":
            return np.pad(x, widths, constant_values=self.fill)
        return np.pad(x, widths, mode=self.mode)

    def __repr__(self):
        return f"Pad({self.pads}, fill={self.fill}, padding_mode={self.mode!r})"


class RandomCrop(Transform):
    """Pad by ``padding`` (zeros), then cut a random ``size`` window from each image.
    ``pad_if_needed``: an image smaller than the window is first padded on both sides, as torchvision."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _size(size)
        self.padding = padding or 0
        self.pad = Pad(padding, fill, padding_mode) if padding else None
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def apply(self, a, channels_first):
        return self.apply_many(a[None], channels_first)[0]

    def apply_many(self, x, channels_first):
        if self.pad is not None:
            x = self.pad.apply_many(x, channels_first)
        if self.pad_if_needed:
            ha, wa = _hw_axes(channels_first, True)
            dh, dw = max(0, self.size[0] - x.shape[ha]), max(0, self.size[1] - x.shape[wa])
            if dh or dw:
                x = Pad((dw, dh), self.fill, self.padding_mode).apply_many(x, channels_first)
        if not channels_first:     # crop channel-first; the padding above is done, so not again
            return self._crop(x.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1)
        return self._crop(x)

    def _crop(self, x):
        """x: (N, C, H, W), already padded -> (N, C, h, w), one random window per image."""
        N, C, H, W = x.shape
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop {self.size} larger than the padded image {(H, W)}")
        oy, ox = _rng().integers(0, H - h + 1, N), _rng().integers(0, W - w + 1, N)
        windows = np.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(2, 3))   # (N, C, H-h+1, W-w+1, h, w)
        return windows[np.arange(N), :, oy, ox]                                         # (N, C, h, w)

    def __repr__(self):
        return f"RandomCrop({self.size}, padding={self.padding})"


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability p."""

    def __init__(self, p=0.5):
        self.p = p

    def apply(self, a, channels_first):
        return self.apply_many(a[None], channels_first)[0]

    def apply_many(self, x, channels_first):
        flip = _rng().random(len(x)) < self.p
        w_axis = _hw_axes(channels_first, True)[1]
        out = x.copy()
        out[flip] = np.flip(x[flip], axis=w_axis)
        return out

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class CenterCrop(Transform):
    """Crop the central size x size (or (h, w)) window of each image."""
    def __init__(self, size):
        self.size = _size(size)

    def apply(self, a, channels_first):
        return self.apply_many(a[None], channels_first)[0]

    def apply_many(self, x, channels_first):
        ha, wa = _hw_axes(channels_first, True)
        H, W = x.shape[ha], x.shape[wa]
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"CenterCrop: crop {self.size} larger than the image {(H, W)}")
        top, left = int(round((H - h) / 2.0)), int(round((W - w) / 2.0))       # torchvision rounds
        index = [slice(None)] * x.ndim
        index[ha], index[wa] = slice(top, top + h), slice(left, left + w)
        return x[tuple(index)]

    def __repr__(self):
        return f"CenterCrop({self.size})"


def _resize_plane(plane, h, w):
    """One 2-D plane resized bilinearly by Pillow (uint8 planes stay uint8, others go through float32)."""
    from PIL import Image
    if plane.dtype == np.uint8:
        return np.asarray(Image.fromarray(plane).resize((w, h), Image.BILINEAR))
    return np.asarray(Image.fromarray(plane.astype(np.float32), mode="F").resize((w, h), Image.BILINEAR))


def _resize(a, size, channels_first):
    """Resize one image (either layout) to (h, w), channel by channel."""
    h, w = size
    planes = a if channels_first else a.transpose(2, 0, 1)
    out = np.stack([_resize_plane(p, h, w) for p in planes]).astype(a.dtype if a.dtype == np.uint8 else np.float32)
    return out if channels_first else out.transpose(1, 2, 0)


class Resize(Transform):
    """Bilinear resize. An int matches the shorter side and keeps the aspect ratio; (h, w) is exact
    (torchvision's rule)."""

    def __init__(self, size):
        self.size = size if isinstance(size, numbers.Integral) else tuple(size)

    def target(self, H, W):
        if not isinstance(self.size, numbers.Integral):
            return self.size
        s = self.size
        return (s, int(s * W / H)) if H <= W else (int(s * H / W), s)

    def apply(self, a, channels_first):
        ha, wa = _hw_axes(channels_first, False)
        return _resize(a, self.target(a.shape[ha], a.shape[wa]), channels_first)

    def __repr__(self):
        return f"Resize({self.size})"


class RandomResizedCrop(Transform):
    """A random part of each image (area fraction in ``scale``, aspect ratio in ``ratio``), resized to
    ``size``; after 10 misses, the centre crop with the ratio clamped (torchvision's rule)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
        self.size, self.scale, self.ratio = _size(size), tuple(scale), tuple(ratio)

    def params(self, H, W):
        area, rng = H * W, _rng()
        log_ratio = np.log(self.ratio)
        for _ in range(10):
            target = area * rng.uniform(*self.scale)
            aspect = np.exp(rng.uniform(*log_ratio))
            w, h = int(round(np.sqrt(target * aspect))), int(round(np.sqrt(target / aspect)))
            if 0 < w <= W and 0 < h <= H:
                return int(rng.integers(0, H - h + 1)), int(rng.integers(0, W - w + 1)), h, w
        in_ratio = W / H
        if in_ratio < min(self.ratio):
            w, h = W, int(round(W / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = H, int(round(H * max(self.ratio)))
        else:
            w, h = W, H
        return (H - h) // 2, (W - w) // 2, h, w

    def apply(self, a, channels_first):
        ha, wa = _hw_axes(channels_first, False)
        top, left, h, w = self.params(a.shape[ha], a.shape[wa])
        index = [slice(None)] * a.ndim
        index[ha], index[wa] = slice(top, top + h), slice(left, left + w)
        return _resize(a[tuple(index)], self.size, channels_first)

    def __repr__(self):
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


def _gray(rgb):
    """ITU-R 601-2 luma, as PIL's "L" conversion and torchvision's rgb_to_grayscale: (..., 3) -> (...)."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _rgb_to_hsv(rgb):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    mx, mn = rgb.max(-1), rgb.min(-1)
    delta = mx - mn
    safe = np.where(delta > 0, delta, 1)
    h = np.where(mx == r, (g - b) / safe % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) / 6
    h = np.where(delta > 0, h, 0)
    s = np.where(mx > 0, delta / np.where(mx > 0, mx, 1), 0)
    return np.stack([h, s, mx], -1)


def _hsv_to_rgb(hsv):
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    i = np.floor(h * 6)
    f = h * 6 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(np.int64) % 6
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    return np.stack([np.choose(i, [c[k] for c in choices]) for k in range(3)], -1)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue changes, in a random order per image (torchvision's
    factors: brightness b draws a factor in [max(0, 1 - b), 1 + b], hue h a shift in [-h, h])."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        def bounds(v, name, center=1.0, lo=0.0):
            if isinstance(v, numbers.Number):
                if v < 0:
                    raise ValueError(f"ColorJitter: {name} must be non-negative, got {v}")
                return None if v == 0 else (max(lo, center - v), center + v)
            return tuple(v)
        self.brightness, self.contrast = bounds(brightness, "brightness"), bounds(contrast, "contrast")
        self.saturation = bounds(saturation, "saturation")
        self.hue = bounds(hue, "hue", center=0.0, lo=-0.5)
        if self.hue is not None and not -0.5 <= self.hue[0] <= self.hue[1] <= 0.5:
            raise ValueError(f"ColorJitter: hue must lie in [-0.5, 0.5], got {hue}")

    def apply(self, a, channels_first):
        rgb = (a.transpose(1, 2, 0) if channels_first else a).astype(np.float32)
        scale = 255.0 if a.dtype == np.uint8 else 1.0
        x = rgb / scale
        rng = _rng()
        for which in rng.permutation(4):
            if which == 0 and self.brightness:
                x = x * rng.uniform(*self.brightness)
            elif which == 1 and self.contrast:
                mean = _gray(x).mean() if x.shape[-1] == 3 else x.mean()
                x = (x - mean) * rng.uniform(*self.contrast) + mean
            elif which == 2 and self.saturation and x.shape[-1] == 3:
                g = _gray(x)[..., None]
                x = (x - g) * rng.uniform(*self.saturation) + g
            elif which == 3 and self.hue and x.shape[-1] == 3:
                hsv = _rgb_to_hsv(np.clip(x, 0, 1))
                hsv[..., 0] = (hsv[..., 0] + rng.uniform(*self.hue)) % 1.0
                x = _hsv_to_rgb(hsv)
            x = np.clip(x, 0, 1)
        out = x * scale
        out = np.round(out).astype(np.uint8) if a.dtype == np.uint8 else out.astype(a.dtype)
        return out.transpose(2, 0, 1) if channels_first else out

    def __repr__(self):
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


def compute_mean_std(dataset, batch_size=1000):
    """Per-channel mean and standard deviation of a dataset's images (after its transform), over all pixels."""
    n, total, total_sq = 0, None, None
    for start in range(0, len(dataset), batch_size):
        x = dataset.get_batch(np.arange(start, min(start + batch_size, len(dataset))))[0]
        x = np.asarray(x, np.float64)
        s, sq = x.sum(axis=(0, 2, 3)), (x * x).sum(axis=(0, 2, 3))
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        n += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / n
    return mean.astype(np.float32), np.sqrt(total_sq / n - mean ** 2).astype(np.float32)
