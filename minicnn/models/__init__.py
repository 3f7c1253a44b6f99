"""minicnn.models: the classic CNNs, built from minicnn.nn layers with names a learner can index."""
from .lenet import lenet5
from .alexnet import FeaturesHead, alexnet, alexnet_cifar
from .vgg import vgg, vgg11, vgg13, vgg16, vgg19, vgg16_cifar, vgg_features
from .googlenet import AuxClassifier, GoogLeNet, Inception, googlenet
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from .features import FeatureExtractor, keras_vgg_names
from .imagenet import imagenet_classes, decode_predictions, preprocess_input, load_image
from .keras_apps import ChannelsFirst, inception_v3, resnet50_keras

_MODELS = {"lenet5": lenet5, "alexnet": alexnet, "alexnet_cifar": alexnet_cifar, "vgg11": vgg11, "vgg13": vgg13,
           "vgg16": vgg16, "vgg19": vgg19, "vgg16_cifar": vgg16_cifar, "googlenet": googlenet,
           "resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50, "inception_v3": inception_v3,
           "resnet50_keras": resnet50_keras}
_INPUTS = {"lenet5": (1, 28, 28), "vgg16_cifar": (3, 32, 32), "alexnet_cifar": (3, 32, 32),
           "alexnet": (3, 224, 224), "inception_v3": (3, 299, 299)}


def get_model(name, **kwargs):
    """A model by name, e.g. get_model("lenet5", num_classes=10); "vgg-a" etc. pick a VGG configuration."""
    key = name.lower().replace("-", "_")
    if key.startswith("vgg_") and key[4:].upper().replace("_", "-") in ("A", "A-LRN", "B", "C", "D", "E"):
        return vgg(key[4:].upper().replace("_", "-"), **kwargs)
    if key not in _MODELS:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(_MODELS))}, vgg-A ... vgg-E")
    return _MODELS[key](**kwargs)


def default_input_shape(name):
    """The (C, H, W) a model is usually fed."""
    return _INPUTS.get(name.lower().replace("-", "_"), (3, 224, 224))


__all__ = ["lenet5", "alexnet", "alexnet_cifar", "vgg", "vgg11", "vgg13", "vgg16", "vgg19", "vgg16_cifar",
           "googlenet", "resnet18", "resnet34", "resnet50", "get_model", "default_input_shape",
           "FeatureExtractor", "keras_vgg_names", "imagenet_classes", "decode_predictions", "preprocess_input",
           "load_image", "FeaturesHead", "vgg_features", "GoogLeNet", "Inception", "AuxClassifier", "ResNet",
           "BasicBlock", "Bottleneck", "inception_v3", "resnet50_keras", "ChannelsFirst"]
