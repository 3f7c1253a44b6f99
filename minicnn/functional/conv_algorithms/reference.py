"""The textbook convolution: im2col with one row per output pixel, then one GEMM. Read this first.

    col = im2col_reference(x)              (N*OH*OW, C*R*S)
    y   = col @ W2^T + b                   (N*OH*OW, K)  -> (N, K, OH, OW)
    gW  = gy2^T @ col                      (K, C*R*S)    gy2 = gy as (N*OH*OW, K)
    gx  = col2im_reference(gy2 @ W2)       every patch's gradient added back onto its pixels
"""
from .im2col import col2im_reference, conv_output_size, im2col_reference
from .common import ConvFunction


class Conv2dReference(ConvFunction):
    """conv2d as the textbook writes it (algorithm="reference"): slow, short, and the oracle of the others."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), plan=None):
        N, C, H, W = x.shape
        K, _, R, S = w.shape
        OH = conv_output_size(H, R, stride[0], padding[0], padding[1])
        OW = conv_output_size(W, S, stride[1], padding[2], padding[3])
        col = im2col_reference(x, (R, S), stride, padding)             # (N*OH*OW, C*R*S)
        y = col @ w.reshape(K, -1).T                                    # (N*OH*OW, K)
        if b is not None:
            y = y + b
        self.col, self.w, self.x_shape = col, w, x.shape
        self.stride, self.padding, self.has_bias = stride, padding, b is not None
        return y.reshape(N, OH, OW, K).transpose(0, 3, 1, 2)

    def backward(self, gy):
        w = self.w
        K, C, R, S = w.shape
        gy2 = gy.transpose(0, 2, 3, 1).reshape(-1, K)                  # (N*OH*OW, K)
        gw = (gy2.T @ self.col).reshape(w.shape)
        gx = col2im_reference(gy2 @ w.reshape(K, -1), self.x_shape, (R, S), self.stride, self.padding)
        return self.grads(gx, gw, gy2.sum(axis=0))
