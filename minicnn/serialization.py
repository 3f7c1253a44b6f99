"""Saving and loading state without pickle: a .npz zip of .npy arrays plus JSON.

Layout of the file (a valid .npz; ``numpy.load`` can read its arrays):
  __meta__.json   {"format": "minicnn-2", "state": ...}: the nested structure in JSON, every
                  container tagged so that no key of yours can be mistaken for a tag:
                    dict   {"__dict__": [[key, value], ...]}   (keys: str, or int -- JSON keeps which)
                    list   {"__list__": [...]}     tuple {"__tuple__": [...]}
                    array  {"__array__": "<member name>"}
                  numbers, strings, booleans and None as themselves.
  <n>.npy         one member per array, written by numpy.lib.format

Nothing in the file can run code: arrays are read with allow_pickle=False and the structure is
plain JSON. Before a member is read, its .npy header is read and the bytes it promises are
checked against the member's size in the zip directory, so a small file cannot make load inflate
gigabytes; the JSON structure is bounded too (MAX_META bytes, MAX_DEPTH levels), and a member
that is compressed (minicnn writes none) may not inflate past MAX_RATIO times its stored size.
Writing goes to a temporary file beside the target (``.NAME.tmp-PID``), flushed to
disk, then renamed over the target: an interrupted save leaves the previous file intact, and the
next save to the same path removes a temporary file that a killed process left behind.
"""
import contextlib
import glob
import json
import math
import os
import tokenize
import zipfile
import zlib

import numpy as np

from .backend import device_of
from .tensor import Tensor

