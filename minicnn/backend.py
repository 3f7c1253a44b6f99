"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU.

Every op starts with ``xp = get_array_module(x)`` and then uses ``xp`` where a
textbook would write ``np``; that one line is what makes the same code run on
both devices. CuPy is imported the first time a GPU is asked for, never at
``import minicnn``.
"""
import numpy as np

DEVICES = ("cpu", "cuda")

_cupy = None
_cupy_error = None


def _import_cupy():
    """Import CuPy once and check that a CUDA device answers; memoize the outcome."""
    global _cupy, _cupy_error
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except ImportError:
        _cupy_error = ("CuPy is not installed: install it with `pip install minicnn[gpu]` "
                       "(or `pip install cupy-cuda12x` to match your CUDA driver) to use device='cuda'.")
        return None
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA device found")
    except Exception as exc:  # CUDARuntimeError when the driver is missing
        _cupy_error = (f"CuPy is installed but no usable CUDA GPU was found ({exc}); "
                       "check the NVIDIA driver with `nvidia-smi`, or use device='cpu'.")
        return None
    _cupy = cupy
    return cupy


def cuda_available():
    """True when CuPy is installed and a CUDA device can be used."""
    return _import_cupy() is not None


def cupy_module():
    """The cupy module, or a RuntimeError with one sentence saying what is missing."""
    cp = _import_cupy()
    if cp is None:
        raise RuntimeError(_cupy_error)
    return cp


def check_device(device):
    """Normalize a device name ("cpu", "cuda", "cuda:0", "gpu") to "cpu" or "cuda"."""
    name = str(device).lower()
    if name == "cpu":
        return "cpu"
    if name in ("cuda", "gpu") or name.startswith("cuda:"):
        return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def xp_for(device):
    """The array module of a device name."""
    return np if check_device(device) == "cpu" else cupy_module()


def get_array_module(*arrays):
    """``numpy`` or ``cupy``, whichever holds the arrays (NumPy for scalars)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_of(array):
    """"cuda" for a CuPy array, "cpu" otherwise."""
    return "cuda" if (_cupy is not None and isinstance(array, _cupy.ndarray)) else "cpu"


def to_device(array, device):
    """Copy an array to a device (a no-op when it is already there)."""
    device = check_device(device)
    if device == device_of(array):
        return array
    if device == "cuda":
        return cupy_module().asarray(array)
    return array.get()


# ---------------------------------------------------------------- randomness
_seed = None
_stream = 0          # the MPI rank: ranks > 0 draw from streams of their own (minicnn.distributed)
_rngs = {}


def manual_seed(seed):
    """Seed every source of randomness minicnn owns: init, dropout, shuffling, augmentation.
    Under MPI, rank r > 0 gets the stream seeded by (seed, r): its own dropout masks and augmentation."""
    global _seed
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError(f"manual_seed: {seed} is out of range; a seed is a 64-bit integer, "
                         f"from {-(1 << 63)} to {(1 << 64) - 1}")
    _seed = seed % (1 << 64)                 # PyTorch's rule: a negative seed counts from 2**64
    _rngs.clear()


def set_rng_stream(stream):
    """Called by minicnn.distributed with the rank: ranks > 0 switch to a stream of their own now;
    rank 0 keeps its stream, so it draws what a single process would."""
    global _stream
    _stream = int(stream)
    if _stream:
        _rngs.clear()


def _seed_material():
    return _seed if not _stream or _seed is None else [_seed, _stream]


def rng(device="cpu"):
    """The library's random generator for a device (numpy or cupy Generator)."""
    device = check_device(device)
    gen = _rngs.get(device)
    if gen is None:
        if device == "cpu":
            gen = np.random.default_rng(_seed_material())
        else:
            seed = _seed if _seed is None else _seed + 7919 * _stream       # cupy takes an int
            gen = cupy_module().random.default_rng(seed)
        _rngs[device] = gen
    return gen


def get_rng_state():
    """The generators' state as a JSON-friendly dict (for checkpoints).

    CuPy's generator keeps its state in device memory with no public way to read it, so when a GPU
    generator is in use it restarts here, from a seed derived from the CPU generator's state (which
    two identical runs share), and the checkpoint keeps that seed: a resumed run draws what an
    uninterrupted one draws after the same save."""
    state = {"seed": _seed, "cpu": rng("cpu").bit_generator.state}
    if "cuda" in _rngs:
        import hashlib
        import json
        digest = hashlib.sha256(json.dumps(state["cpu"], sort_keys=True, default=str).encode()).digest()
        state["cuda_seed"] = int.from_bytes(digest[:8], "little") >> 1
        _rngs["cuda"] = cupy_module().random.default_rng(state["cuda_seed"])
    return state


def set_rng_state(state):
    """Restore what :func:`get_rng_state` returned."""
    global _seed
    _seed = state["seed"]
    _rngs.clear()
    rng("cpu").bit_generator.state = state["cpu"]
    if state.get("cuda_seed") is not None:
        _rngs["cuda"] = cupy_module().random.default_rng(state["cuda_seed"])
