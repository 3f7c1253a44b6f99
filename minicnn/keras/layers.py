"""keras.layers on minicnn's engine: each layer is a minicnn.nn.Module holding PyTorch-layout parameters.

Keras's side (what a user of this namespace sees) is channels-last: shapes are (None, H, W, C),
``get_weights()`` gives a Conv2D kernel as (kh, kw, in, out) and a Dense kernel as (in, out), axis=-1
is the channels. The engine's side is PyTorch's: inside a model an image is (N, C, H, W), a Conv2D's
parameter is ``weight`` (out, in, kh, kw) and a Dense's ``weight`` (out, in). Each layer converts at
its edges only: get_weights / set_weights, Flatten (which flattens in Keras's H, W, C order, so that
the Dense after it has Keras's weights), and the model's inputs and outputs.

A layer is built on its first input (Keras's shape inference): ``Conv2D(6, 5)`` knows its input
channels only when it is called on a tensor or added after a layer whose output shape is known.

    Keras shape (None, H, W, C)   <->   engine array (N, C, H, W)
"""
import functools
import inspect
import math

import numpy as np

from .. import functional as F
from ..nn.module import Module, Parameter
from ..tensor import Tensor
from . import activations, initializers, regularizers
from .backend import snake_case, unique_name


def _pair(v, what):
    if isinstance(v, int):
        return v, v
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(n, (int, np.integer)) for n in v):
        raise ValueError(f"{what} must be an int or a pair of ints, got {v!r}")
    return int(v[0]), int(v[1])


def _padding_arg(padding, layer):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return p


def same_padding(size, k, stride, dilation=1):
    """Keras's (TensorFlow's) 'same': the output has ceil(size / stride) positions and the padding it
    needs is split with the odd one at the end (bottom or right): (before, after)."""
    k = (k - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def _out_size(size, k, stride, padding, dilation=1):
    if size is None:
        return None
    if padding == "same":
        return math.ceil(size / stride)
    return (size - (k - 1) * dilation - 1) // stride + 1


def _to_engine(x):
    """A Keras-layout array or Tensor (N, H, W, C) -> an engine Tensor (N, C, H, W)."""
    if isinstance(x, Tensor):
        return x.permute(0, 3, 1, 2) if x.ndim == 4 else x
    x = np.asarray(x, dtype=np.float32) if not (hasattr(x, "dtype") and x.dtype == np.float32) else x
    return Tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)


def _to_keras(t):
    """An engine Tensor (N, C, H, W) -> Keras's layout (N, H, W, C)."""
    return t.permute(0, 2, 3, 1) if t.ndim == 4 else t


class KerasTensor:
    """A symbolic tensor of the functional API: its Keras shape (batch None) and the layer call that
    makes it. ``Input(shape=(28, 28, 1))`` is one; calling a layer on one gives another."""

    def __init__(self, shape, layer=None, inputs=(), name=None):
        self.shape, self.layer, self.inputs, self.name = tuple(shape), layer, tuple(inputs), name

    ndim = property(lambda self: len(self.shape))
    dtype = "float32"

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, name={self.name}>"

    def __add__(self, other):
        return Add()([self, other])


