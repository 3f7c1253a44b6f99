"""Keras's InceptionV3 and ResNet50 in the zoo, for PyTorch-style code: (N, 3, H, W) in, logits out.

Both are built layer for layer by minicnn.keras.applications (Keras's names and parameter counts:
InceptionV3 23,851,784, Keras's ResNet50 25,636,712 with its convolution biases; torchvision's ResNet-50,
``resnet50()``, has 25,557,032 parameters and 53,120 buffer values, 25,610,152 in all) and wrapped so
that they take channels-first images and return logits, as every other model of the zoo. A weights
file written by the Keras model's ``save_weights`` loads with ``load_keras_weights``.
"""
from ..nn.module import Module


class ChannelsFirst(Module):
    """A minicnn.keras model as a zoo model: its engine runs on (N, C, H, W) already, so the input goes
    straight in; ``keras`` is the Keras model (summary(), get_weights(), load_weights() in Keras's terms)."""

    def __init__(self, keras_model):
        super().__init__()
        self.keras = keras_model

    def forward(self, x):
        return self.keras.forward(x)

    def load_keras_weights(self, path):
        """Weights saved by the Keras model's save_weights (Keras's layouts, layer names)."""
        self.keras.load_weights(path)
        return self


def inception_v3(num_classes=1000, weights=None):
    """InceptionV3 for 299x299 images (Keras's layers and names; 23,851,784 parameters with 1000 classes)."""
    from ..keras import applications
    return ChannelsFirst(applications.InceptionV3(weights=weights, classes=num_classes, classifier_activation=None))


def resnet50_keras(num_classes=1000, weights=None):
    """Keras's ResNet50 (convolutions with biases, batch norm epsilon 1.001e-5; 25,636,712 parameters),
    for 224x224 images; ``resnet50()`` is torchvision's."""
    from ..keras import applications
    return ChannelsFirst(applications.ResNet50(weights=weights, classes=num_classes, classifier_activation=None))
