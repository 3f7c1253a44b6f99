"""AlexNet, two ways.

alexnet(): torchvision's layout (61,100,840 parameters at 1000 classes), so its
  ImageNet state_dict loads key for key: features (5 convs, 11x11 stride 4 first,
  overlapping 3x3 stride 2 max-pools), avgpool to 6x6, classifier (dropout,
  9216 -> 4096 -> 4096 -> classes).
alexnet_cifar(): the source's "AlexNet8" for 32x32 CIFAR-10: 3x3 'same' convs with
  batch norm after the first two, overlapping 3x3/2 max-pools, 2304 -> 2048 -> 2048 -> 10
  (12,260,618 parameters counted as Keras does, 704 of them batch-norm statistics).
"""
from .. import nn


class FeaturesHead(nn.Module):
    """features -> avgpool -> flatten -> classifier: torchvision's AlexNet and VGG, with its key names."""

    def __init__(self, features, avgpool, classifier):
        super().__init__()
        self.features, self.avgpool, self.classifier = features, avgpool, classifier

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet(num_classes=1000, dropout=0.5):
    """AlexNet in torchvision's layout (5 convolutions, 3 fully connected layers), for 224x224 images."""
    features = nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
    classifier = nn.Sequential(
        nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes))
    return FeaturesHead(features, nn.AdaptiveAvgPool2d((6, 6)), classifier)


def alexnet_cifar(num_classes=10):
    """The source documents' AlexNet8 for 32x32 CIFAR-10 images."""
    return nn.Sequential(
        nn.Conv2d(3, 96, 3, padding="same"), nn.ReLU(), nn.BatchNorm2d(96), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 3, padding="same"), nn.ReLU(), nn.BatchNorm2d(256), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding="same"), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding="same"), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(256 * 3 * 3, 2048), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(2048, 2048), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(2048, num_classes))
