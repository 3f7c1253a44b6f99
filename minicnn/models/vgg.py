"""The source's reduced VGG for CIFAR-10 ("cifar10_VGG16"): three conv blocks with batch norm and dropout.

2,264,394 parameters counted as Keras does (896 of them batch-norm running
statistics, non-trainable).
"""
from .. import nn


def vgg16_cifar(num_classes=10):
    def conv(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
    return nn.Sequential(
        *conv(3, 64), *conv(64, 64), nn.BatchNorm2d(64), nn.MaxPool2d(2), nn.Dropout(0.4),
        *conv(64, 128), *conv(128, 128), nn.BatchNorm2d(128), nn.MaxPool2d(2), nn.Dropout(0.4),
        *conv(128, 256), *conv(256, 256), nn.MaxPool2d(2), nn.BatchNorm2d(256), nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(256 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, num_classes),
    )
