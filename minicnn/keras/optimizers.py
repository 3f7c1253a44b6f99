"""keras.optimizers with Keras 3's defaults and update rules, run by minicnn's Optimizer machinery.

A Keras optimizer is made before the model's weights are known (``Adam(learning_rate=1e-3)``, or
``'adam'`` in compile); compile binds it to the trainable parameters. The rules (Keras 3's, which are
not PyTorch's) for a weight w with gradient g at step t = 1, 2, ...:

    SGD       (lr 0.01)   m = momentum * m - lr * g;  w += m    (nesterov: w += momentum * m - lr * g;
                          no momentum: w -= lr * g)
    Adam      (lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7)
                          m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
                          w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
    RMSprop   (lr 0.001, rho 0.9, momentum 0, epsilon 1e-7)
                          v = rho * v + (1 - rho) * g^2;  step = lr * g / sqrt(v + epsilon)
                          w -= step   (momentum: m = momentum * m + step; w -= m)

Adam's epsilon sits outside the square root and is not bias-corrected (PyTorch: eps 1e-8 added to
sqrt(v_hat)); RMSprop's sits inside it (PyTorch: outside, 1e-8). ``weight_decay`` is Keras's
decoupled decay, w -= lr * weight_decay * w before the update. The TF2-era ``lr=`` and ``decay=``
are accepted with a warning: decay gives lr / (1 + decay * iterations).
"""
import math
import warnings

from ..backend import get_array_module
from ..optim.optimizer import Optimizer as _EngineOptimizer


class _KerasRule(_EngineOptimizer):
    """An engine optimizer running one Keras rule; ``iterations`` counts the steps taken."""

    def __init__(self, params, keras_opt):
        self.keras = keras_opt
        self.iterations = 0
        super().__init__(params, dict(lr=keras_opt._lr))

    def step(self):
        k = self.keras
        lr = k._lr / (1.0 + k.decay * self.iterations) if k.decay else k._lr
        for group in self.param_groups:
            group["lr"] = lr
        if k.weight_decay:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None and p.requires_grad:
                        p.array *= 1.0 - lr * k.weight_decay
        super().step()
        self.iterations += 1


class _SGDRule(_KerasRule):
    def prepare(self, w, state, group):
        if self.keras.momentum and not state:
            state["m"] = get_array_module(w).zeros_like(w)

    def update(self, w, g, state, group):
        lr, mom = group["lr"], self.keras.momentum
        if not mom:
            w -= lr * g
            return
        m = state["m"]
        m *= mom
        m -= lr * g
        if self.keras.nesterov:
            w += mom * m - lr * g
        else:
            w += m


class _AdamRule(_KerasRule):
    def prepare(self, w, state, group):
        self.count_step(w, state, "m", "v")

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        k, t = self.keras, state["step"]
        m, v = state["m"], state["v"]
        m += (g - m) * (1 - k.beta_1)
        v += (g * g - v) * (1 - k.beta_2)
        alpha = group["lr"] * math.sqrt(1 - k.beta_2 ** t) / (1 - k.beta_1 ** t)
        w -= (m * alpha) / (xp.sqrt(v) + k.epsilon)


class _RMSpropRule(_KerasRule):
    def prepare(self, w, state, group):
        if not state:
            xp = get_array_module(w)
            state["v"] = xp.zeros_like(w)
            if self.keras.momentum:
                state["m"] = xp.zeros_like(w)

    def update(self, w, g, state, group):
        xp = get_array_module(w)
        k = self.keras
        v = state["v"]
        v *= k.rho
        v += (1 - k.rho) * (g * g)
        step = group["lr"] * g / xp.sqrt(v + k.epsilon)
        if k.momentum:
            m = state["m"]
            m *= k.momentum
            m += step
            w -= m
        else:
            w -= step


