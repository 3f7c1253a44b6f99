"""The layers: thin Modules holding parameters and calling minicnn.functional."""
import numpy as np

from .. import backend
from .. import functional as F
from ..functional.conv import pair
from . import init
from .module import Module, Parameter


def _check_channels(layer, in_channels, out_channels, groups, padding_mode):
    """A convolution layer's arguments that PyTorch checks when it is built."""
    if padding_mode != "zeros":
        raise NotImplementedError(f"{layer}: padding_mode={padding_mode!r} is not supported, only 'zeros'")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{layer}: in_channels ({in_channels}) and out_channels ({out_channels}) must both "
                         f"divide by groups ({groups})")


class Conv2d(Module):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW). See functional.conv2d."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros"):
        super().__init__()
        _check_channels("Conv2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        # stored as PyTorch stores them (pairs; 'same' / 'valid' as given), so code reading conv.stride agrees
        self.kernel_size, self.stride = pair(kernel_size, "kernel_size"), pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding")
        self.dilation, self.groups = pair(dilation, "dilation"), groups
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", padding={self.padding}" if self.padding not in ((0, 0), "valid") else ""
        s += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
        return s + ("" if self.bias is not None else ", bias=False")


class ConvTranspose2d(Module):
    """Transposed convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW), the weight
    (in_channels, out_channels/groups, kH, kW) as PyTorch lays it out. See functional.conv_transpose2d;
    ``forward(x, output_size)`` picks output_padding to reach that size, as in PyTorch."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros"):
        super().__init__()
        _check_channels("ConvTranspose2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = pair(kernel_size, "kernel_size"), pair(stride, "stride")
        self.padding, self.output_padding = pair(padding, "padding"), pair(output_padding, "output_padding")
        self.dilation, self.groups = pair(dilation, "dilation"), groups
        self.weight = Parameter(np.empty((in_channels, out_channels // groups) + self.kernel_size, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x, output_size=None):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups, self.dilation)

    def _output_padding(self, x, output_size):
        """output_padding, or the one that makes the output ``output_size`` ((H, W), or with N and C first)."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-2:]
        pads = []
        for i, want in enumerate(size):
            least = ((x.shape[2 + i] - 1) * self.stride[i] - 2 * self.padding[i]
                     + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            if not least <= want < least + self.stride[i]:
                raise ValueError(f"ConvTranspose2d: output_size {tuple(output_size)} is out of reach for input "
                                 f"{x.shape}: each side can be {least} to {least + self.stride[i] - 1} here")
            pads.append(want - least)
        return tuple(pads)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", padding={self.padding}" if self.padding != (0, 0) else ""
        s += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        s += f", output_padding={self.output_padding}" if self.output_padding != (0, 0) else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
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
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"expected {self.in_features} input features, got input of shape {x.shape} with "
                             f"{x.shape[-1] if x.ndim else 0} features (does the flattened size before this layer "
                             "match?)")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class MaxPool2d(Module):
    """Max pooling over kernel_size windows (stride defaults to kernel_size); padding is -inf, so a
    padded cell never wins; each window's gradient goes to its maximum."""
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        # PyTorch's attributes: stride is kernel_size when not given
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Average pooling over kernel_size windows (stride defaults to kernel_size); with padding,
    count_include_pad=True divides by the whole window, False by the cells inside the input (PyTorch's)."""
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


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
    """max(x, 0). ``inplace=True`` is accepted for PyTorch code and computes the same values out of place."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope * x otherwise."""
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """y = x for x > 0, alpha * (e^x - 1) otherwise (functional.activation.ELU)."""
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class GELU(Module):
    """y = x * Phi(x), Phi the standard normal's CDF; approximate="tanh" for PyTorch's tanh form."""
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)


class Sigmoid(Module):
    """y = 1 / (1 + e^-x), elementwise."""
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh x, elementwise."""
    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """y = softmax(x) along ``dim``: e^(x - max) / sum e^(x - max)."""
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y = log softmax(x) along ``dim``, computed stably (z - logsumexp z)."""
    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Dropout(Module):
    """Inverted dropout while training; the identity in eval() mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zeroes whole channels: each (n, c) feature map is kept with probability 1 - p (and scaled by 1/(1-p))."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)


class _BatchNorm(Module):
    """Batch norm with PyTorch's options: ``momentum=None`` keeps the cumulative average of the batch
    statistics (factor 1 / num_batches_tracked); ``affine=False`` has no weight and bias;
    ``track_running_stats=False`` has no running statistics and normalizes with the batch's, in eval too."""

    ndims = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, np.float32))
            self.register_buffer("running_var", np.ones(num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x):
        if x.ndim not in self.ndims or x.shape[1] != self.num_features:
            want = " or ".join({2: "(N, C)", 3: "(N, C, L)", 4: "(N, C, H, W)"}[n] for n in self.ndims)
            raise ValueError(f"expected input {want} with C={self.num_features}, got shape {x.shape}")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked[...] += 1
            if momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, momentum or 0.0, self.eps, comm=self._comm())

    def _comm(self):
        """The communicator to synchronize batch statistics over (None: this process's batch alone)."""
        return None

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Over (N, C) or (N, C, L), statistics per channel C."""
    ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) per channel: y = (x - mean) / sqrt(var + eps) * weight + bias, with the
    batch's statistics in training (and the running ones moved by ``momentum``), the running ones in eval()."""
    ndims = (4,)


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose training statistics are those of the whole batch across MPI ranks
    (minicnn.distributed), not of this rank's shard: with it, N ranks at batch B train as one
    process at batch N*B. Costs two small allreduces forward and one backward per layer.
    In a world of one process it is BatchNorm. Takes (N, C), (N, C, L) or (N, C, H, W)."""

    ndims = (2, 3, 4)

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
            new = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
            state = module.state_dict()
            new.to(backend.device_of(next(iter(state.values()))) if state else "cpu")   # where the old one lives
            new.load_state_dict(state)
            new.train(module.training)
            return new
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child))
        return module


class LayerNorm(Module):
    """Layer norm over each sample's last dimensions ``normalized_shape``: y = (x - mean) /
    sqrt(var + eps) * weight + bias, with weight (ones) and bias (zeros) shaped normalized_shape when
    ``elementwise_affine`` (``bias=False`` drops the bias); the same in training and eval()."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(np.ones(shape, np.float32)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, np.float32)) if elementwise_affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """AlexNet's local response normalization across ``size`` neighbouring channels:
    y = x / (k + alpha/size * sum x^2)^beta."""
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class Flatten(Module):
    """Merge dimensions start_dim..end_dim (by default every one after the batch's)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size`` (the inverse of Flatten)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        d = self.dim % x.ndim
        return x.reshape(x.shape[:d] + self.unflattened_size + x.shape[d + 1:])


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
    """y = x: a placeholder layer (e.g. where a pretrained model's classifier is taken out)."""
    def forward(self, x):
        return x


class DataParallel(Module):
    """torch.nn.DataParallel on one device: the wrapped ``module`` itself, under the name "module" (so a
    state_dict's keys read "module.conv1.weight", as PyTorch's). Several processes: minicnn.distributed."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)
