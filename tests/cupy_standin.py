"""A strict stand-in for CuPy, so that CPU machines run every GPU test case.

NumPy computes underneath, but the arrays behave as CuPy's do where bugs hide on a real GPU:

- no implicit conversion to NumPy: ``np.asarray(a)`` and ``__array__`` raise TypeError (use
  ``a.get()``), as CuPy does;
- element-wise ops, ufuncs and assignments refuse NumPy arrays (``a + numpy_array``,
  ``a[...] = numpy_array``): on a GPU the data would have to be copied implicitly;
- NumPy functions called on stand-in arrays (``np.exp(a)``, ``np.concatenate``) dispatch to the
  stand-in's own, through ``__array_ufunc__`` / ``__array_function__``;
- reductions return 0-d arrays, not NumPy scalars, and ``asarray`` of host data copies;
- only names that real CuPy has are offered (tests/cupy_names.txt, read from CuPy's source),
  so a NumPy-only function fails here as it would on the GPU;
- kernels written for the GPU (ElementwiseKernel, RawKernel) cannot run: code needs an ``xp`` path.

It counts what costs on a real GPU: ``STATS["to_host"]`` (device-to-host reads that wait for the
GPU: ``get``, ``item``, ``float(a)``, ``bool(a)``, ``tolist``, ``asnumpy``) and
``STATS["to_device"]`` (host arrays copied to the device). ``install()`` puts it in sys.modules
as ``cupy`` (and ``cupyx``), before minicnn first asks for a GPU.
"""
import pathlib
import sys
import types

import numpy as np

STATS = {"to_host": 0, "to_device": 0}
DEVICE_BYTES = 16 << 30          # the memory cuda.Device().mem_info reports: a 16 GiB GPU


def _names():
    sections, current = {}, None
    for line in (pathlib.Path(__file__).parent / "cupy_names.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), set())
        else:
            current.add(line.strip())
    return sections["cupy"], sections["ndarray"]


CUPY_NAMES, NDARRAY_NAMES = _names()
_SCALARS = (int, float, bool, complex, np.generic)


def _unwrap(x, what="operand"):
    """A stand-in array's NumPy data; Python and NumPy scalars as they are; a NumPy array refused."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)} as {what}: the stand-in for CuPy refuses NumPy arrays "
                        "(on a GPU this would be an implicit host-to-device copy); use cupy.asarray first")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, what) for v in x)
    return x


def _index(idx):
    """Indices may hold stand-in arrays, and NumPy arrays (CuPy copies those to the device)."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, ndarray):
        return idx._a
    if isinstance(idx, np.ndarray):
        STATS["to_device"] += 1
    return idx


def _wrap(x):
    if isinstance(x, np.ndarray):
        return ndarray(x)
    if isinstance(x, np.generic):                   # CuPy's reductions give 0-d arrays, not scalars
        return ndarray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


class _Flags:
    def __init__(self, a):
        self.c_contiguous, self.f_contiguous = a.flags.c_contiguous, a.flags.f_contiguous
        self.owndata = a.flags.owndata

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous, "OWNDATA": self.owndata}[name]


