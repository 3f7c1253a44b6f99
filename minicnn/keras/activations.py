"""keras.activations on minicnn's ops.

Inside minicnn.keras an image tensor is (N, C, H, W) in the engine while Keras shows (N, H, W, C);
"the last axis" of Keras (softmax's axis=-1) is therefore the engine's axis 1 for images.
"""
from .. import functional as F


def channel_axis(x):
    """The engine axis that is Keras's last one: the channels of an image, else the last."""
    return 1 if x.ndim == 4 else -1


def linear(x):
    """x unchanged (activation=None)."""
    return x


def relu(x):
    """max(x, 0)."""
    return F.relu(x)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return F.sigmoid(x)


def tanh(x):
    """tanh(x)."""
    return F.tanh(x)


def softmax(x):
    """exp(x) / sum(exp(x)) over Keras's last axis (the channels of an image)."""
    return F.softmax(x, channel_axis(x))


def elu(x):
    """x for x > 0, else exp(x) - 1."""
    return F.elu(x)


def gelu(x):
    """x * Phi(x) with Keras 3's tanh approximation."""
    return F.gelu(x, approximate="tanh")     # Keras 3's default: approximate=True


_BY_NAME = {"linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
            "elu": elu, "gelu": gelu, None: linear}


def get(identifier):
    """An activation from a name ('relu'), None (linear) or a callable on a Tensor."""
    if isinstance(identifier, str) or identifier is None:
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown activation {identifier!r}; minicnn.keras has: "
                             + ", ".join(sorted(k for k in _BY_NAME if k)))
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise TypeError(f"an activation must be a name or a callable, got {identifier!r}")


def name_of(fn):
    """'softmax' for softmax, ... (the loss fuses a final softmax or sigmoid; see losses)."""
    return next((k for k, v in _BY_NAME.items() if v is fn and k), getattr(fn, "__name__", "custom"))
