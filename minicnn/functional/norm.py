"""Normalization: batch norm, layer norm and local response norm.

batch_norm, x (N, C), (N, C, L) or (N, C, H, W); statistics per channel c over the other axes
(m = N, N*L or N*H*W values):

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

layer_norm, x (..., *normalized_shape); statistics per sample over its last D = prod(normalized_shape)
values, the same in training and evaluation (no running statistics):

    mean = (1/D) sum x            var = (1/D) sum (x - mean)^2           (biased)
    xhat = (x - mean) / sqrt(var + eps)
    y    = weight * xhat + bias   (weight and bias shaped normalized_shape, element by element)

  backward, with g = gy * weight, the means over the same D values:
      gx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)
      gweight = sum over the samples of gy * xhat,   gbias = sum over the samples of gy

local_response_norm (AlexNet), over channels, window of ``size`` channels centred on c:

    d_c = k + alpha / size * sum_{j in win(c)} x_j^2,        y_c = x_c * d_c^(-beta)
    gx_i = gy_i d_i^(-beta) - (2 alpha beta / size) x_i sum_{c : i in win(c)} gy_c x_c d_c^(-beta-1)
"""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..configuration import config
from ..layout import alloc_nchw, batch_last, in_layout, rows_of
from ..tensor import Tensor
from .math import as_tensor


# Rows (H*W values of one image and channel) shorter than REPEAT_ROWS are walked as whole blocks, with
# per-channel vectors repeated along them: rows of 196 and 256 values gained, rows of 784 and more
# did not (benchmarks/bn_rows.py; RESULTS.md, "Batch norm on short rows").
REPEAT_ROWS = 512

# Per-channel dot products run one row at a time (np.vecdot) for rows of at least DOT_ROWS values; a
# row's dot product costs more than multiplying a shorter row out and summing it by ones
# (benchmarks/bn_rows.py; RESULTS.md, "Batch norm's dot products").
DOT_ROWS = 64

# Batch norm works through its input in blocks of about config.norm_block elements (512 KB of
# float32), so that (x - mean) and the other per-element temporaries live in the cache: each pass then
# reads x (and gy) from memory once. The size was measured (RESULTS.md, "Batch norm blocks").


def _as_3d(a):
    """(N, C) or (N, C, H, W) as a (B, C, L) view (or copy) whose last axis is contiguous:
    NCHW -> (N, C, H*W); batch-last (C, H, W, N) in memory -> (1, C, H*W*N); (N, C) -> (N, C, 1)."""
    N, C = a.shape[:2]
    if batch_last(a):
        return a.transpose(1, 2, 3, 0).reshape(1, C, -1)
    return get_array_module(a).ascontiguousarray(a).reshape(N, C, -1)


