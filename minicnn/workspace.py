"""Reused scratch memory: the one cache for temporaries that come back at the same size every step.

A fresh array of a few hundred MB costs more than its allocation: the operating system zero-fills
each page on its first write (benchmarks/RESULTS.md, "Measurements behind the code"). So the
convolution's column matrices and products, the optimizers' temporaries and the gradient buckets of
data-parallel training all come from here: one flat buffer per (slot, array module, dtype, key),
grown when a call needs more, kept until :func:`release`.

A slot is an object its module owns, never a shared string, so two modules cannot hand each other's
buffers out by choosing the same name:

    COLUMNS = workspace.Slot("conv2d columns")      # in the module that uses it
    buf = COLUMNS.flat(xp, m * n, np.float32)       # at least m*n elements, reused by its next call
    a = shaped(buf, (m, n))                         # its first m*n elements as an (m, n) array

A slot's contents are valid until its next call with the same key; callers that keep a buffer's
contents across steps (the gradient buckets) or share a slot among threads (the optimizer) pass a
``key`` of their own.
"""
import numpy as np

_cache = {}


class Slot:
    """A reused scratch buffer (per array module, dtype and ``key``) owned by the module that makes it;
    ``name`` says what it holds, for :func:`report`."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Slot({self.name!r})"

    def flat(self, xp, size, dtype, key=None):
        """A 1-D buffer of at least ``size`` elements of ``dtype`` on xp's device: this slot's (for ``key``)."""
        k = (self, xp.__name__, np.dtype(dtype).str, key)
        buf = _cache.get(k)
        if buf is None or buf.size < size:
            buf = _cache[k] = xp.empty(size, dtype=dtype)
        return buf

    def shaped(self, xp, shape, dtype, key=None):
        """This slot's buffer as an array of ``shape`` (its front, a view)."""
        size = 1
        for n in shape:
            size *= n
        return shaped(self.flat(xp, size, dtype, key), shape)


def shaped(buf, shape):
    """The first prod(shape) elements of the flat buffer ``buf``, as an array of that shape (a view)."""
    size = 1
    for n in shape:
        size *= n
    return buf[:size].reshape(shape)


def release():
    """Drop every cached buffer (their memory returns when no array views them any more)."""
    _cache.clear()


def nbytes():
    """The bytes the cache holds now, over every slot and device."""
    return sum(buf.nbytes for buf in _cache.values())


def report():
    """{slot name: bytes held} over every device, dtype and key: what the cache holds and for whom."""
    out = {}
    for (slot, *_), buf in _cache.items():
        out[slot.name] = out.get(slot.name, 0) + buf.nbytes
    return out
