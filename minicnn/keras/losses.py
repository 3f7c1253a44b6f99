"""keras.losses on minicnn's ops: Keras's formulas, and a final softmax or sigmoid fused into the loss.

Keras computes categorical cross-entropy from probabilities: -sum(y * log(clip(p, 1e-7, 1 - 1e-7))).
When the model's last layer ends in softmax (or sigmoid for binary cross-entropy), minicnn.keras
trains on the logits z before it instead, with log_softmax(z) (log_sigmoid): the same number wherever
p lies in [1e-7, 1 - 1e-7], and no log(0) or lost gradient outside it. predict() still returns the
probabilities.

Each loss is the mean over the batch of a per-sample value (Keras's "sum_over_batch_size"):

    categorical_crossentropy         -sum_c y_c log p_c                y one-hot (N, C)
    sparse_categorical_crossentropy  -log p_y                          y class indices (N,) or (N, 1)
    binary_crossentropy              -mean_j [y log p + (1 - y) log(1 - p)]   over the last axis
    mean_squared_error               mean_j (p - y)^2                   over the last axis
"""
import numpy as np

from .. import functional as F
from ..tensor import Tensor

EPSILON = 1e-7          # keras.backend.epsilon()


def _as_tensor(y):
    return y if isinstance(y, Tensor) else Tensor(np.asarray(y))


class Loss:
    """A Keras loss: ``loss(y_true, y_pred)`` on arrays or Tensors gives the batch mean (a 0-d Tensor).

    ``fuses``: the final activation this loss can take in log space ('softmax', 'sigmoid' or None)."""

    fuses = None
    sparse = False

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size", **kwargs):
        if reduction not in ("sum_over_batch_size", "auto", None):
            raise NotImplementedError(f"{type(self).__name__}: minicnn.keras computes the batch mean "
                                      f"(reduction='sum_over_batch_size'), got reduction={reduction!r}")
        self.from_logits = from_logits
        self.name = name or _NAMES.get(type(self).__name__, type(self).__name__)
        self.options = kwargs

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise NotImplementedError("minicnn.keras losses take no sample_weight")
        y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(np.asarray(y_pred, np.float32))
        return self.compute(y_pred, _as_tensor(y_true), self.from_logits)

    def compute(self, out, y, logits):
        """The loss of engine output ``out`` (logits when ``logits``) against targets ``y``."""
        raise NotImplementedError


def _check_same_shape(name, out, y):
    if tuple(out.shape) != tuple(y.shape):
        hint = ""
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            hint = (" -- the labels are class indices: use loss='sparse_categorical_crossentropy', or one-hot "
                    "them with keras.utils.to_categorical(y)")
        raise ValueError(f"{name}: the model's output has shape {tuple(out.shape)} but the labels have shape "
                         f"{tuple(y.shape)}{hint}")


class CategoricalCrossentropy(Loss):
    """CategoricalCrossentropy(from_logits=False, label_smoothing=0.0): one-hot targets (N, C)."""

    fuses = "softmax"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, **kwargs):
        super().__init__(from_logits, **kwargs)
        if axis != -1:
            raise NotImplementedError("CategoricalCrossentropy: minicnn.keras takes the classes on the last axis")
        self.label_smoothing = float(label_smoothing)

    def compute(self, out, y, logits):
        _check_same_shape(self.name, out, y)
        y = y.float()
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / out.shape[-1]
        if logits:
            return F.cross_entropy(out, y)
        p = out / out.sum(dim=-1, keepdim=True)
        return -(y * p.clamp(EPSILON, 1.0 - EPSILON).log()).sum(dim=-1).mean()


class SparseCategoricalCrossentropy(Loss):
    """SparseCategoricalCrossentropy(from_logits=False): class-index targets (N,) or (N, 1)."""

    fuses = "softmax"
    sparse = True

    def compute(self, out, y, logits):
        t = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
        if t.ndim == out.ndim and t.shape[-1] == 1:
            t = t.reshape(t.shape[:-1])
        if t.ndim != out.ndim - 1 or (t.dtype.kind == "f" and np.any(t != np.round(t))):
            raise ValueError(f"{self.name}: expects class indices of shape {tuple(out.shape[:-1])}, got labels "
                             f"of shape {t.shape}; for one-hot labels use loss='categorical_crossentropy'")
        t = t.astype(np.int64)
        if logits:
            return F.cross_entropy(out, t)
        p = (out / out.sum(dim=-1, keepdim=True)).clamp(EPSILON, 1.0 - EPSILON)
        return -(p.log()[np.arange(len(t)), t]).mean()


class BinaryCrossentropy(Loss):
    """BinaryCrossentropy(from_logits=False): targets in [0, 1], the mean over the last axis."""

    fuses = "sigmoid"

    def compute(self, out, y, logits):
        y = y.float()
        if y.ndim == out.ndim - 1:
            y = y.reshape(tuple(y.shape) + (1,))
        _check_same_shape(self.name, out, y)
        if logits:
            return F.binary_cross_entropy_with_logits(out, y)
        p = out.clamp(EPSILON, 1.0 - EPSILON)
        return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


class MeanSquaredError(Loss):
    """MeanSquaredError(): the mean of (prediction - target)^2."""

    def compute(self, out, y, logits):
        y = y.float()
        _check_same_shape(self.name, out, y)
        return F.mse_loss(out, y)


_NAMES = {"CategoricalCrossentropy": "categorical_crossentropy",
          "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
          "BinaryCrossentropy": "binary_crossentropy", "MeanSquaredError": "mean_squared_error"}
_BY_NAME = {"categorical_crossentropy": CategoricalCrossentropy,
            "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
            "binary_crossentropy": BinaryCrossentropy, "mean_squared_error": MeanSquaredError,
            "mse": MeanSquaredError}
_BY_NAME.update({cls.__name__: cls for cls in list(_BY_NAME.values())})


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """The batch mean of CategoricalCrossentropy (keras.losses.categorical_crossentropy)."""
    return CategoricalCrossentropy(from_logits, label_smoothing)(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """The batch mean of SparseCategoricalCrossentropy."""
    return SparseCategoricalCrossentropy(from_logits)(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """The batch mean of BinaryCrossentropy."""
    return BinaryCrossentropy(from_logits)(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """The batch mean of MeanSquaredError (also keras.losses.mse)."""
    return MeanSquaredError()(y_true, y_pred)


mse = mean_squared_error
_FUNCTIONS = {categorical_crossentropy: CategoricalCrossentropy, sparse_categorical_crossentropy:
              SparseCategoricalCrossentropy, binary_crossentropy: BinaryCrossentropy,
              mean_squared_error: MeanSquaredError}


def get(identifier):
    """A Loss from a name ('categorical_crossentropy'), a Loss, a loss class or keras.losses' function."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown loss {identifier!r}; minicnn.keras has: "
                             + ", ".join(sorted(k for k in _BY_NAME if k.islower())))
        return _BY_NAME[identifier]()
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    raise TypeError(f"a loss must be a name, a keras.losses.Loss or one of keras.losses' functions, "
                    f"got {identifier!r}")


def __getattr__(name):
    """A Keras name this module does not offer: an error naming it and what there is instead."""
    raise AttributeError(f"keras.losses.{name} is not offered by minicnn.keras; it has: "
                         + ", ".join(sorted(n for n, v in globals().items() if not n.startswith("_") and isinstance(v, type))))
