"""``import minicnn.nn.functional as F``: the same module as minicnn.functional, at PyTorch's path."""
import sys

from .. import functional as _functional

sys.modules[__name__] = _functional