def _blocks(shape, xp):
    """Index tuples (images, channels) covering a (B, C, L) array in blocks of about config.norm_block
    elements: groups of whole images when one image is smaller, else runs of channels. On the
    GPU one block: the whole array (each block costs a few kernel launches there)."""
    B, C, L = shape
    if xp is not np:
        return [(slice(None), slice(None))]
    block = config.norm_block
    if C * L <= block:
        step = block // (C * L)
        return [(slice(b, min(B, b + step)), slice(None)) for b in range(0, B, step)]
    step = max(1, block // L)
    return [(slice(b, b + 1), slice(c, min(C, c + step))) for b in range(B) for c in range(0, C, step)]


def _short(a):
    """Whether a (B, C, L) array on the CPU has rows shorter than REPEAT_ROWS (a small map of a small
    batch, NCHW): NumPy then pays per row, not per value, for a per-channel op walked row by row."""
    return a.shape[2] < REPEAT_ROWS and isinstance(a, np.ndarray)


def _per_channel(v, like):
    """(C,) -> (1, C, 1), to broadcast against (B, C, L) blocks like ``like`` (index [:, c] for its
    channels). For short rows, (1, C, L) with each value repeated along its row: NumPy then walks a
    block and the vector as one run of C*L values instead of C runs of L (RESULTS.md, "Batch norm on
    short rows")."""
    if _short(like):
        return np.repeat(v, like.shape[2]).reshape(1, -1, like.shape[2])
    return v.reshape(1, -1, 1)


def _channel_sum(a):
    """Sum over every axis but 1 of a (B, C, L) block, the contiguous axis first (fast in NumPy);
    short rows as a product with a vector of ones, one BLAS call instead of B*C sums of a few values
    (RESULTS.md, "Batch norm on short rows")."""
    if _short(a):
        return (a @ np.ones(a.shape[2], a.dtype)).sum(axis=0)
    return a.sum(axis=2).sum(axis=0)


def _channel_dot(a, b):
    """Sum over every axis but 1 of a * b, for (B, C, L) blocks: on the CPU one dot product per row
    (NumPy's vecdot), a pass fewer than multiplying and then summing, for rows of DOT_ROWS values or
    more; shorter rows, and a GPU (the whole array is one block there), multiply and sum."""
    if get_array_module(a) is not np or a.shape[2] < DOT_ROWS:
        return _channel_sum(a * b)
    return np.vecdot(a, b).sum(axis=0)


def _allreduce_channel_sums(comm, sums, count=0):
    """Per-channel sums (float64) and a count, added over the ranks in one allreduce."""
    xp = get_array_module(sums[0])
    C = sums[0].shape[0]
    buf = xp.concatenate([v.astype(xp.float64) for v in sums] + [xp.full(1, count, dtype=xp.float64)])
    comm.allreduce(buf)
    return [buf[i * C:(i + 1) * C] for i in range(len(sums))], int(round(float(buf[-1])))


class BatchNorm(Function):
    """Each pass goes through x (and gy) block by block (config.norm_block); x, not xhat, is kept for backward
    and xhat = (x - mean) * inv_std is remade per block where needed."""
    torch_name = "NativeBatchNormBackward0"
    saves = (0, 1)

    def forward(self, x, weight, bias, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5, comm=None, unbiased=True):
        xp = get_array_module(x)
        t = x.dtype.type
        self.comm = comm if training else None
        x3 = _as_3d(x)
        blocks = _blocks(x3.shape, xp)
        with rows_of(x3.shape[2], xp):                                   # per-channel ops over short rows
            if training:
                m = self.m = x3.shape[0] * x3.shape[2]
                s1 = _channel_sum(x3)
                if comm is not None:
                    (s1,), m = _allreduce_channel_sums(comm, [s1], count=m)   # m: the count over all ranks
                    self.M = m
                mean = (s1 / m).astype(x.dtype)
                mean3 = _per_channel(mean, x3)
                tmp = xp.empty(max(x3[b, c].size for b, c in blocks), dtype=x.dtype)
                sq = xp.zeros(x3.shape[1], dtype=x.dtype)
                for b, c in blocks:                                          # sum of (x - mean)^2
                    xb = x3[b, c]
                    d = tmp[:xb.size].reshape(xb.shape)
                    xp.subtract(xb, mean3[:, c], out=d)
                    sq[c] += _channel_dot(d, d)
                if comm is not None:
                    (sq,), _ = _allreduce_channel_sums(comm, [sq])
                var = (sq / m).astype(x.dtype)
                if running_mean is not None:
                    mom = t(momentum)
                    running_mean *= 1 - mom
                    running_mean += mom * mean
                    running_var *= 1 - mom
                    running_var += mom * var * t(m / max(m - 1, 1)) if unbiased else mom * var
            else:
                mean, var = running_mean, running_var
            inv_std = 1 / xp.sqrt(var + t(eps))
            a = weight * inv_std                                             # y = a x + (bias - a mean)
            a3, shift3 = _per_channel(a, x3), _per_channel(bias - a * mean, x3)
            self.x_batch_last = batch_last(x)
            y = alloc_nchw(xp.empty, x.shape, x.dtype, self.x_batch_last)
            y3 = _as_3d(y)                                                   # a view of y
            for b, c in blocks:
                yb = y3[b, c]
                xp.multiply(x3[b, c], a3[:, c], out=yb)
                yb += shift3[:, c]
            if self.requires_grad:
                self.x3, self.mean, self.inv_std, self.weight, self.training = x3, mean, inv_std, weight, training
                self.blocks = blocks
            return y

    def backward(self, gy):
        xp = get_array_module(gy)
        x3, inv_std = self.x3, self.inv_std
        mean3 = _per_channel(self.mean, x3)
        g = in_layout(gy, self.x_batch_last) if gy.ndim == 4 else xp.ascontiguousarray(gy)   # x's layout
        g3, blocks = _as_3d(g), self.blocks
        with rows_of(g3.shape[2], xp):
            tmp = xp.empty(max(g3[b, c].size for b, c in blocks), dtype=gy.dtype)
            gbias = xp.zeros(g3.shape[1], dtype=gy.dtype)
            gxc = xp.zeros(g3.shape[1], dtype=gy.dtype)                     # sum of gy * (x - mean)
            for b, c in blocks:
                gb = g3[b, c]
                d = tmp[:gb.size].reshape(gb.shape)
                gbias[c] += _channel_sum(gb)
                xp.subtract(x3[b, c], mean3[:, c], out=d)
                gxc[c] += _channel_dot(d, gb)
            gweight = gxc * inv_std                                          # sum of gy * xhat
            scale = self.weight * inv_std
            # gx = scale * (gy - mean(gy) - xhat * mean(gy * xhat)) = scale*gy - k*(x - mean) - shift
            if self.training:
                if self.comm is None:
                    mean_g, mean_gx = gbias / self.m, gweight / self.m
                else:
                    (s_g, s_gx), _ = _allreduce_channel_sums(self.comm, [gbias * self.m, gweight * self.m])
                    mean_g, mean_gx = [(v / (self.m * self.M)).astype(gy.dtype) for v in (s_g, s_gx)]
                k3, shift3 = _per_channel(scale * inv_std * mean_gx, x3), _per_channel(scale * mean_g, x3)
            scale3 = _per_channel(scale, x3)
            gx = alloc_nchw(xp.empty, g.shape, g.dtype, self.x_batch_last)
            gx3 = _as_3d(gx)
            for b, c in blocks:
                out = gx3[b, c]
                xp.multiply(g3[b, c], scale3[:, c], out=out)
                if self.training:
                    d = tmp[:out.size].reshape(out.shape)
                    xp.subtract(x3[b, c], mean3[:, c], out=d)
                    d *= k3[:, c]
                    out -= d
                    out -= shift3[:, c]
            return gx, gweight, gbias


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, comm=None, *, unbiased_running_var=True):
    """Batch normalization over (N, C), (N, C, L) or (N, C, H, W); see the module docstring.

    running_mean / running_var: (C,) arrays or Tensors updated in place when
    training (may be None when training). weight / bias: (C,) Tensors or None.
    comm: a minicnn.distributed communicator to synchronize the batch statistics over.
    unbiased_running_var: PyTorch's running_var takes the batch variance times m / (m - 1);
      Keras's moving_variance takes it as it is (False).
    """
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"batch_norm: expected input (N, C), (N, C, L) or (N, C, H, W), got shape {x.shape}")
    C = x.shape[1]
    xp = get_array_module(x.array)
    if training and x.numel() // C < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input shape {x.shape}")
    rm = running_mean.array if isinstance(running_mean, Tensor) else running_mean
    rv = running_var.array if isinstance(running_var, Tensor) else running_var
    if not training and (rm is None or rv is None):
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    for name, v in (("running_mean", rm), ("running_var", rv), ("weight", weight), ("bias", bias)):
        if v is not None and tuple(v.shape) != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},) for input {x.shape}, got {tuple(v.shape)}")
    weight = as_tensor(xp.ones(C, dtype=x.dtype), x) if weight is None else weight
    bias = as_tensor(xp.zeros(C, dtype=x.dtype), x) if bias is None else bias
    return BatchNorm.apply(x, weight, bias, running_mean=rm, running_var=rv, training=training,
                           momentum=momentum, eps=eps, comm=comm, unbiased=unbiased_running_var)


