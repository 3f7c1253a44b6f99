"""What the convolution algorithms share: the op's set-up, reusable buffers, and the input
gradient as a convolution of gy with the flipped kernel."""
import numpy as np

from ...autograd import Function
from ...backend import get_array_module
from .im2col import ConvGeometry
from ... import workspace
from . import choice


# The convolution's reused scratch (workspace.py): a piece's column matrix (forward, and rebuilt for
# the weight gradient); the column gradient W^T @ gY, or gy's columns for gx as a convolution; a GPU
# piece's product; a piece's input gradient on its way into gx.
COLUMNS = workspace.Slot("conv2d columns")
GRAD_COLUMNS = workspace.Slot("conv2d gradient columns")
PRODUCT = workspace.Slot("conv2d piece product")
INPUT_GRAD = workspace.Slot("conv2d piece input gradient")


def matmul_into(xp, a, b, slot):
    """a @ b written into the workspace ``slot`` (valid until that slot's next use)."""
    return xp.matmul(a, b, out=slot.shaped(xp, (a.shape[0], b.shape[1]), a.dtype))


def weight_product(gy, col):
    """gy (K, Q) @ col (J, Q)^T, the weight gradient's GEMM. When K*J is tiny (LeNet's first layer:
    6 x 25) and Q long, OpenBLAS runs this one GEMM far below its speed; as a sum of GEMMs over
    chunks of Q, each small enough for the cache, it runs several times faster (RESULTS.md,
    "Measurements behind the code"). The sum is then added in another order: float32 rounding.
    With few filters and many more columns (K <= WEIGHT_T_MAX_K, J >= WEIGHT_T_MIN_RATIO * K, Q long),
    OpenBLAS runs the transposed product col @ gy^T faster, and its (J, K) result is small enough
    to transpose back (RESULTS.md, "The weight gradient's orientation")."""
    K, Q = gy.shape
    J = col.shape[0]
    L = choice.WEIGHT_CHUNK_BYTES // (gy.itemsize * (K + J))           # columns a chunk
    P = Q // max(L, 1)
    cpu = get_array_module(gy) is np
    if not cpu or K * J > choice.WEIGHT_CHUNKED_MAX or P < 8:
        if cpu and K <= choice.WEIGHT_T_MAX_K and J >= choice.WEIGHT_T_MIN_RATIO * K and Q >= choice.WEIGHT_T_MIN_Q:
            return np.ascontiguousarray((col @ gy.T).T)
        return gy @ col.T
    head = P * L
    out = np.matmul(gy[:, :head].reshape(K, P, L).transpose(1, 0, 2),
                    col[:, :head].reshape(J, P, L).transpose(1, 2, 0)).sum(axis=0)
    if head < Q:
        out += gy[:, head:] @ col[:, head:].T
    return out


class ConvFunction(Function):
    """The base of conv2d's algorithms: ``forward(x, w, b=None, stride, padding)`` with the padding
    as (top, bottom, left, right), ``backward(gy)`` -> (gx, gw[, gb])."""
    torch_name = "ConvolutionBackward0"
    saves = (0, 1)

    kept = None                         # piece start -> its columns, when forward kept every piece's
    algorithm = None                    # the algorithm's name in choice.NAMES, for its plan

    def setup(self, x, w, b, stride, padding, plan=None):
        """Store the geometry, the weight, whether there is a bias and the choice.Plan to carry out (the
        one conv2d made, or this algorithm's own for the layer); return (xp, g, K, W2)."""
        xp = get_array_module(x)
        g = ConvGeometry(x.shape, w.shape[2:], stride, padding)
        self.g, self.w, self.has_bias = g, w, b is not None
        if self.algorithm is not None:
            self.plan = plan if plan is not None else choice.plan(g, w.shape[0], xp, x.dtype, w.dtype, self.algorithm)
            self.pieces = list(self.plan.pieces)
        return xp, g, w.shape[0], w.reshape(w.shape[0], -1)

    def backward_setup(self, gy):
        """What an im2col backward starts from: (xp, g, K, W2, need_x, need_w)."""
        K = self.w.shape[0]
        return get_array_module(gy), self.g, K, self.w.reshape(K, -1), self.needs_grad[0], self.needs_grad[1]

    def grads(self, gx, gw, gb):
        """backward's return: the bias gradient only when there is a bias."""
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def add_weight_grad(self, gw, gyp, i0, i1, xp):
        """gW + gyp @ col^T for piece [i0, i1) (gW None for the first): its columns kept from forward
        when the layer is one piece or kept them all (``self.kept``), else rebuilt (``self._columns``). gW stays (K, C*R*S),
        C-contiguous like the weight, which the optimizer reads flat; col @ gyp^T would be as fast but
        leave gW transposed, and a transposing copy costs more than the GEMM at small batches
        (RESULTS.md, "weight gradient layout")."""
        if len(self.pieces) == 1:
            col = self.col
        elif self.kept:
            col = self.kept[i0]
        else:                                                           # rebuilt, not kept
            g = self.g
            col = self._columns(i0, i1, COLUMNS.flat(xp, g.C * g.R * g.S * (i1 - i0) * self.unit, gyp.dtype))
        if gw is None:
            return weight_product(gyp, col)
        gw += weight_product(gyp, col)
        return gw

    def flipped(self, xp):
        """Wf (C, K*R*S), Wf[c, (k, r, s)] = w[k, c, R-1-r, S-1-s], and the padding of gy that
        makes gx = conv(gy, Wf): R-1-pt, R-1-pb, S-1-pl, S-1-pr."""
        g = self.g
        wf = xp.ascontiguousarray(self.w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(g.C, -1)
        pt, pb, pl, pr = g.padding
        return wf, (g.R - 1 - pt, g.R - 1 - pb, g.S - 1 - pl, g.S - 1 - pr)
