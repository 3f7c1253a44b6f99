"""torch.backends.cudnn's settings, accepted so that PyTorch programs run unchanged.

minicnn does not use cuDNN: on the GPU its convolutions are its own CuPy code, and it picks each
layer's algorithm itself (conv2d's ``algorithm="auto"``), deterministically, every time. So
``benchmark`` (let cuDNN time algorithms) and ``deterministic`` (forbid non-deterministic ones) have
nothing to change; ``enabled`` likewise. They keep whatever a program sets, for it to read back.
"""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    """False: minicnn never calls cuDNN."""
    return False
