"""The layers: thin Modules holding parameters and calling minicnn.functional."""
import numpy as np

from .. import functional as F
from ..functional.conv import _pair
from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW). See functional.conv2d."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = _pair(kernel_size, "kernel_size"), stride, padding
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", padding={self.padding!r}" if self.padding else ""
        return s + ("" if self.bias is not None else ", bias=False")


class Linear(Module):
    """Fully connected: (N, in_features) -> (N, out_features)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), np.float32))
        self.bias = Parameter(np.empty(out_features, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"expected {self.in_features} input features, got input of shape {x.shape} with "
                             f"{x.shape[-1]} features (does the flattened size before this layer match?)")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}" + \
            ("" if self.bias is not None else ", bias=False")


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool):
    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool):
    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class GlobalAvgPool2d(Module):
    """(N, C, H, W) -> (N, C), as Keras' GlobalAveragePooling2D."""

    def forward(self, x):
        return F.global_avg_pool2d(x)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed (OH, OW) output, as torch.nn.AdaptiveAvgPool2d."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, x):
        return F.softmax(x, self.axis)


class Dropout(Module):
    """Inverted dropout while training; the identity in eval() mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class _BatchNorm(Module):
    ndim = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, np.float32))
        self.bias = Parameter(np.zeros(num_features, np.float32))
        self.register_buffer("running_mean", np.zeros(num_features, np.float32))
        self.register_buffer("running_var", np.ones(num_features, np.float32))
        self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def forward(self, x):
        ndims = (self.ndim,) if self.ndim else (2, 4)
        if x.ndim not in ndims or x.shape[1] != self.num_features:
            want = " or ".join("(N, C)" if n == 2 else "(N, C, H, W)" for n in ndims)
            raise ValueError(f"expected input {want} with C={self.num_features}, got shape {x.shape}")
        if self.training:
            self.num_batches_tracked[...] += 1
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps, comm=self._comm())

    def _comm(self):
        """The communicator to synchronize batch statistics over (None: this process's batch alone)."""
        return None

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    ndim = 2


class BatchNorm2d(_BatchNorm):
    ndim = 4


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose training statistics are those of the whole batch across MPI ranks
    (minicnn.distributed), not of this rank's shard: with it, N ranks at batch B train as one
    process at batch N*B. Costs two small allreduces forward and one backward per layer.
    In a world of one process it is BatchNorm. Takes (N, C) or (N, C, H, W)."""

    def _comm(self):
        if not self.training:
            return None
        from .. import distributed
        comm = distributed.world()
        return comm if comm.size > 1 else None

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """Replace every BatchNorm1d/2d in ``module`` by a SyncBatchNorm with the same weights and statistics."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            new = cls(module.num_features, module.eps, module.momentum)
            new.load_state_dict(module.state_dict())
            new.train(module.training)
            return new
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child))
        return module


class LocalResponseNorm(Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class Flatten(Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim)


class ZeroPad2d(Module):
    """Zero padding; int or (left, right, top, bottom) as PyTorch."""

    def __init__(self, padding):
        super().__init__()
        self.padding = padding

    def forward(self, x):
        return F.pad2d(x, self.padding)

    def extra_repr(self):
        return repr(self.padding)


class Identity(Module):
    def forward(self, x):
        return x
