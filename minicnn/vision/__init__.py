"""A torchvision-shaped view of minicnn: ``from minicnn.vision import datasets, transforms, models``."""
from . import datasets, transforms, models  # noqa: F401
