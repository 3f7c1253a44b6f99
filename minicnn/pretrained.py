"""Pretrained weights without servers of our own, and without unpickling anything.

Where the weights come from (download them by hand; minicnn never fetches them):

  torchvision (.pth)  https://download.pytorch.org/models/<file>, e.g. vgg16-397923af.pth,
                      alexnet-owt-7be5be79.pth, resnet50-0676ba61.pth. A .pth file is a pickle,
                      which can run code, so minicnn does not read it: convert it once with
                      `python scripts/convert_torchvision_weights.py vgg16-397923af.pth`
                      (needs PyTorch), which checks the file against the SHA-256 prefix that
                      torchvision puts in its names and writes vgg16-397923af.npz.
  Keras (.h5)         https://github.com/fchollet/deep-learning-models/releases/download/v0.1/
                      vgg16_weights_tf_dim_ordering_tf_kernels.h5 (or ..._notop.h5), read with
                      h5py (`pip install minicnn[keras]`), checked against Keras' pinned MD5, and
                      converted: kernels (R, S, C, K) -> (K, C, R, S); the first dense layer's rows
                      reordered from Keras' (H, W, C) flatten order to minicnn's (C, H, W).
  minicnn (.npz)      anything written by mc.save(model.state_dict(), path).
"""
import hashlib
import os
import re
import warnings

import numpy as np

from .serialization import load

KERAS_MD5 = {
    "vgg16_weights_tf_dim_ordering_tf_kernels.h5": "64373286793e3c8b2b4e3219cbf3544b",
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5": "6d6bbae143d832006294945121d1f1fc",
}
TORCHVISION_URL = "https://download.pytorch.org/models/"


def sha256_prefix_ok(path):
    """torchvision's convention: NAME-<first hex digits of the SHA-256>.pth. None when the name has no hash."""
    m = re.search(r"-([0-9a-f]{8,64})\.(pth|pt)$", os.path.basename(path))
    if not m:
        return None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest().startswith(m.group(1))


def load_weights(model, path, strict=True):
    """Load .npz (minicnn or converted torchvision) or Keras .h5 weights into ``model``; returns the model.
    With strict=False, what did not match is named in a warning (and nothing loaded is said loudly)."""
    path = os.fspath(path)
    if path.lower().endswith((".pth", ".pt")):
        raise ValueError(f"{path} is a PyTorch pickle; minicnn does not unpickle files. Convert it once with "
                         f"`python scripts/convert_torchvision_weights.py {path}` (needs PyTorch)")
    if path.lower().endswith(".h5"):
        return load_keras_vgg16(model, path, strict=strict)
    state = load(path)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not weights: a weights file holds a dict of "
                         "arrays by name (mc.save(model.state_dict(), path))")
    if "state_dict" in state and isinstance(state["state_dict"], dict):     # written by the converter
        state = state["state_dict"]
    elif "model" in state and "optimizer" in state and isinstance(state["model"], dict):   # a training checkpoint
        state = state["model"]
    _loaded(model, model.load_state_dict(state, strict=strict), path)
    return model


def _loaded(model, keys, path):
    """Warn about what a strict=False load left out: every key of the model missing is a loud warning."""
    missing, unexpected = keys
    total = len(model.state_dict())
    if missing and len(missing) == total:
        warnings.warn(f"load_weights: nothing of {path} was loaded into {type(model).__name__}: none of its "
                      f"{total} keys is in the file (the file has {', '.join(unexpected[:4]) or 'no arrays'}"
                      f"{' ...' if len(unexpected) > 4 else ''}); is it the weights of another model?", stacklevel=3)
    elif missing or unexpected:
        warnings.warn(f"load_weights: {total - len(missing)} of {total} tensors loaded from {path}; "
                      + "; ".join(f"{what} {len(ks)}: {', '.join(ks[:4])}{' ...' if len(ks) > 4 else ''}"
                                  for what, ks in (("missing", missing), ("unexpected", unexpected)) if ks),
                      stacklevel=3)


