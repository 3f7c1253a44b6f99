"""A torchvision-shaped view of minicnn: ``from minicnn.vision import datasets, transforms, models, utils``."""
from . import datasets, transforms, models, utils  # noqa: F401
