"""torchvision.models' constructors: the same networks and parameter names, built from minicnn.models.

``weights=None`` (or ``pretrained=False``) builds a freshly initialized network, as torchvision
does. Pretrained weights come from files, never from the network: see minicnn.pretrained
(``load_weights(model, "vgg16-397923af.npz")`` after converting torchvision's .pth once).
"""
from .. import models as _models


def _fresh(name, weights, pretrained):
    if weights is not None or pretrained:
        raise ValueError(f"{name}: minicnn does not download weights; build the model with weights=None, then "
                         "load a converted file with minicnn.pretrained.load_weights(model, path) "
                         "(see scripts/convert_torchvision_weights.py)")


def _vgg(name, depth, batch_norm):
    def build(weights=None, progress=True, pretrained=False, num_classes=1000, **kwargs):
        _fresh(name, weights, pretrained)
        return getattr(_models, f"vgg{depth}")(num_classes=num_classes, batch_norm=batch_norm, **kwargs)
    build.__name__ = name
    build.__doc__ = f"torchvision.models.{name}: VGG-{depth}" + (" with batch norm" if batch_norm else "")
    return build


vgg11, vgg13, vgg16, vgg19 = (_vgg(f"vgg{d}", d, False) for d in (11, 13, 16, 19))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = (_vgg(f"vgg{d}_bn", d, True) for d in (11, 13, 16, 19))


def _plain(name):
    def build(weights=None, progress=True, pretrained=False, **kwargs):
        _fresh(name, weights, pretrained)
        return getattr(_models, name)(**kwargs)
    build.__name__ = name
    build.__doc__ = f"torchvision.models.{name}"
    return build


alexnet, googlenet, resnet18, resnet34, resnet50 = (_plain(n) for n in
                                                     ("alexnet", "googlenet", "resnet18", "resnet34", "resnet50"))
