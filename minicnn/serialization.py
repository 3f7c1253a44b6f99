"""Saving and loading state without pickle: a .npz zip of .npy arrays plus JSON.

Layout of the file (a valid .npz; ``numpy.load`` can read its arrays):
  __meta__.json   the nested structure: dicts, lists, numbers, strings, None,
                  with every array replaced by {"__array__": "<member name>"}
  <n>.npy         one member per array, written by numpy.lib.format

Nothing in the file can run code: arrays are read with allow_pickle=False and
the structure is plain JSON. Writing goes to a temporary file in the same
folder, flushed to disk, then renamed over the target, so an interrupted save
leaves the previous file intact.
"""
import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .backend import device_of
from .tensor import Tensor

_META = "__meta__.json"


def _encode(obj, arrays):
    if isinstance(obj, Tensor):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray) or device_of(obj) == "cuda":
        arr = obj if isinstance(obj, np.ndarray) else obj.get()
        if arr.dtype.hasobject:
            raise TypeError("mc.save: arrays of Python objects cannot be saved (they would need pickle)")
        name = f"{len(arrays)}.npy"
        arrays[name] = arr
        return {"__array__": name}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"mc.save: dict keys must be str or int, got {type(k).__name__}")
            out[str(k) if isinstance(k, str) else f"__int__{k}"] = _encode(v, arrays)
        return out
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_encode(v, arrays) for v in obj], "tuple": isinstance(obj, tuple)}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"mc.save: cannot store a {type(obj).__name__} (only arrays, tensors, numbers, "
                    "strings, lists and dicts)")


def _decode(obj, zf):
    if isinstance(obj, dict):
        if "__array__" in obj:
            with zf.open(obj["__array__"]) as f:
                data = io.BytesIO(f.read())
            try:
                return np.lib.format.read_array(data, allow_pickle=False)
            except ValueError as exc:
                raise ValueError(f"mc.load: refusing member {obj['__array__']}: it holds pickled Python "
                                 f"objects, which could run code ({exc})") from None
        if "__list__" in obj:
            items = [_decode(v, zf) for v in obj["__list__"]]
            return tuple(items) if obj.get("tuple") else items
        return {(int(k[7:]) if k.startswith("__int__") else k): _decode(v, zf) for k, v in obj.items()}
    return obj


def save(state, path):
    """Write ``state`` (arrays, tensors, nested dicts/lists, numbers, strings) to ``path`` atomically."""
    path = os.fspath(path)
    arrays = {}
    meta = _encode(state, arrays)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zf:
                zf.writestr(_META, json.dumps({"format": "minicnn-1", "state": meta}))
                for name, arr in arrays.items():
                    with zf.open(name, "w", force_zip64=True) as f:
                        np.lib.format.write_array(f, arr if arr.flags.c_contiguous else arr.copy(), allow_pickle=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Read what :func:`save` wrote. Arrays come back as NumPy arrays; no code is ever executed."""
    path = os.fspath(path)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(f"mc.load: {path} is not a minicnn file (not a zip archive; "
                         "pickle files such as torch .pt are refused)") from None
    with zf:
        if _META not in zf.namelist():
            raise ValueError(f"mc.load: {path} has no {_META}; it was not written by mc.save")
        meta = json.loads(zf.read(_META))
        return _decode(meta["state"], zf)
