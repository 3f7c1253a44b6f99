"""Reused scratch memory: the one cache for temporaries that come back at the same size every step.

A fresh array of a few hundred MB costs more than its allocation: the operating system zero-fills
each page on its first write (benchmarks/RESULTS.md, "Measurements behind the code"). So the
convolution's column matrices and products, the optimizers' temporaries and the gradient buckets of
data-parallel training all come from here: one flat buffer per (array module, dtype, slot), grown
when a call needs more, kept until :func:`release`.

    buf = flat(xp, m * n, np.float32, "col")   # at least m*n elements, reused by the next "col" call
    a = shaped(buf, (m, n))                    # its first m*n elements as an (m, n) array

A slot's contents are valid until the next call that asks for the same slot; callers that keep a
buffer's contents across steps (the gradient buckets) give each its own slot.
"""
import numpy as np

_cache = {}


def flat(xp, size, dtype, slot):
    """A 1-D buffer of at least ``size`` elements of ``dtype`` for ``slot``, on xp's device."""
    key = (xp.__name__, np.dtype(dtype).str, slot)
    buf = _cache.get(key)
    if buf is None or buf.size < size:
        buf = _cache[key] = xp.empty(size, dtype=dtype)
    return buf


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
