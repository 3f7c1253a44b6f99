"""keras.applications: VGG16, ResNet50 and InceptionV3, layer for layer as Keras 3 builds them.

The same layer names, shapes and parameter counts as Keras (VGG16 138,357,544; ResNet50 25,636,712,
its convolutions with biases; InceptionV3 23,851,784), so that ``summary()`` reads as Keras's and a
weights file converted from Keras's loads name for name. minicnn never downloads:
``weights='imagenet'`` is refused with what to do instead; ``weights=None`` gives Keras's initial
weights, ``weights=PATH`` loads a file written by ``model.save_weights`` (or converted once from
Keras's .h5 with scripts/convert_keras_weights.py).

Each family has Keras's ``preprocess_input`` and ``decode_predictions``:
VGG16 and ResNet50 take 'caffe' input (RGB -> BGR, minus the ImageNet mean per channel),
InceptionV3 'tf' input (x / 127.5 - 1).
"""
from . import inception_v3, resnet50, vgg16  # noqa: F401
from .inception_v3 import InceptionV3  # noqa: F401
from .resnet50 import ResNet50  # noqa: F401
from .vgg16 import VGG16  # noqa: F401

resnet = resnet50


def __getattr__(name):
    """A Keras name this module does not offer: an error naming it and what there is instead."""
    raise AttributeError(f"keras.applications.{name} is not offered by minicnn.keras; it has: VGG16, ResNet50, InceptionV3")
