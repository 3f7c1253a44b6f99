"""Normalization: batch norm and local response norm.

batch_norm, x (N, C) or (N, C, H, W); statistics per channel c over the other axes
(m = N or N*H*W values):

    mean_c = (1/m) sum x          var_c = (1/m) sum (x - mean_c)^2      (biased)
    xhat   = (x - mean_c) / sqrt(var_c + eps)
    y      = weight_c * xhat + bias_c

  training: normalize with the batch statistics and update the running ones as
  PyTorch does (the running variance uses the unbiased m/(m-1) estimate):
      running_mean = (1 - momentum) * running_mean + momentum * mean_c
      running_var  = (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)
  evaluation: normalize with the running statistics (a fixed affine map).

  backward (training), with g = gy * weight:
      gx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)
      gweight = sum(gy * xhat),   gbias = sum(gy)

  synchronized (``comm``, a minicnn.distributed communicator): the sums behind mean_c and var_c
  are added over the ranks first (m becomes M, the count over all ranks), and in backward so are
  the two sums of gy; rank r's sums are weighted by its count m_r and divided by m_r * M, which
  is exact when gradients are then averaged with weights m_r (fit does) and is PyTorch's
  SyncBatchNorm when every rank has the same count.

local_response_norm (AlexNet), over channels, window of ``size`` channels centred on c:

    d_c = k + alpha / size * sum_{j in win(c)} x_j^2,        y_c = x_c * d_c^(-beta)
    gx_i = gy_i d_i^(-beta) - (2 alpha beta / size) x_i sum_{c : i in win(c)} gy_c x_c d_c^(-beta-1)
"""
from ..autograd import Function
from ..backend import get_array_module
from ..im2col import batch_last
from ..tensor import Tensor
from .math import as_tensor


def _per_channel(v, ndim):
    """(C,) -> shape that broadcasts against (N, C) or (N, C, H, W)."""
    return v if ndim == 2 else v[:, None, None]


def _channel_sum(a, dtype=None):
    """Sum over every axis but 1, reducing contiguous runs first (fast in NumPy): a batch-last
    array (conv2d's output for large batches) is (C, H*W*N) in memory, an NCHW one (N, C, H*W)."""
    N, C = a.shape[:2]
    if a.ndim == 2:
        return a.sum(axis=0, dtype=dtype)
    if batch_last(a):
        return a.transpose(1, 2, 3, 0).reshape(C, -1).sum(axis=1, dtype=dtype)
    return a.reshape(N, C, -1).sum(axis=2, dtype=dtype).sum(axis=0)


