"""Element-wise activations and the softmax family.

Notation: x is any shape; ``axis`` is the class axis for softmax.

  relu(x)        = max(x, 0)                 d/dx = 1[x > 0]
  sigmoid(x)     = 1 / (1 + e^-x)            d/dx = y (1 - y)
  tanh(x)                                    d/dx = 1 - y^2
  softmax(x)_i   = e^(x_i - m) / sum_j e^(x_j - m),   m = max_j x_j (for stability)
                 backward: gx = y * (gy - sum_j gy_j y_j)
  log_softmax(x) = x - m - log sum_j e^(x_j - m)
                 backward: gx = gy - softmax(x) * sum_j gy_j
"""
from ..autograd import Function
from ..backend import get_array_module


class ReLU(Function):
    def forward(self, x):
        xp = get_array_module(x)
        y = xp.maximum(x, x.dtype.type(0))       # a NumPy scalar: with a Python 0 it took 1.5x as long
        if self.requires_grad:
            self.mask = y > 0
        return y

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    def forward(self, x, slope=0.01):
        xp = get_array_module(x)
        self.mask, self.slope = x > 0, x.dtype.type(slope)
        return xp.where(self.mask, x, x * self.slope)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, gy, gy * self.slope)


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # 1/(1+e^-x) overflows e^-x for very negative x; tanh form is stable everywhere
        half = x.dtype.type(0.5)
        self.y = half * xp.tanh(half * x) + half
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * y * (1 - y)


class Tanh(Function):
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y * y)


def _softmax(x, axis):
    xp = get_array_module(x)
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _log_softmax(x, axis):
    xp = get_array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    return z


class Softmax(Function):
    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = _softmax(x, axis)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = _log_softmax(x, axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def relu(x): return ReLU.apply(x)
def leaky_relu(x, negative_slope=0.01): return LeakyReLU.apply(x, slope=negative_slope)
def sigmoid(x): return Sigmoid.apply(x)
def tanh(x): return Tanh.apply(x)
def softmax(x, axis=-1): return Softmax.apply(x, axis=axis)
def log_softmax(x, axis=-1): return LogSoftmax.apply(x, axis=axis)