class ndarray:
    """A device array (see the module docstring); ``_a`` is the NumPy array underneath."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100

    def __init__(self, a):
        self._a = a

    # ------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a))
    T = property(lambda self: ndarray(self._a.T))
    mT = property(lambda self: ndarray(np.swapaxes(self._a, -1, -2)))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))

    @property
    def base(self):
        return None if self._a.base is None else ndarray(self._a.base) if isinstance(self._a.base, np.ndarray) else None

    # ------------------------------------------------------------ conversion
    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
                        "NumPy array explicitly.")

    def get(self, stream=None, order="C", out=None):
        STATS["to_host"] += 1
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        STATS["to_device"] += 1
        self._a[...] = arr

    def item(self):
        STATS["to_host"] += 1
        return self._a.item()

    def tolist(self):
        STATS["to_host"] += 1
        return self._a.tolist()

    def _scalar(self, kind):
        STATS["to_host"] += 1
        return kind(self._a)

    def __float__(self): return self._scalar(float)
    def __int__(self): return self._scalar(int)
    def __bool__(self): return self._scalar(bool)
    def __complex__(self): return self._scalar(complex)

    def __index__(self):
        STATS["to_host"] += 1
        return self._a.__index__()

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ndarray(self._a[i]) for i in range(len(self._a)))

    def __repr__(self):
        return "array(" + np.array2string(self._a, separator=", ") + ")"

    __str__ = __repr__
    __hash__ = None

    # ------------------------------------------------------------ NumPy's protocols: to the stand-in's own
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        mine = getattr(_module, ufunc.__name__, None)
        if mine is None:
            raise TypeError(f"cupy has no ufunc {ufunc.__name__}")
        return getattr(mine, method)(*inputs, **kwargs) if method != "__call__" else mine(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        mine = getattr(_module, func.__name__, None)
        if mine is None:
            raise TypeError(f"numpy.{func.__name__} has no CuPy counterpart")
        return mine(*args, **kwargs)

    # ------------------------------------------------------------ indexing
    def __getitem__(self, idx):
        return _wrap(self._a[_index(idx)])

    def __setitem__(self, idx, value):
        self._a[_index(idx)] = _unwrap(value, "the value assigned")

    # ------------------------------------------------------------ methods CuPy has
    def __getattr__(self, name):
        if name not in NDARRAY_NAMES or not hasattr(self._a, name):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        method = getattr(self._a, name)

        def call(*args, **kwargs):
            out = kwargs.get("out")
            args = _unwrap(args, f"an argument of ndarray.{name}")
            kwargs = {k: _unwrap(v, f"{k}= of ndarray.{name}") for k, v in kwargs.items()}
            result = method(*args, **kwargs)
            return out if out is not None else _wrap(result)
        return call

    def copy(self, order="C"):
        return ndarray(self._a.copy(order=order))

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        return ndarray(self._a.astype(dtype, order=order, copy=copy))

    def view(self, dtype=None):
        return ndarray(self._a.view(dtype) if dtype is not None else self._a.view())

    def reshape(self, *shape, order="C"):
        return ndarray(self._a.reshape(*shape, order=order))

    def transpose(self, *axes):
        return ndarray(self._a.transpose(*axes))


def _binary(name, reflected=False, inplace=False):
    op = getattr(np.ndarray, name)

    def method(self, other):
        if isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)}: cupy.ndarray {name} numpy.ndarray (an implicit copy)")
        if not isinstance(other, (ndarray,) + _SCALARS):
            return NotImplemented
        result = op(self._a, _unwrap(other))
        return self if inplace else _wrap(result)
    method.__name__ = name
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift"):
    for _form, _kw in ((f"__{_name}__", {}), (f"__r{_name}__", {"reflected": True}), (f"__i{_name}__", {"inplace": True})):
        if hasattr(np.ndarray, _form):
            setattr(ndarray, _form, _binary(_form, **_kw))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", (lambda op: lambda self: _wrap(op(self._a)))(getattr(np.ndarray, f"__{_name}__")))


# ---------------------------------------------------------------- module-level names
class _Ufunc:
    """A CuPy ufunc: NumPy's, on unwrapped operands; ``out=`` must be a stand-in array."""

    def __init__(self, f):
        self._f, self.__name__ = f, f.__name__
        self.nin, self.nout = f.nin, f.nout

    def __call__(self, *args, out=None, **kwargs):
        kwargs = {k: _unwrap(v, f"{k}= of cupy.{self.__name__}") for k, v in kwargs.items()}
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o, "out=") for o in out) if isinstance(out, tuple) else _unwrap(out, "out=")
        result = self._f(*_unwrap(args, f"an operand of cupy.{self.__name__}"), **kwargs)
        return out if out is not None else _wrap(result)

    def reduce(self, a, *args, **kwargs):
        return _wrap(self._f.reduce(_unwrap(a), *args, **kwargs))

    def accumulate(self, a, *args, **kwargs):
        return _wrap(self._f.accumulate(_unwrap(a), *args, **kwargs))

    def outer(self, a, b, **kwargs):
        return _wrap(self._f.outer(_unwrap(a), _unwrap(b), **kwargs))

    def at(self, a, indices, b=None):
        self._f.at(_unwrap(a), _index(indices), *(() if b is None else (_unwrap(b),)))


def _function(f, name):
    def call(*args, **kwargs):
        out = kwargs.get("out")                          # a stand-in array: written, and given back
        args = _unwrap(args, f"an argument of cupy.{name}")
        kwargs = {k: _unwrap(v, f"{k}= of cupy.{name}") for k, v in kwargs.items()}
        result = f(*args, **kwargs)
        return _wrap(result) if out is None else out
    call.__name__ = name
    return call


def _from_host(a, dtype=None, copy=True, order="K", **kwargs):
    """cupy.array / asarray: a stand-in array stays (copied only when asked); host data is copied over."""
    if isinstance(a, ndarray):
        b = a._a.astype(dtype, order=order, copy=copy) if dtype is not None else (a._a.copy(order=order) if copy else a._a)
        return ndarray(b)
    STATS["to_device"] += 1
    return ndarray(np.array(_unwrap(a) if isinstance(a, (list, tuple)) else a, dtype=dtype, order=order, copy=True))


