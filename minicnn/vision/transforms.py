"""torchvision.transforms' names: minicnn.data.transforms, at torchvision's path."""
import sys

from ..data import transforms as _transforms

sys.modules[__name__] = _transforms
