"""Weight initialisers, in place on a Parameter, drawn from minicnn's seeded generator.

fan_in = in_channels * R * S for a conv weight (in_features for a linear one), fan_out likewise.

  kaiming (He):   normal std = gain / sqrt(fan),        uniform bound = gain * sqrt(3 / fan)
                  gain = sqrt(2) for ReLU (sqrt(2 / (1 + a^2)) for leaky ReLU with slope a)
  xavier (Glorot): normal std = gain * sqrt(2 / (fan_in + fan_out)), uniform bound = gain * sqrt(6 / (fan_in + fan_out))
  PyTorch's default for Conv2d and Linear: kaiming_uniform with a = sqrt(5), i.e. weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
                  and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  VGG paper: normal(0, 0.01) weights, zero biases
"""
import math

import numpy as np

from .. import backend


def _fans(t):
    shape = t.shape
    if len(shape) < 2:
        raise ValueError(f"fan in/out needs a weight with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill(t, sample):
    # draw in the parameter's own precision: a float64 temporary of VGG's 102M-weight layer is 800 MB
    dtype = t.array.dtype if t.array.dtype in (np.float32, np.float64) else np.float64
    arr = sample(backend.rng("cpu"), dtype.type).astype(t.array.dtype, copy=False)
    t.array[...] = backend.to_device(arr, t.device) if t.device != "cpu" else arr
    t._vc[0] += 1                   # an in-place change, as PyTorch counts it
    return t


def uniform_(t, a=0.0, b=1.0):
    """Fill t in place with samples from U(a, b); returns t."""
    def sample(r, dtype):
        x = r.random(t.shape, dtype=dtype)
        x *= dtype(b - a)
        x += dtype(a)
        return x
    return _fill(t, sample)


def normal_(t, mean=0.0, std=1.0):
    """Fill t in place with samples from N(mean, std**2); returns t."""
    def sample(r, dtype):
        x = r.standard_normal(t.shape, dtype=dtype)
        x *= dtype(std)
        x += dtype(mean)
        return x
    return _fill(t, sample)


def constant_(t, value):
    """Fill t in place with ``value``; returns t."""
    t.array[...] = value
    t._vc[0] += 1
    return t


def zeros_(t):
    """Fill t with zeros in place."""
    return constant_(t, 0.0)


def ones_(t):
    """Fill t with ones in place."""
    return constant_(t, 1.0)


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps a signal's variance through a nonlinearity (PyTorch's table): relu sqrt(2),
    tanh 5/3, ..."""
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-b, b), b = gain * sqrt(3 / fan) with fan = fan_in (or fan_out)."""
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, (gain / sqrt(fan))**2); for ReLU (nonlinearity='relu') std = sqrt(2 / fan_in)."""
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


he_normal_ = kaiming_normal_
he_uniform_ = kaiming_uniform_


def xavier_uniform_(t, gain=1.0):
    """Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)) (Keras' default)."""
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t, gain=1.0):
    """Glorot normal: N(0, gain**2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_


def default_(weight, bias=None):
    """PyTorch's default for Conv2d and Linear (see the module docstring)."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1.0 / math.sqrt(_fans(weight)[0])
        uniform_(bias, -bound, bound)


def _deprecated(new):
    """PyTorch's pre-0.4 names (kaiming_normal, constant, ...): the same function, with PyTorch's warning."""
    def old(*args, **kwargs):
        import warnings
        warnings.warn(f"`nn.init.{new.__name__[:-1]}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    old.__name__, old.__doc__ = new.__name__[:-1], f"Deprecated: {new.__name__}. " + (new.__doc__ or "")
    return old


uniform, normal, constant = _deprecated(uniform_), _deprecated(normal_), _deprecated(constant_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
