"""2-D convolution: conv2d, its arguments, and the choice of algorithm (see conv_algorithms/im2col.py
for the notation).

Shapes: x (N, C, H, W), weight (K, C, R, S), bias (K,) -> y (N, K, OH, OW).

Forward:   col = im2col(x)                      (C*R*S, N*OH*OW)
           Y   = W2 @ col + b                   (K, N*OH*OW),  W2 = weight.reshape(K, C*R*S)
Backward:  gW  = gY @ col^T                     (K, C*R*S)
           gb  = sum of gY over N, OH, OW
           gx  = col2im(W2^T @ gY)              (N, C, H, W)
or, for stride 1 when C >= K, the input gradient as a convolution of gY:
           gx  = Wf @ im2col(gY, padding R-1-pt, R-1-pb, S-1-pl, S-1-pr)
                 Wf[c, (k, r, s)] = weight[k, c, R-1-r, S-1-s]   (flipped, channels swapped)

The same numbers come from six algorithms (minicnn/functional/conv_algorithms/): the textbook
"reference", channel-first "im2col", "pointwise" for 1x1 kernels, "batch_last", and Winograd's
"winograd" (F(2x2, 3x3)) and "winograd4x4" (F(4x4, 3x3)).
``conv2d(..., algorithm="auto")`` picks one by the thresholds in conv_algorithms/choice.py.

Memory layout. batch_last leaves its output batch-last, (K, OH, OW, N) in memory, returned as
the (N, K, OH, OW) view ``y.transpose(3, 0, 1, 2)``: same shape and numbers as an NCHW array,
other strides. NumPy's element-wise ops keep the memory order of their input, and ReLU,
pooling, batch norm and dropout are written to keep it too, so the next conv2d finds its input
batch-last already and copies it without a transpose -- as cuda-convnet's (C, H, W, N) layout
did. Any layout is accepted everywhere; only speed depends on it.

On a GPU (CuPy) every batch stays channel-first and NCHW. Batch-last answers NumPy's
fixed cost per copied run, which a GPU does not pay; and CuPy's element-wise ops write
C-contiguous outputs, so each op after a batch-last conv2d would transpose its input,
and batch norm's per-channel sums over one long axis would leave most of the GPU idle
(RESULTS.md, "GPU", has the profile that showed both).
"""
import numpy as np

from ..autograd import Function, shown_as
from ..backend import get_array_module
from .conv_algorithms.im2col import ConvGeometry, col2im_fast, im2col_fast
from .conv_algorithms import ALGORITHMS, choice
from .conv_algorithms import (Conv2dBatchLast, Conv2dIm2col, Conv2dPointwise, Conv2dReference,  # noqa: F401
                              Conv2dWinograd)
from .conv_algorithms.choice import winograd_fits  # noqa: F401


def pair(v, name):
    """An int or a pair of ints as a pair: kernel sizes, strides, paddings, dilations."""
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return v