class LayerNorm(Function):
    """Layer norm over the last ``D`` values of each sample (the module docstring): x seen as (M, D),
    weight and bias as (D,)."""
    torch_name = "NativeLayerNormBackward0"
    saves = (1,)

    def forward(self, x, weight, bias, D=1, eps=1e-5):
        xp = get_array_module(x)
        x2 = x.reshape(-1, D)
        centred = x2 - x2.mean(axis=1, keepdims=True)
        var = xp.mean(centred * centred, axis=1, keepdims=True)
        self.inv_std = 1 / xp.sqrt(var + x.dtype.type(eps))              # (M, 1)
        self.xhat = centred * self.inv_std                             # (M, D): what backward needs of x
        self.weight = weight
        return (self.xhat * weight.reshape(-1) + bias.reshape(-1)).reshape(x.shape)

    def backward(self, gy):
        xhat, weight = self.xhat, self.weight
        gy2 = gy.reshape(xhat.shape)
        gx = None
        if self.needs_grad[0]:
            g = gy2 * weight.reshape(-1)
            gx = ((g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
                  * self.inv_std).reshape(gy.shape)
        gw = (gy2 * xhat).sum(axis=0).reshape(weight.shape) if self.needs_grad[1] else None
        gb = gy2.sum(axis=0).reshape(weight.shape) if self.needs_grad[2] else None
        return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Layer norm (PyTorch's F.layer_norm): normalize each sample over its last dimensions
    ``normalized_shape`` (an int or a tuple), then scale by ``weight`` and shift by ``bias`` (both
    shaped normalized_shape, optional). The formulas are in the module docstring."""
    x = input
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or len(shape) > x.ndim or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the last dimensions of the input, "
                         f"got input of shape {tuple(x.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape} (normalized_shape), got {tuple(p.shape)}")
    xp = get_array_module(x.array)
    weight = as_tensor(xp.ones(shape, dtype=x.dtype), x) if weight is None else weight
    bias = as_tensor(xp.zeros(shape, dtype=x.dtype), x) if bias is None else bias
    D = 1
    for n in shape:
        D *= n
    return LayerNorm.apply(x, weight, bias, D=D, eps=eps)


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
    """AlexNet's LRN across channels: y = x / (k + alpha/size * sum of x^2 over ``size`` neighbouring
    channels)^beta, x (N, C, H, W); backward differentiates both the x on top and the sum below."""
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