def _records_arguments(init):
    """Wrap a layer's __init__ so that the outermost call keeps its arguments: get_config (and so
    model.save) gives back exactly what the user wrote, without each layer listing them again."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        outermost = "_config" not in self.__dict__
        if outermost:
            bound = signature.bind(self, *args, **kwargs)
            config = {k: v for k, v in bound.arguments.items() if k != "self"}
            config.update(config.pop("kwargs", {}))
            object.__setattr__(self, "_config", config)
        init(self, *args, **kwargs)
    return wrapped


class Layer(Module):
    """Keras's Layer: a name, ``trainable``, built on its first input, weights in Keras's layouts.

    A subclass writes ``build(input_shape)`` (make the parameters from Keras's input shape),
    ``compute_output_shape(input_shape)`` and ``call(x, training)`` on engine Tensors."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _records_arguments(cls.__dict__["__init__"])

    def __init__(self, name=None, trainable=True, input_shape=None, batch_input_shape=None, dtype=None,
                 input_dim=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"{type(self).__name__} got an argument Keras 3 does not take here: "
                            f"{', '.join(sorted(kwargs))}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._declared_input_shape = tuple(input_shape) if input_shape is not None else None
        self.built = False
        self._trainable = bool(trainable)
        self.input_shape = self.output_shape = None
        self.input = self.output = None

    # ------------------------------------------------------------ Keras's side
    def build(self, input_shape):
        pass

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, x, training=False):
        raise NotImplementedError

    def _build_on(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._apply_trainable()
        self.input_shape = input_shape
        self.output_shape = self.compute_output_shape(input_shape)
        return self.output_shape

    def forward(self, *xs, activate=True):
        """The engine call (engine layout in and out); training follows the module's mode.
        ``activate=False``: stop before the final activation (the loss takes it in log space)."""
        x = xs[0] if len(xs) == 1 else list(xs)
        if not activate:
            return self.call(x, training=self.training, activate=False)
        return self.call(x, training=self.training)

    def __call__(self, inputs, training=None):
        """On KerasTensors: add this layer to the functional graph. On arrays or Tensors (Keras layout):
        run it now, as Keras's eager call."""
        many = isinstance(inputs, (list, tuple))
        items = list(inputs) if many else [inputs]
        if all(isinstance(t, KerasTensor) for t in items):
            shapes = [t.shape for t in items]
            out_shape = self._build_on(shapes if many else shapes[0])
            out = KerasTensor(out_shape, self, items, name=self.name)
            if getattr(self, "output", None) is None:     # Keras's layer.input / layer.output: the first call's
                self.input, self.output = (items if many else items[0]), out
            return out
        if any(isinstance(t, KerasTensor) for t in items):
            raise TypeError(f"{self.name}: mixes symbolic tensors (from Input) with arrays")
        engine = [_to_engine(t) for t in items]
        self._build_on([(None,) + _keras_shape(t) for t in engine] if many else (None,) + _keras_shape(engine[0]))
        was = self.training
        self.train(bool(training))
        try:
            out = Module.__call__(self, *engine)
        finally:
            self.train(was)
        return _to_keras(out)

    # ------------------------------------------------------------ trainable and weights
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Keras's freeze: the layer's parameters stop receiving gradients and updates."""
        self._trainable = bool(value)
        self._apply_trainable()
        for m in self.modules():
            if isinstance(m, Layer) and m is not self:
                m.trainable = value

    def _apply_trainable(self):
        for p in self._parameters.values():
            p.requires_grad = self._trainable

    def _keras_weights(self):
        """[(name, array in Keras's layout, trainable)] in Keras's order."""
        return []

    def _set_keras_weight(self, name, value):
        raise NotImplementedError

    def get_weights(self):
        return [w for _, w, _ in self._keras_weights()]

    def set_weights(self, weights):
        mine = self._keras_weights()
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"{self.name}: set_weights expects {len(mine)} arrays "
                             f"({', '.join(n for n, _, _ in mine)}), got {len(weights)}")
        for (name, cur, _), new in zip(mine, weights):
            new = np.asarray(new)
            if new.shape != cur.shape:
                raise ValueError(f"{self.name}: weight '{name}' has shape {cur.shape}, got {new.shape}")
        for (name, _, _), new in zip(mine, weights):
            self._set_keras_weight(name, np.asarray(new, dtype=np.float32))

    @property
    def weights(self):
        return self.get_weights()

    @property
    def trainable_weights(self):
        return [w for _, w, t in self._keras_weights() if t and self._trainable]

    @property
    def non_trainable_weights(self):
        return [w for _, w, t in self._keras_weights() if not (t and self._trainable)]

    def _counts(self):
        """(all weights, trainable weights) as Keras counts them, without copying any array: parameters are
        trainable while the layer is; buffers (batch norm's moving statistics) never are."""
        params = sum(p.numel() for p in self._parameters.values() if p is not None)
        buffers = sum(b.size for b in self._buffers.values() if b is not None)
        return int(params + buffers), int(params if self._trainable else 0)

    def count_params(self):
        return self._counts()[0]

    def _copy_into(self, param_name, value):
        p = self._parameters.get(param_name)
        target = p.array if p is not None else self._buffers[param_name]
        target[...] = value
        if p is not None:
            p._vc[0] += 1

    def get_config(self):
        """The constructor's arguments as given (Keras's get_config), with the name and trainable as now."""
        return {**self.__dict__.get("_config", {}), "name": self.name, "trainable": self._trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


def _keras_shape(t):
    """The Keras shape (without batch) of an engine Tensor."""
    s = t.shape[1:]
    return (s[1], s[2], s[0]) if t.ndim == 4 else tuple(s)


def _check_image(layer, input_shape):
    if len(input_shape) != 4:
        raise ValueError(f"{layer.name} ({type(layer).__name__}) expects images (batch, height, width, channels), "
                         f"got an input of shape {input_shape}; add a Reshape or check input_shape")


class InputLayer(Layer):
    """The model's input: nothing to compute (Keras lists it in functional models only)."""

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        super().__init__(name=name or unique_name("input_layer"), **kwargs)
        self.shape = tuple(shape if shape is not None else input_shape)

    def call(self, x, training=False):
        return x


def Input(shape=None, batch_size=None, name=None, dtype=None, **kwargs):
    """keras.Input(shape=(H, W, C)): a symbolic tensor to build a functional model from."""
    if shape is None:
        raise ValueError("Input: give the shape of one sample without the batch, e.g. Input(shape=(28, 28, 1))")
    if isinstance(shape, int):
        shape = (shape,)
    layer = InputLayer(tuple(shape), batch_size=batch_size, name=name)
    out = KerasTensor((None,) + tuple(shape), layer, (), name=layer.name)
    layer.input_shape = layer.output_shape = out.shape
    layer.input = layer.output = out
    layer.built = True
    return out


class _Weighted(Layer):
    """A layer with a kernel and an optional bias and an ``activation=``."""

    def __init__(self, activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("activity_regularizer", activity_regularizer), ("kernel_constraint", kernel_constraint),
                           ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"{type(self).__name__}({arg}=...) is not supported by minicnn.keras; "
                                          "leave it out")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _make(self, kernel_shape, to_engine):
        """Draw the kernel in Keras's layout (so that fans are Keras's) and keep it in PyTorch's."""
        self.weight = Parameter(np.ascontiguousarray(to_engine(self.kernel_initializer(kernel_shape))))
        if self.use_bias:
            self.bias = Parameter(self.bias_initializer((kernel_shape[-1],)))
        else:
            self.bias = None

    def penalty(self):
        """The regularizers' term for the loss (kernel_regularizer=l2(0.01): 0.01 * sum(kernel^2))."""
        terms = []
        if self.kernel_regularizer is not None and self._trainable:
            terms.append(self.kernel_regularizer(self.weight))
        if self.bias_regularizer is not None and self.bias is not None and self._trainable:
            terms.append(self.bias_regularizer(self.bias))
        return terms

    def _keras_weights(self):
        out = [("kernel", self._kernel_to_keras(self.weight.numpy()), True)]
        if self.bias is not None:
            out.append(("bias", self.bias.numpy().copy(), True))
        return out

    def _set_keras_weight(self, name, value):
        self._copy_into("weight" if name == "kernel" else "bias",
                        self._kernel_to_engine(value) if name == "kernel" else value)


class Conv2D(_Weighted):
    """Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', activation=None, ...), Keras's meaning.

    padding='same' is TensorFlow's: output ceil(H / stride); an odd total padding puts the extra row
    and column at the bottom and right (PyTorch pads both sides equally)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, **kwargs):
        super().__init__(activation=activation, **kwargs)
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("Conv2D: minicnn.keras is channels-last (data_format='channels_last'); "
                                      "give images as (batch, height, width, channels)")
        if groups != 1:
            raise NotImplementedError("Conv2D(groups > 1) is not supported by minicnn.keras")
        self.filters, self.kernel_size = int(filters), _pair(kernel_size, "Conv2D kernel_size")
        self.strides, self.dilation_rate = _pair(strides, "Conv2D strides"), _pair(dilation_rate, "dilation_rate")
        self.padding = _padding_arg(padding, "Conv2D")

    @staticmethod
    def _kernel_to_keras(w):                  # (out, in, kh, kw) -> (kh, kw, in, out)
        return np.ascontiguousarray(w.transpose(2, 3, 1, 0))

    @staticmethod
    def _kernel_to_engine(k):                 # (kh, kw, in, out) -> (out, in, kh, kw)
        return np.ascontiguousarray(k.transpose(3, 2, 0, 1))

    def build(self, input_shape):
        _check_image(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: the number of input channels must be known, got {input_shape}")
        self._make(self.kernel_size + (input_shape[-1], self.filters), self._kernel_to_engine)

    def compute_output_shape(self, s):
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation_rate
        return (s[0], _out_size(s[1], kh, sh, self.padding, dh), _out_size(s[2], kw, sw, self.padding, dw),
                self.filters)

    def call(self, x, training=False, activate=True):
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation_rate
        pad = (0, 0)
        if self.padding == "same":
            top, bottom = same_padding(x.shape[2], kh, sh, dh)
            left, right = same_padding(x.shape[3], kw, sw, dw)
            if (top, left) == (bottom, right):
                pad = (top, left)
            else:
                x = F.pad(x, (left, right, top, bottom))
        y = F.conv2d(x, self.weight, self.bias, stride=(sh, sw), padding=pad, dilation=(dh, dw))
        return self.activation(y) if activate else y



class Dense(_Weighted):
    """Dense(units, activation=None, use_bias=True, ...): y = activation(x @ kernel + bias) on the last axis."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(activation=activation, **kwargs)
        self.units = int(units)

    _kernel_to_keras = staticmethod(lambda w: np.ascontiguousarray(w.T))      # (out, in) -> (in, out)
    _kernel_to_engine = staticmethod(lambda k: np.ascontiguousarray(k.T))

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: the size of the input's last axis must be known, got {input_shape}")
        self._make((input_shape[-1], self.units), self._kernel_to_engine)

    def compute_output_shape(self, s):
        return tuple(s[:-1]) + (self.units,)

    def call(self, x, training=False, activate=True):
        if x.ndim == 4:                       # Keras's last axis is the engine's channels
            y = F.linear(x.permute(0, 2, 3, 1), self.weight, self.bias).permute(0, 3, 1, 2)
        else:
            y = F.linear(x, self.weight, self.bias)
        return self.activation(y) if activate else y


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise NotImplementedError(f"{type(self).__name__}: minicnn.keras is channels-last")
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _pair(strides, "strides")
        self.padding = _padding_arg(padding, type(self).__name__)

    def build(self, input_shape):
        _check_image(self, input_shape)

    def compute_output_shape(self, s):
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        return (s[0], _out_size(s[1], kh, sh, self.padding), _out_size(s[2], kw, sw, self.padding), s[3])

    def _same(self, x):
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        return same_padding(x.shape[2], kh, sh) + same_padding(x.shape[3], kw, sw)   # top, bottom, left, right


class MaxPooling2D(_Pooling2D):
    """The maximum over each window; 'same' pads with -inf (a padded cell never wins), as TensorFlow."""

    def call(self, x, training=False):
        if self.padding == "same":
            top, bottom, left, right = self._same(x)
            if any((top, bottom, left, right)):
                x = F.pad(x, (left, right, top, bottom), value=-np.inf)
        return F.max_pool2d(x, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    """The mean over each window; with 'same' only the input's cells count, as TensorFlow."""

    def call(self, x, training=False):
        if self.padding == "same":
            top, bottom, left, right = self._same(x)
            if any((top, bottom, left, right)):
                x = F.pad(x, (left, right, top, bottom))
                ones = np.zeros((1, 1) + x.shape[2:], np.float32)
                ones[..., top:x.shape[2] - bottom, left:x.shape[3] - right] = 1
                count = F.avg_pool2d(Tensor(ones), self.pool_size, self.strides).numpy()
                return F.avg_pool2d(x, self.pool_size, self.strides) * (1.0 / count).astype(np.float32)
        return F.avg_pool2d(x, self.pool_size, self.strides)


class GlobalAveragePooling2D(Layer):
    """(None, H, W, C) -> (None, C): the mean of each channel (keepdims=True: (None, 1, 1, C))."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims

    def build(self, input_shape):
        _check_image(self, input_shape)

    def compute_output_shape(self, s):
        return (s[0], 1, 1, s[3]) if self.keepdims else (s[0], s[3])

    def call(self, x, training=False):
        y = F.global_avg_pool2d(x)
        return y.reshape(y.shape + (1, 1)) if self.keepdims else y


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """(None, H, W, C) -> (None, C): the maximum of each channel."""

    def call(self, x, training=False):
        y = x.amax(dim=(2, 3))
        return y.reshape(y.shape + (1, 1)) if self.keepdims else y


class Flatten(Layer):
    """(None, H, W, C) -> (None, H*W*C) in Keras's order (H, then W, then C), so that the Dense after
    it takes Keras's kernel unchanged."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)

    def compute_output_shape(self, s):
        n = None if any(d is None for d in s[1:]) else int(np.prod(s[1:]))
        return (s[0], n)

    def call(self, x, training=False):
        if x.ndim == 4:
            x = x.permute(0, 2, 3, 1)
        return x.reshape(x.shape[0], -1)


class Reshape(Layer):
    """Reshape(target_shape): the values of each sample in a new shape, in Keras's (channels-last) order."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def compute_output_shape(self, s):
        known = int(np.prod(s[1:]))
        shape = list(self.target_shape)
        if -1 in shape:
            shape[shape.index(-1)] = known // -int(np.prod(shape))
        if int(np.prod(shape)) != known:
            raise ValueError(f"{self.name}: cannot reshape {s[1:]} ({known} values) to {self.target_shape}")
        return (s[0],) + tuple(shape)

    def call(self, x, training=False):
        if x.ndim == 4:
            x = x.permute(0, 2, 3, 1)
        y = x.reshape((x.shape[0],) + self.compute_output_shape((None,) + _keras_shape(x))[1:])
        return _to_engine(y) if y.ndim == 4 else y


class Dropout(Layer):
    """Dropout(rate): zero a fraction ``rate`` of the values while training, scale the rest by 1/(1-rate)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout(noise_shape=...) is not supported by minicnn.keras")
        self.rate = float(rate)

    def call(self, x, training=False):
        return F.dropout(x, self.rate, training=training) if self.rate else x


class Activation(Layer):
    """Activation('relu' | 'softmax' | ...): the named activation on its input (softmax over the channels)."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x, training=False, activate=True):
        return self.activation(x) if activate else x


class ReLU(Layer):
    """max(x, 0), as a layer."""

    def call(self, x, training=False):
        return F.relu(x)


class Softmax(Layer):
    """Softmax over the last (Keras) axis: the channels of an image, the features of a vector."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise NotImplementedError("Softmax: minicnn.keras supports axis=-1 (the channels) only")
        self.activation = activations.softmax

    def call(self, x, training=False, activate=True):
        return activations.softmax(x) if activate else x


class BatchNormalization(Layer):
    """BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001): Keras's defaults and update rule.

    moving_mean = momentum * moving_mean + (1 - momentum) * mean(batch), and the moving variance
    likewise with the batch's own (biased) variance, as Keras does (PyTorch's running_var takes the
    unbiased one). gamma and beta are trained; moving_mean and moving_variance count as Keras's
    non-trainable parameters."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon, self.center, self.scale = axis, momentum, epsilon, center, scale
        self.inits = [initializers.get(i) for i in (gamma_initializer, beta_initializer,
                                                     moving_mean_initializer, moving_variance_initializer)]

    def build(self, input_shape):
        if self.axis not in (-1, len(input_shape) - 1):
            raise NotImplementedError(f"{self.name}: minicnn.keras normalizes the last axis (axis=-1) only, "
                                      f"got axis={self.axis}")
        c = input_shape[-1]
        gamma, beta, mean, var = (init((c,)) for init in self.inits)
        self.weight = Parameter(gamma) if self.scale else None
        self.bias = Parameter(beta) if self.center else None
        self.register_buffer("moving_mean", mean)
        self.register_buffer("moving_variance", var)

    def call(self, x, training=False):
        return F.batch_norm(x, self.moving_mean, self.moving_variance, self.weight, self.bias,
                            training=training and self._trainable, momentum=1.0 - self.momentum,
                            eps=self.epsilon, unbiased_running_var=False)

    def _keras_weights(self):
        out = []
        if self.weight is not None:
            out.append(("gamma", self.weight.numpy().copy(), True))
        if self.bias is not None:
            out.append(("beta", self.bias.numpy().copy(), True))
        return out + [("moving_mean", self.moving_mean.copy(), False),
                      ("moving_variance", self.moving_variance.copy(), False)]

    def _set_keras_weight(self, name, value):
        self._copy_into({"gamma": "weight", "beta": "bias"}.get(name, name), value)


class ZeroPadding2D(Layer):
    """ZeroPadding2D(padding=1 | (rows, cols) | ((top, bottom), (left, right)))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif all(isinstance(p, int) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        self.padding = tuple(tuple(int(v) for v in p) for p in padding)

    def build(self, input_shape):
        _check_image(self, input_shape)

    def compute_output_shape(self, s):
        (t, b), (l, r) = self.padding
        return (s[0], None if s[1] is None else s[1] + t + b, None if s[2] is None else s[2] + l + r, s[3])

    def call(self, x, training=False):
        (t, b), (l, r) = self.padding
        return F.pad(x, (l, r, t, b))


class _Merge(Layer):
    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{self.name} ({type(self).__name__}) merges a list of at least two tensors")


class Concatenate(_Merge):
    """Concatenate(axis=-1): join tensors along Keras's axis (the channels by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _engine_axis(self, ndim):
        axis = self.axis % ndim
        return {1: 2, 2: 3, 3: 1}[axis] if ndim == 4 else axis

    def compute_output_shape(self, shapes):
        axis = self.axis % len(shapes[0])
        out = list(shapes[0])
        for s in shapes[1:]:
            if len(s) != len(out) or any(a != b for i, (a, b) in enumerate(zip(s, out)) if i not in (0, axis)):
                raise ValueError(f"{self.name}: shapes {shapes} do not match except along axis {self.axis}")
        out[axis] = None if any(s[axis] is None for s in shapes) else sum(s[axis] for s in shapes)
        return tuple(out)

    def call(self, xs, training=False):
        return F.concat(xs, dim=self._engine_axis(xs[0].ndim))


class Add(_Merge):
    """Add()([a, b, ...]): the element-wise sum (ResNet's shortcut)."""

    def compute_output_shape(self, shapes):
        if any(tuple(s) != tuple(shapes[0]) for s in shapes):
            raise ValueError(f"{self.name}: Add needs tensors of one shape, got {shapes}")
        return shapes[0]

    def call(self, xs, training=False):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


def concatenate(inputs, axis=-1, **kwargs):
    """keras.layers.concatenate([a, b], axis=-1)."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs, **kwargs):
    """keras.layers.add([a, b])."""
    return Add(**kwargs)(inputs)


_MISSING = {
    "Conv1D": "minicnn.keras builds 2-D image networks: use Conv2D",
    "Conv3D": "minicnn.keras builds 2-D image networks: use Conv2D",
    "LSTM": "minicnn has no recurrent layers", "GRU": "minicnn has no recurrent layers",
    "SimpleRNN": "minicnn has no recurrent layers", "Embedding": "minicnn has no embedding layer",
    "SeparableConv2D": "not in minicnn.keras: use Conv2D", "DepthwiseConv2D": "not in minicnn.keras: use Conv2D",
    "Conv2DTranspose": "not in minicnn.keras yet", "UpSampling2D": "not in minicnn.keras yet",
    "LayerNormalization": "not in minicnn.keras yet: use BatchNormalization",
}
MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D


def __getattr__(name):
    if name in _MISSING:
        raise AttributeError(f"keras.layers.{name} is not offered by minicnn.keras: {_MISSING[name]}")
    raise AttributeError(f"keras.layers.{name} is not offered by minicnn.keras; it has: "
                         + ", ".join(sorted(n for n, v in globals().items()
                                            if isinstance(v, type) and issubclass(v, Layer) and not n.startswith("_"))))