_META = "__meta__.json"
FORMAT = "minicnn-2"
READABLE = ("minicnn-1", "minicnn-2")             # minicnn-1: the earlier, untagged dict layout
MAX_META = 64 << 20              # the structure of a model with 10^6 tensors is ~50 MB of JSON
MAX_DEPTH = 200                  # a state nests a handful of levels; JSON's parser recurses per level
MAX_RATIO = 1100                 # deflate's own limit is ~1032:1; past it a member is a zip bomb
# what a damaged zip member raises from zipfile, numpy's header parser (ast/tokenize) or the zlib stream
_UNREADABLE = (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError, SyntaxError,
               tokenize.TokenError, zlib.error, UnicodeDecodeError)


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
        items = []
        for k, v in obj.items():
            if isinstance(k, (bool, np.bool_)) or not isinstance(k, (str, int, np.integer)):
                raise TypeError(f"mc.save: dict keys must be str or int, got {type(k).__name__} ({k!r})")
            items.append([k if isinstance(k, str) else int(k), _encode(v, arrays)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        return {"__tuple__" if isinstance(obj, tuple) else "__list__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}                  # JSON has no NaN or Infinity
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"mc.save: cannot store a {type(obj).__name__} (only arrays, tensors, numbers, "
                    "strings, lists and dicts)")


class _Reader:
    """Decodes the JSON structure of one file, reading each array member after checking its size."""

    def __init__(self, path, zf, version):
        self.path, self.zf, self.version = path, zf, version

    def fail(self, what):
        raise ValueError(f"mc.load: {self.path} is damaged: {what}")

    def array(self, name):
        if not isinstance(name, str):
            self.fail(f"an array reference {name!r} is not a member name")
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            self.fail(f"member {name} is missing")
        _check_inflation(self.path, info)
        try:
            with self.zf.open(info) as f:
                version = np.lib.format.read_magic(f)
                shape, fortran, dtype = (np.lib.format.read_array_header_1_0(f) if version == (1, 0) else
                                         np.lib.format.read_array_header_2_0(f))
                if dtype.hasobject:
                    raise ValueError(f"mc.load: refusing member {name} of {self.path}: it holds pickled Python "
                                     "objects, which could run code")
                expected = math.prod(shape) * dtype.itemsize
                header = f.tell()
                if info.file_size != header + expected:
                    self.fail(f"member {name} says {shape} {dtype} ({expected:,} bytes) but holds "
                              f"{info.file_size - header:,} bytes")
                arr = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
                got = f.readinto(memoryview(arr.reshape(-1, order="A")).cast("B")) if expected else 0   # no second copy
        except _UNREADABLE as exc:
            self.fail(f"member {name} cannot be read ({type(exc).__name__}: {exc})")
        except ValueError as exc:
            if str(exc).startswith("mc.load"):
                raise
            self.fail(f"member {name} is not a valid .npy array ({exc})")
        if got != expected:
            self.fail(f"member {name} is truncated")
        return arr

    def decode(self, obj, depth=0):
        if depth > MAX_DEPTH:
            self.fail(f"the structure nests deeper than {MAX_DEPTH} levels")
        if isinstance(obj, list):
            self.fail("a bare list in the structure")
        if not isinstance(obj, dict):
            return obj
        if self.version == "minicnn-1":
            return self.decode_v1(obj, depth)
        if len(obj) != 1:
            self.fail(f"an untagged object with keys {sorted(obj)[:5]}")
        (tag, body), = obj.items()
        if tag == "__array__":
            return self.array(body)
        if tag == "__float__":
            if body not in ("nan", "inf", "-inf"):
                self.fail(f"a non-finite float written as {body!r}")
            return float(body)
        if tag in ("__list__", "__tuple__", "__dict__") and not isinstance(body, list):
            self.fail(f"a {tag} tag holding a {type(body).__name__} instead of a list")
        if tag in ("__list__", "__tuple__"):
            items = [self.decode(v, depth + 1) for v in body]
            return tuple(items) if tag == "__tuple__" else items
        if tag == "__dict__":
            if not all(isinstance(kv, list) and len(kv) == 2 and isinstance(kv[0], (str, int)) for kv in body):
                self.fail("a __dict__ entry that is not a [key, value] pair with a str or int key")
            return {k: self.decode(v, depth + 1) for k, v in body}
        self.fail(f"an unknown tag {tag!r}")

    def decode_v1(self, obj, depth):
        """The first format: arrays and lists tagged, dicts as JSON objects, int keys as "__int__N"."""
        if "__array__" in obj:
            return self.array(obj["__array__"])
        if "__list__" in obj:
            if not isinstance(obj["__list__"], list):
                self.fail("a __list__ tag holding no list")
            items = [self.decode(v, depth + 1) for v in obj["__list__"]]
            return tuple(items) if obj.get("tuple") else items
        try:
            return {(int(k[7:]) if k.startswith("__int__") else k): self.decode(v, depth + 1) for k, v in obj.items()}
        except ValueError as exc:
            if str(exc).startswith("mc.load"):
                raise
            self.fail(f"a key that is not __int__N ({exc})")


def _check_inflation(path, info):
    """Refuse a member that would inflate past its bound, before a byte of it is inflated."""
    if info.flag_bits & 0x1:
        raise ValueError(f"mc.load: {path} is damaged: member {info.filename} is marked encrypted "
                         "(minicnn never writes encrypted members)")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ValueError(f"mc.load: {path} is damaged: member {info.filename} would inflate from "
                         f"{info.compress_size:,} to {info.file_size:,} bytes (a zip bomb?); minicnn writes "
                         "members uncompressed")


def _temporary(path):
    return os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp-{os.getpid()}")


def _remove_stale_temporaries(path):
    """Temporary files of earlier saves to ``path`` whose process is gone (killed mid-save)."""
    for tmp in glob.glob(os.path.join(glob.escape(os.path.dirname(path)), f".{glob.escape(os.path.basename(path))}.tmp-*")):
        pid = tmp.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.remove(tmp)
            except OSError:
                pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                                       # someone else's process: alive
        return True
    return True


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path):
    """Write a file whole or not at all: yields a temporary path beside ``path``; when the block ends
    the file there is flushed to disk and renamed over ``path`` (with the permissions any new file of
    the user gets); when it fails -- an error, Ctrl-C, a full disk -- the temporary file is removed and
    ``path`` is left as it was. A process killed inside the block leaves its temporary file, which the
    next write to ``path`` removes."""
    path = os.path.abspath(os.fspath(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _remove_stale_temporaries(path)
    tmp = _temporary(path)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save(state, path):
    """Write ``state`` (arrays, tensors, nested dicts/lists, numbers, strings) to ``path`` atomically."""
    arrays = {}
    meta = _encode(state, arrays)
    with replacing(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(_META, json.dumps({"format": FORMAT, "state": meta}))
        for name, arr in arrays.items():
            with zf.open(name, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr if arr.flags.c_contiguous else arr.copy(), allow_pickle=False)


def load(path):
    """Read what :func:`save` wrote. Arrays come back as NumPy arrays; no code is ever executed.
    A file that is not minicnn's, truncated or damaged, or of an unknown format version raises
    ValueError naming the file and what is wrong with it."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] != b"PK":
        what = "a pickle (e.g. a PyTorch .pt/.pth file), which minicnn never unpickles: convert it with " \
               "scripts/convert_torchvision_weights.py" if head[:1] == b"\x80" else "not a zip archive"
        raise ValueError(f"mc.load: {path} is not a minicnn file: {what}")
    try:
        zf = zipfile.ZipFile(path)
    except _UNREADABLE as exc:
        raise ValueError(f"mc.load: {path} is truncated or damaged: its zip directory cannot be read ({exc})") from None
    with zf:
        if _META not in zf.namelist():
            raise ValueError(f"mc.load: {path} is not a minicnn file: it has no {_META} (a plain .npz? "
                             "read it with numpy.load)")
        info = zf.getinfo(_META)
        if info.file_size > MAX_META:
            raise ValueError(f"mc.load: {path} is damaged: its {_META} says {info.file_size:,} bytes, more than "
                             f"the {MAX_META:,} a minicnn file's structure may take")
        _check_inflation(path, info)
        try:
            with zf.open(info) as f:
                meta = json.loads(f.read(MAX_META + 1))
        except (*_UNREADABLE, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"mc.load: {path} is damaged: {_META} cannot be read "
                             f"({type(exc).__name__}: {exc})") from None
        version = meta.get("format") if isinstance(meta, dict) else None
        if version not in READABLE:
            raise ValueError(f"mc.load: {path} has format {version!r}, which this minicnn cannot read "
                             f"(it reads {', '.join(READABLE)}); was it written by a newer minicnn?")
        if "state" not in meta:
            raise ValueError(f"mc.load: {path} is damaged: {_META} has no state")
        return _Reader(path, zf, version).decode(meta["state"])
