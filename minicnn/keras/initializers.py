"""keras.initializers: Keras's defaults, drawn from minicnn's seeded generator (mc.manual_seed).

Fans are counted on Keras's kernel layouts: a (kh, kw, in, out) Conv2D kernel has
fan_in = kh*kw*in and fan_out = kh*kw*out; a (in, out) Dense kernel fan_in = in, fan_out = out.

    GlorotUniform   U(-l, l), l = sqrt(6 / (fan_in + fan_out))     (Conv2D's and Dense's default)
    HeNormal        N(0, 2 / fan_in) truncated at two standard deviations, drawn with
                    stddev = sqrt(2 / fan_in) / 0.87962566103423978 so that the truncated
                    draw has variance 2 / fan_in (VarianceScaling's rule)
"""
import math

import numpy as np

from .. import backend


def _fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(shape, stddev, mean=0.0):
    """Normal samples redrawn until within two standard deviations (tf.random.truncated_normal)."""
    r = backend.rng("cpu")
    out = r.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = r.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return (out * stddev + mean).astype(np.float32)


class Initializer:
    """Call with a Keras-layout shape: ``init((5, 5, 1, 6))`` -> a float32 array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}


class Zeros(Initializer):
    """All zeros (biases' default)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, np.float32)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, np.float32)


class Constant(Initializer):
    """Constant(value): every weight ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, np.float32)


class RandomNormal(Initializer):
    """RandomNormal(mean=0.0, stddev=0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return (backend.rng("cpu").standard_normal(shape) * self.stddev + self.mean).astype(np.float32)


class RandomUniform(Initializer):
    """RandomUniform(minval=-0.05, maxval=0.05)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return backend.rng("cpu").uniform(self.minval, self.maxval, shape).astype(np.float32)


class TruncatedNormal(Initializer):
    """TruncatedNormal(mean=0.0, stddev=0.05): redrawn beyond two standard deviations."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _truncated_normal(shape, self.stddev, self.mean)


class VarianceScaling(Initializer):
    """scale / n with n = fan_in, fan_out or their mean; a truncated normal, a normal or a uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' "
                             f"or 'uniform', got {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, math.sqrt(var) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            x = backend.rng("cpu").standard_normal(shape, dtype=np.float32)
            x *= np.float32(math.sqrt(var))
            return x
        limit = math.sqrt(3.0 * var)
        x = backend.rng("cpu").random(shape, dtype=np.float32)     # float32 draws: VGG16's fc1 is 103M weights
        x *= np.float32(2 * limit)
        x -= np.float32(limit)
        return x


class GlorotUniform(VarianceScaling):
    """U(-l, l), l = sqrt(6 / (fan_in + fan_out)): Conv2D's and Dense's default."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform")


class GlorotNormal(VarianceScaling):
    """Truncated normal with variance 2 / (fan_in + fan_out)."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal")


class HeNormal(VarianceScaling):
    """Truncated normal with variance 2 / fan_in (the seminar's he_normal)."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal")


class HeUniform(VarianceScaling):
    """U(-l, l), l = sqrt(6 / fan_in)."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform")


class LecunNormal(VarianceScaling):
    """Truncated normal with variance 1 / fan_in."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal")


_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
            "he_uniform": HeUniform, "lecun_normal": LecunNormal, "variance_scaling": VarianceScaling}
# Keras accepts the class names too
_BY_NAME.update({cls.__name__: cls for cls in list(_BY_NAME.values())})
# and the functional aliases: keras.initializers.he_normal()
zeros, ones, constant, he_normal, he_uniform = Zeros, Ones, Constant, HeNormal, HeUniform
glorot_uniform, glorot_normal, lecun_normal = GlorotUniform, GlorotNormal, LecunNormal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal


def get(identifier):
    """An initializer from a name ('he_normal'), a class, an instance or a callable(shape)."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown initializer {identifier!r}; minicnn.keras has: "
                             + ", ".join(sorted(k for k in _BY_NAME if k.islower())))
        return _BY_NAME[identifier]()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"an initializer must be a name, an Initializer or a callable(shape), got {identifier!r}")


def __getattr__(name):
    """A Keras name this module does not offer: an error naming it and what there is instead."""
    raise AttributeError(f"keras.initializers.{name} is not offered by minicnn.keras; it has: "
                         + ", ".join(sorted(n for n, v in globals().items() if not n.startswith("_") and isinstance(v, type))))
