"""Random convolution and pooling configurations, drawn by hypothesis, against PyTorch."""
import numpy as np
import torch.nn.functional as TF
from hypothesis import assume, given, settings, strategies as st

import minicnn.functional as F
from conftest import rand, torch_oracle


@st.composite
def conv_configs(draw):
    R, S = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    H = draw(st.integers(max(1, R - 2 * ph), 20))
    W = draw(st.integers(max(1, S - 2 * pw), 20))
    return dict(N=draw(st.integers(1, 3)), C=draw(st.integers(1, 4)), K=draw(st.integers(1, 5)),
                H=H, W=W, R=R, S=S, stride=(sh, sw), padding=(ph, pw), bias=draw(st.booleans()),
                seed=draw(st.integers(0, 1000)))


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_conv2d_random_configurations(c):
    x, w = rand(c["N"], c["C"], c["H"], c["W"], seed=c["seed"]), rand(c["K"], c["C"], c["R"], c["S"], seed=c["seed"] + 1)
    args = [x, w] + ([rand(c["K"], seed=c["seed"] + 2)] if c["bias"] else [])
    torch_oracle(lambda *a: F.conv2d(*a, stride=c["stride"], padding=c["padding"]),
                 lambda *a: TF.conv2d(*a, stride=c["stride"], padding=c["padding"]), args)


@settings(max_examples=40, deadline=None)
@given(N=st.sampled_from([1, 2, 3, 16, 17]), C=st.integers(1, 5), K=st.integers(1, 5), H=st.integers(1, 13),
       W=st.integers(1, 13), padding=st.tuples(st.integers(0, 2), st.integers(0, 2)), seed=st.integers(0, 1000))
def test_winograd_random_configurations(N, C, K, H, W, padding, seed):
    """Every 3x3 stride-1 layer through Winograd (as for 128+ channels), both layouts, any size."""
    assume(H + 2 * padding[0] >= 3 and W + 2 * padding[1] >= 3)
    x, w, b = rand(N, C, H, W, seed=seed), rand(K, C, 3, 3, seed=seed + 1), rand(K, seed=seed + 2)
    torch_oracle(lambda *a: F.conv2d(*a, padding=padding, algorithm="winograd"),
                 lambda *a: TF.conv2d(*a, padding=padding), [x, w, b])


@st.composite
def pool_configs(draw):
    R, S = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    ph, pw = draw(st.integers(0, R // 2)), draw(st.integers(0, S // 2))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 4)),
                       draw(st.integers(max(1, R - 2 * ph), 16)), draw(st.integers(max(1, S - 2 * pw), 16))),
                kernel=(R, S), stride=(draw(st.integers(1, 4)), draw(st.integers(1, 4))), padding=(ph, pw),
                op=draw(st.sampled_from(["max_pool2d", "avg_pool2d"])), seed=draw(st.integers(0, 1000)),
                relu=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(pool_configs())
def test_pool_random_configurations(c):
    x = rand(*c["shape"], seed=c["seed"])
    if c["relu"]:
        x = np.maximum(x, 0)                 # many ties, as after a ReLU
    op = c["op"]
    torch_oracle(lambda x: getattr(F, op)(x, c["kernel"], c["stride"], c["padding"]),
                 lambda x: getattr(TF, op)(x, c["kernel"], c["stride"], c["padding"]), [x])