def asnumpy(a, stream=None, order="C", out=None):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def get_array_module(*args):
    return _module if any(isinstance(a, ndarray) for a in args) else np


class _NotOnTheStandIn:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}: a GPU kernel cannot run on the CuPy stand-in; give the "
                                  "code a plain-xp path as well, and test the two against each other on a GPU")


class _Generator:
    """cupy.random.Generator: the methods CuPy's has (no permutation), drawing with NumPy's."""

    def __init__(self, seed):
        self._g = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64, out=None):
        return ndarray(np.asarray(self._g.random(size, dtype=dtype)))

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return ndarray(np.asarray(self._g.standard_normal(size, dtype=dtype)))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return ndarray(np.asarray(self._g.uniform(low, high, size)).astype(dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return ndarray(np.asarray(self._g.integers(low, high, size, dtype=dtype, endpoint=endpoint)))


def _build():
    mod = types.ModuleType("cupy")
    mod.__doc__ = __doc__
    mod.__file__ = __file__
    mod.__version__ = "14.2.0-standin"
    mod.STATS = STATS
    mod.ndarray = ndarray
    for name in CUPY_NAMES:
        if name in ("ndarray", "asnumpy", "get_array_module", "array", "asarray", "asanyarray"):
            continue
        if name in ("ElementwiseKernel", "RawKernel", "ReductionKernel", "RawModule", "fuse"):
            setattr(mod, name, type(name, (_NotOnTheStandIn,), {}))
            continue
        f = getattr(np, name, None)
        if f is None:
            continue
        if isinstance(f, np.ufunc):
            setattr(mod, name, _Ufunc(f))
        elif callable(f) and not isinstance(f, type):
            setattr(mod, name, _function(f, name))
        else:
            setattr(mod, name, f)                        # dtypes, constants (newaxis, inf, pi ...)
    mod.array = _from_host
    mod.asarray = lambda a, dtype=None, order=None, **kw: _from_host(a, dtype, copy=False, order=order or "K")
    mod.asanyarray = mod.asarray
    mod.ascontiguousarray = lambda a, dtype=None: ndarray(np.ascontiguousarray(_unwrap(a), dtype=dtype))
    mod.asnumpy, mod.get_array_module = asnumpy, get_array_module
    lib = types.ModuleType("cupy.lib")
    lib.stride_tricks = types.ModuleType("cupy.lib.stride_tricks")
    lib.stride_tricks.as_strided = lambda x, shape=None, strides=None: ndarray(
        np.lib.stride_tricks.as_strided(_unwrap(x), shape, strides))
    lib.stride_tricks.sliding_window_view = lambda x, window_shape, axis=None, **kw: ndarray(
        np.lib.stride_tricks.sliding_window_view(_unwrap(x), window_shape, axis, **kw))
    mod.lib = lib
    random = types.ModuleType("cupy.random")
    random.default_rng = lambda seed=None: _Generator(seed)
    random.Generator = _Generator
    mod.random = random
    cuda = types.ModuleType("cupy.cuda")
    cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: 1)
    cuda.Device = lambda i=0: types.SimpleNamespace(id=i, use=lambda: None, synchronize=lambda: None,
                                                    mem_info=(DEVICE_BYTES, DEVICE_BYTES))   # (free, total)
    cuda.is_available = lambda: True
    cuda.nccl = types.SimpleNamespace(available=False)          # as the cupy-cuda13x wheel without NCCL
    mod.cuda = cuda
    mod.is_available = lambda: True
    cupyx = types.ModuleType("cupyx")
    special = types.ModuleType("cupyx.scipy.special")
    from math import erf as _erf
    special.erf = lambda x: ndarray(np.vectorize(_erf, otypes=[np.float64])(_unwrap(x)).astype(_unwrap(x).dtype))
    cupyx.scipy = types.SimpleNamespace(special=special)
    return mod, {"cupy": mod, "cupy.cuda": cuda, "cupy.random": random, "cupy.lib": lib,
                 "cupy.lib.stride_tricks": lib.stride_tricks, "cupy.cuda.nccl": cuda.nccl, "cupyx": cupyx,
                 "cupyx.scipy": cupyx.scipy, "cupyx.scipy.special": special}


_module, _modules = _build()


def install():
    """Make ``import cupy`` give the stand-in (call before minicnn first asks for a GPU)."""
    sys.modules.update(_modules)
    return _module