def _channel_mean(a):
    return _channel_sum(a) / a.dtype.type(a.size // a.shape[1])


def _global_channel_sums(comm, *arrays, weight=1.0, count=0):
    """Per-channel float64 sums of each array times ``weight``, and ``count``, added over the ranks
    in one allreduce; returns the summed arrays and the summed count."""
    xp = get_array_module(arrays[0])
    C = arrays[0].shape[1]
    parts = [_channel_sum(a, dtype=xp.float64) * weight for a in arrays]
    buf = xp.concatenate(parts + [xp.full(1, count, dtype=xp.float64)])
    comm.allreduce(buf)
    return [buf[i * C:(i + 1) * C] for i in range(len(arrays))], int(round(float(buf[-1])))


class BatchNorm(Function):
    def forward(self, x, weight, bias, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5, comm=None):
        xp = get_array_module(x)
        nd = x.ndim
        self.comm = comm if training else None
        if training:
            m = self.m = x.size // x.shape[1]
            if self.comm is None:
                mean = _channel_mean(x)
                xc = x - _per_channel(mean, nd)
                var = _channel_mean(xc * xc)
            else:
                (sum_x,), m = _global_channel_sums(comm, x, count=m)         # m: the count over all ranks
                self.M = m
                mean = (sum_x / m).astype(x.dtype)
                xc = x - _per_channel(mean, nd)
                (sum_sq,), _ = _global_channel_sums(comm, xc * xc)
                var = (sum_sq / m).astype(x.dtype)
            if running_mean is not None:
                mom = x.dtype.type(momentum)
                running_mean *= 1 - mom
                running_mean += mom * mean
                running_var *= 1 - mom
                running_var += mom * var * x.dtype.type(m / max(m - 1, 1))
        else:
            mean, var = running_mean, running_var
            xc = x - _per_channel(mean, nd)
        inv_std = 1 / xp.sqrt(var + x.dtype.type(eps))
        xhat = xc
        xhat *= _per_channel(inv_std, nd)
        y = xhat * _per_channel(weight, nd)
        y += _per_channel(bias, nd)
        if self.requires_grad:
            self.xhat, self.inv_std, self.weight, self.training = xhat, inv_std, weight, training
        return y

    def backward(self, gy):
        xhat, nd = self.xhat, gy.ndim
        gbias = _channel_sum(gy)
        gweight = _channel_sum(gy * xhat)
        scale = _per_channel(self.weight * self.inv_std, nd)
        if self.training:
            if self.comm is None:
                mean_g, mean_gx = gbias / self.m, gweight / self.m
            else:
                (s_g, s_gx), _ = _global_channel_sums(self.comm, gy, gy * xhat, weight=float(self.m))
                mean_g, mean_gx = [(v / (self.m * self.M)).astype(gy.dtype) for v in (s_g, s_gx)]
            gx = gy - _per_channel(mean_g, nd)
            gx -= xhat * _per_channel(mean_gx, nd)
            gx *= scale
        else:
            gx = gy * scale
        return gx, gweight, gbias


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, comm=None):
    """Batch normalization over (N, C) or (N, C, H, W); see the module docstring.

    running_mean / running_var: (C,) arrays or Tensors updated in place when
    training (may be None when training). weight / bias: (C,) Tensors or None.
    comm: a minicnn.distributed communicator to synchronize the batch statistics over.
    """
    if x.ndim not in (2, 4):
        raise ValueError(f"batch_norm: expected input (N, C) or (N, C, H, W), got shape {x.shape}")
    C = x.shape[1]
    xp = get_array_module(x.data)
    if training and x.size // C < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input shape {x.shape}")
    rm = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    rv = running_var.data if isinstance(running_var, Tensor) else running_var
    if not training and (rm is None or rv is None):
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    for name, v in (("running_mean", rm), ("running_var", rv), ("weight", weight), ("bias", bias)):
        if v is not None and tuple(v.shape) != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},) for input {x.shape}, got {tuple(v.shape)}")
    weight = as_tensor(xp.ones(C, dtype=x.dtype), x) if weight is None else weight
    bias = as_tensor(xp.zeros(C, dtype=x.dtype), x) if bias is None else bias
    return BatchNorm.apply(x, weight, bias, running_mean=rm, running_var=rv, training=training,
                           momentum=momentum, eps=eps, comm=comm)


def _channel_window_sum(a, before, after):
    """s[:, c] = sum of a[:, j] for j in [c - before, c + after] (zero outside), any trailing axes."""
    xp = get_array_module(a)
    C = a.shape[1]
    pad = xp.zeros((a.shape[0], C + before + after) + a.shape[2:], dtype=a.dtype)
    pad[:, before:before + C] = a
    s = pad[:, 0:C].copy()
    for j in range(1, before + after + 1):
        s += pad[:, j:j + C]
    return s


class LocalResponseNorm(Function):
    def forward(self, x, size, alpha, beta, k):
        t = x.dtype.type
        d = _channel_window_sum(x * x, size // 2, (size - 1) // 2)
        d *= t(alpha / size)
        d += t(k)
        dpow = d ** t(-beta)
        self.x, self.d, self.dpow, self.params = x, d, dpow, (size, alpha, beta)
        return x * dpow

    def backward(self, gy):
        size, alpha, beta = self.params
        x, d, dpow = self.x, self.d, self.dpow
        t = gy.dtype.type
        inner = gy * x * dpow / d                                   # gy_c x_c d_c^(-beta-1)
        back = _channel_window_sum(inner, (size - 1) // 2, size // 2)   # sum over windows holding i
        return gy * dpow - t(2 * alpha * beta / size) * x * back


def local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's local response normalization across channels (PyTorch's formula)."""
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected input (N, C, ...) with at least 3 dims, got {x.shape}")
    return LocalResponseNorm.apply(x, size=int(size), alpha=alpha, beta=beta, k=k)