def _md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def keras_vgg16_state(path, verify=True):
    """The weights of a Keras VGG-16 .h5 file as a minicnn/torchvision state_dict for vgg16()."""
    try:
        import h5py
    except ImportError:
        raise ImportError("reading Keras .h5 files needs h5py: pip install minicnn[keras]") from None
    name = os.path.basename(path)
    if verify and name in KERAS_MD5 and _md5(path) != KERAS_MD5[name]:
        raise ValueError(f"{path} does not match Keras' pinned MD5 {KERAS_MD5[name]}: truncated or corrupt")
    convs = [f"block{b}_conv{i}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)]
    feature_index = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    state, size = {}, os.path.getsize(path)
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f

        def arrays(layer):
            if layer not in root:
                raise ValueError(f"{path} has no layer {layer!r}, so it is not a Keras VGG-16 weight file "
                                 f"(its layers: {', '.join(list(root)[:8])}{' ...' if len(root) > 8 else ''})")
            found = [_read_dataset(path, d, size) for d in _datasets(h5py, path, root, layer)]
            kernel = next((a for a in found if a.ndim >= 2), None)
            bias = next((a for a in found if a.ndim == 1), None)
            if kernel is None or bias is None:
                raise ValueError(f"{path}: layer {layer!r} has no {'kernel' if kernel is None else 'bias'} "
                                 "(VGG-16's layers all have both)")
            return kernel, bias

        for layer, idx in zip(convs, feature_index):
            k, b = arrays(layer)                                        # (R, S, C, K)
            state[f"features.{idx}.weight"] = np.ascontiguousarray(k.transpose(3, 2, 0, 1), np.float32)
            state[f"features.{idx}.bias"] = b.astype(np.float32)
        for layer, idx in (("fc1", 0), ("fc2", 3), ("predictions", 6)):
            if layer not in root:
                continue
            k, b = arrays(layer)                                        # (in, out)
            if layer == "fc1":                                          # rows in (h, w, c) order -> (c, h, w)
                side = int(round((k.shape[0] // 512) ** 0.5))           # 7 for 224x224 inputs
                k = k.reshape(side, side, 512, -1).transpose(2, 0, 1, 3).reshape(k.shape[0], -1)
            state[f"classifier.{idx}.weight"] = np.ascontiguousarray(k.T, np.float32)
            state[f"classifier.{idx}.bias"] = b.astype(np.float32)
    return state


MAX_RATIO = 1100           # gzip's own limit is ~1032:1; a dataset declaring more than that is a bomb


def _datasets(h5py, path, root, layer):
    """The datasets under root[layer], in order, refusing links to other files (h5py would open them)."""
    found, todo = [], [f"{root.name.rstrip('/')}/{layer}"]
    while todo:
        name = todo.pop(0)
        group = root.file[name]
        for key in group:
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise ValueError(f"{path}: {name}/{key} is a link to another file ({link.filename}); minicnn reads "
                                 "weights from the file it is given only")
            if isinstance(link, h5py.SoftLink):
                raise ValueError(f"{path}: {name}/{key} is a soft link; Keras writes weights as plain datasets")
            obj = group[key]
            if isinstance(obj, h5py.Group):
                todo.append(obj.name)
            elif isinstance(obj, h5py.Dataset):
                found.append(obj)
    return found


def _read_dataset(path, d, file_size):
    """One dataset's array, after checking that it lives in this file and that its declared size could
    come from the bytes stored there (a 10 KB file once declared 9.3 GiB of gzip'd zeros)."""
    if d.external or d.is_virtual:
        raise ValueError(f"{path}: dataset {d.name} keeps its data in another file "
                         f"({'external storage' if d.external else 'a virtual dataset'}); minicnn refuses it")
    declared = d.size * d.dtype.itemsize
    stored = d.id.get_storage_size()
    if declared > MAX_RATIO * max(stored, 1) or stored > file_size:
        raise ValueError(f"{path} is damaged: dataset {d.name} declares {d.shape} {d.dtype} ({declared:,} bytes) "
                         f"but stores {stored:,} bytes in a {file_size:,}-byte file")
    return np.asarray(d)


def load_keras_vgg16(model, path, strict=True):
    """Keras VGG-16 weights into minicnn's vgg16() (or its features alone, for the no-top file)."""
    state = keras_vgg16_state(path)
    has_top = any(k.startswith("classifier.") for k in state)
    if not has_top and strict:
        left = [k for k in model.state_dict() if k not in state]
        if left:
            raise ValueError(f"{path} holds the convolutional base only (Keras' _notop file), so {len(left)} "
                             f"weights of the model would stay untrained ({', '.join(left[:3])} ...): pass "
                             "strict=False to load the base alone, or use the file with the dense layers")
    _loaded(model, model.load_state_dict(state, strict=strict), path)
    return model
