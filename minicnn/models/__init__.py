"""minicnn.models: the classic CNNs, built from minicnn.nn layers."""
from .lenet import lenet5
from .vgg import vgg16_cifar

_MODELS = {"lenet5": lenet5, "vgg16_cifar": vgg16_cifar}


def get_model(name, **kwargs):
    """A model by name, e.g. get_model("lenet5", num_classes=10)."""
    key = name.lower().replace("-", "_")
    if key not in _MODELS:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(_MODELS))}")
    return _MODELS[key](**kwargs)


__all__ = ["lenet5", "vgg16_cifar", "get_model"]


_INPUTS = {"lenet5": (1, 28, 28), "vgg16_cifar": (3, 32, 32)}


def default_input_shape(name):
    """The (C, H, W) a model is usually fed."""
    return _INPUTS.get(name.lower().replace("-", "_"), (3, 224, 224))