def conv_padding(padding, kernel_size, stride):
    """Padding (int, pair, "same", "valid") as (top, bottom, left, right)."""
    R, S = kernel_size
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' needs stride 1 (as in PyTorch)")
            # As PyTorch: the extra row/column of an even kernel goes at the bottom/right.
            return ((R - 1) // 2, R // 2, (S - 1) // 2, S // 2)
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


def _check_conv_dims(op, x_shape, w_shape):
    """Input (N, C, H, W) and weight (K, C, R, S) with matching C, before padding can be worked out."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (K, C, R, S), got shape {tuple(w_shape)}")
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"{op}: weight {tuple(w_shape)} expects input with {w_shape[1]} channels "
                         f"(N, {w_shape[1]}, H, W), got input of shape {tuple(x_shape)} with {x_shape[1]} channels")


def check_conv_args(op, x_shape, w_shape, stride, padding):
    """The checks that need the padding: kernel within the padded input, positive stride
    (call _check_conv_dims first)."""
    H, W = x_shape[2:]
    R, S = w_shape[2:]
    pt, pb, pl, pr = padding
    if H + pt + pb < R or W + pl + pr < S:
        raise ValueError(f"{op}: kernel {R}x{S} is larger than the padded input "
                         f"{H + pt + pb}x{W + pl + pr} (input {tuple(x_shape)}, padding {padding})")
    if stride[0] < 1 or stride[1] < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride}")


def _same_dtype(op, x, weight):
    """PyTorch refuses an input whose dtype is not the weight's; NumPy would silently compute in the wider one."""
    xd, wd = getattr(x, "dtype", None), getattr(weight, "dtype", None)
    if xd is not None and wd is not None and xd != wd:
        how = ".float()" if wd == np.float32 else f".to({wd})"
        raise TypeError(f"{op}: the input is {xd} but the weight is {wd}; convert the input with x{how} "
                        "(or the model with .to(dtype))")


class Dilate(Function):
    """A kernel (K, C, R, S) spread out with d-1 zeros between its taps: (K, C, (R-1)dh+1, (S-1)dw+1).
    A dilated convolution is the ordinary convolution with this kernel; the gradient is the taps' slice."""
    saves = ()

    def forward(self, w, dilation):
        xp = get_array_module(w)
        K, C, R, S = w.shape
        self.dilation = dh, dw = dilation
        out = xp.zeros((K, C, (R - 1) * dh + 1, (S - 1) * dw + 1), dtype=w.dtype)
        out[:, :, ::dh, ::dw] = w
        return out

    def backward(self, gy):
        dh, dw = self.dilation
        return gy[:, :, ::dh, ::dw].copy()


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, reference=False,  # noqa: A002
           algorithm="auto"):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    input (N, C, H, W), weight (K, C/groups, R, S), bias (K,) or None -> (N, K, OH, OW) with
    OH = (H + 2*ph - dh*(R-1) - 1) // sh + 1 and OW likewise. ``padding`` is an int, a pair,
    "same" (stride 1; output size = input size) or "valid" (no padding).
    ``dilation`` spreads the kernel's taps apart (run as the ordinary convolution with a kernel
    holding zeros between them); ``groups`` splits the channels into independent convolutions,
    run as one op ("grouped": a batched GEMM over the groups; "depthwise" when groups == C), or
    one group after the other with any other algorithm named (the oracle: "reference").
    ``algorithm``: "auto" (conv_algorithms/choice.py picks), or one of "reference", "im2col",
    "pointwise", "batch_last", "winograd", "winograd4x4", "grouped", "depthwise"
    (minicnn/functional/conv_algorithms/); an algorithm that cannot compute the layer is refused
    with the reason. ``reference=True`` is algorithm="reference".
    """
    out = _conv2d(input, weight, bias, stride, padding, dilation, groups, reference, algorithm)
    return shown_as(out, "ConvolutionBackward0", input, weight, bias)     # one node for every algorithm


def _conv2d(x, weight, bias, stride, padding, dilation, groups, reference, algorithm):
    if reference:
        algorithm = "reference"
    if algorithm != "auto" and algorithm not in choice.NAMES:
        raise ValueError(f"conv2d: unknown algorithm {algorithm!r}; choose 'auto' or one of {', '.join(choice.NAMES)}")
    _same_dtype("conv2d", x, weight)
    dilation = pair(dilation, "dilation")
    if dilation[0] < 1 or dilation[1] < 1:
        raise ValueError(f"conv2d: dilation must be positive, got {dilation}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if dilation != (1, 1):
        if weight.ndim != 4:
            raise ValueError(f"conv2d: expected a 4-D weight (K, C, R, S), got shape {weight.shape}")
        weight = Dilate.apply(weight, dilation=dilation)
    if groups > 1 or algorithm in choice.GROUPED:
        return _grouped(x, weight, bias, stride, padding, groups, algorithm)
    stride = pair(stride, "stride")
    _check_conv_dims("conv2d", x.shape, weight.shape)     # weight.shape[2:] is read below
    pads = conv_padding(padding, weight.shape[2:], stride)
    check_conv_args("conv2d", x.shape, weight.shape, stride, pads)
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    g = ConvGeometry(x.shape, weight.shape[2:], stride, pads)
    xp = get_array_module(x.array)
    plan = choice.plan(g, weight.shape[0], xp, x.dtype, weight.dtype, algorithm)
    fn = ALGORITHMS[plan.algorithm]
    if bias is None:
        return fn.apply(x, weight, stride=stride, padding=pads, plan=plan)
    return fn.apply(x, weight, bias, stride=stride, padding=pads, plan=plan)


def conv2d_plan(input_shape, weight_shape, stride=1, padding=0, dilation=1, groups=1, device="cpu",  # noqa: A002
                dtype=np.float32, batch_last_input=False):
    """What conv2d(..., algorithm="auto") would run for an input and weight of these shapes, and why: a
    choice.Plan (algorithm, the output's memory layout, the reason with the thresholds that decided).
    ``batch_last_input``: whether the input lies batch-last in memory (a depthwise layer's output keeps
    its input's layout). ``minicnn.nn.conv_plans(model, input_shape)`` lists it for every convolution
    of a model."""
    from ..backend import xp_for
    if len(input_shape) != 4 or len(weight_shape) != 4:
        raise ValueError(f"conv2d_plan: expected 4-D shapes (N, C, H, W) and (K, C/groups, R, S), got "
                         f"{tuple(input_shape)} and {tuple(weight_shape)}")
    C, (dh, dw) = input_shape[1], pair(dilation, "dilation")
    R, S = (weight_shape[2] - 1) * dh + 1, (weight_shape[3] - 1) * dw + 1       # the dilated kernel conv2d runs
    if groups > 1:
        name = choice.choose_grouped(C, groups)
        why = ("groups == C: one multiply-add a kernel offset over every channel at once (batch-last as its "
               "input; else channels-last when the map is small enough that its padding rows cost more than a "
               "transpose)" if name == "depthwise"
               else f"groups = {groups}: the groups' column matrices side by side, one batched GEMM")
        # a depthwise layer with k > 1 filters a channel repeats the channels into an NCHW copy first
        layout = "batch-last" if name == "depthwise" and batch_last_input and weight_shape[0] == C else "NCHW"
        # both run the whole batch at once and keep what forward made (columns, or the input's phases)
        return choice.Plan(name, layout, why, pieces=((0, input_shape[0]),), keep=True,
                           input_grad="sweep" if name == "depthwise" else "grouped col2im")
    stride = pair(stride, "stride")
    g = ConvGeometry(tuple(input_shape), (R, S), stride, conv_padding(padding, (R, S), stride))
    return choice.plan(g, weight_shape[0], xp_for(device), np.dtype(dtype), np.dtype(dtype))


def _grouped(x, weight, bias, stride, padding, groups, algorithm):
    """groups > 1: group g convolves input channels [g*C/groups, (g+1)*C/groups) with output channels
    [g*K/groups, (g+1)*K/groups) of the weight; the outputs are joined along the channels."""
    from .linear import concat
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D input and weight, got {x.shape} and {weight.shape}")
    C, K = x.shape[1], weight.shape[0]
    if C % groups or K % groups or weight.shape[1] * groups != C:
        raise ValueError(f"conv2d: with groups={groups}, the input's {C} channels and the weight's {K} output "
                         f"channels must divide by {groups}, and the weight must have {C // groups or 1} "
                         f"input channels per group; got input {x.shape}, weight {weight.shape}")
    c, k = C // groups, K // groups
    if algorithm == "auto" or algorithm in choice.GROUPED:
        name = choice.choose_grouped(C, groups) if algorithm == "auto" else algorithm
        if name == "depthwise" and groups != C:
            raise ValueError(f"conv2d: algorithm='depthwise' needs one input channel a group (groups == {C}, "
                             f"the input's channels), got groups={groups}; use 'grouped'")
        stride = pair(stride, "stride")
        pads = conv_padding(padding, weight.shape[2:], stride)
        check_conv_args("conv2d", (x.shape[0], c) + tuple(x.shape[2:]), (k,) + tuple(weight.shape[1:]), stride, pads)
        if bias is not None and tuple(bias.shape) != (K,):
            raise ValueError(f"conv2d: bias must have shape ({K},), got {tuple(bias.shape)}")
        args = (x, weight) if bias is None else (x, weight, bias)
        return ALGORITHMS[name].apply(*args, stride=stride, padding=pads, groups=groups)
    outs = []
    for g in range(groups):
        b = None if bias is None else bias[g * k:(g + 1) * k]
        outs.append(conv2d(x[:, g * c:(g + 1) * c], weight[g * k:(g + 1) * k], b, stride, padding,
                           algorithm=algorithm))
    return concat(outs, 1)


class ConvTranspose(Function):
    """The transposed convolution: conv2d's input gradient as an op of its own (DCGAN's and U-Net's
    upsampling). x (N, C, H, W) and weight (C, K, R, S) -- PyTorch's layout, in_channels first -- give
    the (N, K, OH, OW) whose convolution with the same weight has x's shape:

        col = W2^T @ x2                     (K*R*S, N*H*W),  W2 = weight.reshape(C, K*R*S),  x2 = x as (C, N*H*W)
        y   = col2im(col) + b               (N, K, OH, OW)

    backward is conv2d's forward on gy:  col = im2col(gy);  gx = W2 @ col;  gW = x2 @ col^T;
    gb = the sum of gy over N, OH, OW."""
    torch_name = "ConvolutionBackward0"

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), out_size=None):
        xp = get_array_module(x)
        N, C, H, W = x.shape
        self.g = ConvGeometry((N, w.shape[1]) + tuple(out_size), w.shape[2:], stride, padding)   # the conv it undoes
        self.w, self.has_bias = w, b is not None
        self.x2 = xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(C, -1)
        y = col2im_fast(w.reshape(C, -1).T @ self.x2, self.g)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        g, w = self.g, self.w
        C = w.shape[0]
        col = im2col_fast(gy, g)                                               # (K*R*S, N*H*W)
        gx = gw = None
        if self.needs_grad[0]:
            gx = get_array_module(gy).ascontiguousarray(
                (w.reshape(C, -1) @ col).reshape(C, g.N, g.OH, g.OW).transpose(1, 0, 2, 3))
        if self.needs_grad[1]:
            gw = (self.x2 @ col.T).reshape(w.shape)
        gb = gy.sum(axis=(0, 2, 3)) if self.has_bias else None
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,  # noqa: A002
                     dilation=1):
    """The transposed convolution ("deconvolution"): input (N, C, H, W), weight (C, K/groups, R, S)
    (PyTorch's layout: in_channels first), bias (K,) -> (N, K, OH, OW) with
    OH = (H - 1)*sh - 2*ph + dh*(R - 1) + output_padding + 1, and likewise OW. It is conv2d's input
    gradient with the same weight, stride, padding and dilation, as an op (see ConvTranspose);
    ``output_padding`` (< stride or dilation) adds rows and columns at the bottom and right, to
    pick among the input sizes that a strided conv2d maps to one output size."""
    x = input
    _same_dtype("conv_transpose2d", x, weight)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv_transpose2d: expected a 4-D input (N, C, H, W) and weight (C, K/groups, R, S), "
                         f"got {x.shape} and {weight.shape}")
    if not isinstance(groups, int) or groups < 1 or x.shape[1] % groups or weight.shape[0] != x.shape[1]:
        raise ValueError(f"conv_transpose2d: weight {weight.shape} expects input with {weight.shape[0]} channels "
                         f"(in_channels first, divisible by groups={groups!r}), got input of shape {x.shape}")
    stride, padding, output_padding, dilation = (pair(v, name) for v, name in (
        (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"conv_transpose2d: stride and dilation must be positive, padding and output_padding "
                         f"non-negative; got stride={stride}, dilation={dilation}, padding={padding}, "
                         f"output_padding={output_padding}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"conv_transpose2d: output_padding must be smaller than either stride or dilation "
                             f"(as in PyTorch), got output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")
    K = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (K,):
        raise ValueError(f"conv_transpose2d: bias must have shape ({K},), got {tuple(bias.shape)}")
    w = weight if dilation == (1, 1) else Dilate.apply(weight, dilation=dilation)
    R, S = w.shape[2:]
    (H, W), (sh, sw), (ph, pw) = x.shape[2:], stride, padding
    size = ((H - 1) * sh - 2 * ph + R + output_padding[0], (W - 1) * sw - 2 * pw + S + output_padding[1])
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: padding {padding} leaves no output for input {x.shape} and "
                         f"kernel {R}x{S} (output size {size})")
    params = {"stride": stride, "padding": (ph, ph, pw, pw), "out_size": size}
    if groups == 1:
        out = ConvTranspose.apply(*((x, w) if bias is None else (x, w, bias)), **params)
    else:                                            # one transposed convolution a group, joined on the channels
        from .linear import concat
        c, k = x.shape[1] // groups, K // groups
        out = concat([ConvTranspose.apply(*((x[:, i * c:(i + 1) * c], w[i * c:(i + 1) * c]) + (
            () if bias is None else (bias[i * k:(i + 1) * k],))), **params) for i in range(groups)], 1)
    return shown_as(out, "ConvolutionBackward0", input, weight, bias)