class Optimizer:
    """A Keras optimizer: its settings until compile binds it to a model's parameters."""

    rule = None

    def __init__(self, learning_rate, weight_decay=None, name=None, decay=None, lr=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} got an argument Keras 3 does not take: {', '.join(sorted(kwargs))}")
        if lr is not None:
            warnings.warn(f"{type(self).__name__}(lr=...) is the TF2-era spelling; Keras 3 calls it learning_rate",
                          stacklevel=3)
            learning_rate = lr
        if decay is not None:
            warnings.warn(f"{type(self).__name__}(decay=...) is the TF2-era learning-rate decay (lr / (1 + decay * "
                          "iterations)); Keras 3 uses keras.optimizers.schedules.InverseTimeDecay", stacklevel=3)
        if any(v is not None for v in (clipnorm, clipvalue, global_clipnorm)):
            raise NotImplementedError(f"{type(self).__name__}: gradient clipping is not supported by minicnn.keras")
        for arg, v in (("learning_rate", learning_rate), ("weight_decay", weight_decay or 0.0), ("decay", decay or 0.0)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{type(self).__name__}: {arg} must be a finite number >= 0, got {v!r}")
        self._lr, self.weight_decay, self.decay = float(learning_rate), float(weight_decay or 0.0), float(decay or 0.0)
        self.name = name or type(self).__name__.lower()
        self.engine = None

    def build(self, params):
        """Bind to the parameters (compile does this); returns the engine optimizer."""
        self.engine = self.rule(params, self)
        return self.engine

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)

    lr = learning_rate

    @property
    def iterations(self):
        return 0 if self.engine is None else self.engine.iterations

    slots = 0             # state arrays kept per weight (Keras's optimizer variables)

    def variable_count(self):
        """How many numbers Keras's optimizer keeps once built: ``slots`` per trainable weight, plus its
        iteration counter and learning rate; None before its first step (Keras builds it then)."""
        if self.engine is None or not self.engine.iterations:
            return None
        weights = sum(p.numel() for g in self.engine.param_groups for p in g["params"] if p.requires_grad)
        return self.slots * weights + 2

    def get_config(self):
        return {"name": self.name, "learning_rate": self._lr, "weight_decay": self.weight_decay or None}


def _check_unit(name, value, opt):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{opt}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


class SGD(Optimizer):
    """SGD(learning_rate=0.01, momentum=0.0, nesterov=False): Keras's rule (this module's docstring)."""

    rule = _SGDRule

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.slots = 1 if self.momentum else 0


class Adam(Optimizer):
    """Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7): Keras's rule, epsilon outside the
    square root and not bias-corrected."""

    rule = _AdamRule
    slots = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if amsgrad:
            raise NotImplementedError("Adam(amsgrad=True) is not supported by minicnn.keras")
        self.beta_1, self.beta_2 = _check_unit("beta_1", beta_1, "Adam"), _check_unit("beta_2", beta_2, "Adam")
        if not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(f"Adam: epsilon must be a number >= 0, got {epsilon!r}")
        self.epsilon = float(epsilon)


class RMSprop(Optimizer):
    """RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7): Keras's rule, epsilon inside the
    square root."""

    rule = _RMSpropRule

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if centered:
            raise NotImplementedError("RMSprop(centered=True) is not supported by minicnn.keras")
        self.rho, self.momentum = _check_unit("rho", rho, "RMSprop"), _check_unit("momentum", momentum, "RMSprop")
        self.slots = 2 if self.momentum else 1
        if not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(f"RMSprop: epsilon must be a number >= 0, got {epsilon!r}")
        self.epsilon = float(epsilon)


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    """An optimizer from a name ('adam', 'sgd', 'rmsprop') or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {identifier!r}; minicnn.keras has: sgd, adam, rmsprop")
        return cls()
    raise TypeError(f"an optimizer must be a name or a keras.optimizers instance, got {identifier!r}"
                    + ("; minicnn.optim's optimizers follow PyTorch's rules: use keras.optimizers here"
                       if isinstance(identifier, _EngineOptimizer) else ""))


def __getattr__(name):
    """A Keras name this module does not offer: an error naming it and what there is instead."""
    raise AttributeError(f"keras.optimizers.{name} is not offered by minicnn.keras; it has: SGD, Adam, RMSprop")
