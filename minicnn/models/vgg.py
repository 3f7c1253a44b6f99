"""VGG: the paper's configurations A to E (Simonyan & Zisserman, Table 1), and the source's CIFAR-10 VGG.

Numbers are output channels of 3x3 convolutions ("1:N" a 1x1 convolution, config C),
"M" a 2x2 max-pool, "LRN" local response normalization (config A-LRN):

  A      11 layers  64 M 128 M 256 256 M 512 512 M 512 512 M                 132,863,336 parameters
  A-LRN  11 layers  A with LRN after the first convolution                      132,863,336
  B      13 layers  64 64 M 128 128 M 256 256 M 512 512 M 512 512 M            133,047,848
  C      16 layers  B with a 1x1 convolution closing each of the last 3 blocks 133,638,952
  D      16 layers  64 64 M 128 128 M 256 x3 M 512 x3 M 512 x3 M  (VGG-16)    138,357,544
  E      19 layers  64 64 M 128 128 M 256 x4 M 512 x4 M 512 x4 M  (VGG-19)    143,667,240

Then 7x7 adaptive average pooling and the classifier 25088 -> 4096 -> 4096 -> classes with
dropout 0.5 after the first two. Keys follow torchvision ("features.0.weight",
"classifier.6.bias"), so its state_dict loads directly. Three stacked 3x3 convolutions see a
7x7 window with 27 C^2 weights instead of 49 C^2, and put three ReLUs where one would be.
"""
from .. import nn
from .alexnet import FeaturesHead

CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, "1:256", "M", 512, 512, "1:512", "M", 512, 512, "1:512", "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def vgg_features(config, batch_norm=False, in_channels=3):
    """VGG's convolutional part for a configuration ("A" .. "E", "A-LRN", or a list like CONFIGS'):
    3x3 convolutions with padding 1 and ReLU (batch norm between when asked), "M" a 2x2 max pool,
    "LRN" a local response norm, "1:N" a 1x1 convolution to N channels (configuration C)."""
    layers, c = [], in_channels
    for v in CONFIGS[config] if isinstance(config, str) else config:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        elif v == "LRN":
            layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
        else:
            k, out = (1, int(v[2:])) if isinstance(v, str) else (3, v)
            layers.append(nn.Conv2d(c, out, k, padding=k // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU())
            c = out
    return nn.Sequential(*layers)


def vgg(config="D", num_classes=1000, batch_norm=False, hidden=(4096, 4096), dropout=0.5, init="torchvision"):
    """A VGG network. ``hidden`` sets the classifier's hidden widths (the source's cats-vs-dogs head is
    hidden=(4096, 4096, 2048, 1024, 512), num_classes=2); dropout follows the first two hidden layers.
    init="torchvision" (default): He-normal convolutions (fan_out), N(0, 0.01) linear layers, zero biases.
    init="paper": every weight from N(0, 0.01), as the paper did for config A -- deeper plain
    configurations then do not train from scratch (see examples/why_not_learning.py)."""
    key = config.upper() if isinstance(config, str) else config
    if isinstance(key, str) and key not in CONFIGS:
        raise ValueError(f"vgg: unknown configuration {config!r}; choose from {', '.join(CONFIGS)}")
    features = vgg_features(key, batch_norm)
    layers, c = [], 512 * 7 * 7
    for i, h in enumerate(hidden):
        layers += [nn.Linear(c, h), nn.ReLU()] + ([nn.Dropout(dropout)] if i < 2 else [])
        c = h
    layers.append(nn.Linear(c, num_classes))
    model = FeaturesHead(features, nn.AdaptiveAvgPool2d((7, 7)), nn.Sequential(*layers))
    if init not in ("torchvision", "paper"):
        raise ValueError(f"vgg: init must be 'torchvision' or 'paper', got {init!r}")
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and init == "torchvision":
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.01)
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.zeros_(m.bias)
    return model


def vgg11(num_classes=1000, batch_norm=False):
    """VGG configuration A (11 weight layers), torchvision's names."""
    return vgg("A", num_classes, batch_norm)


def vgg13(num_classes=1000, batch_norm=False):
    """VGG configuration B (13 weight layers), torchvision's names."""
    return vgg("B", num_classes, batch_norm)


def vgg16(num_classes=1000, batch_norm=False):
    """VGG configuration D (16 weight layers), torchvision's names."""
    return vgg("D", num_classes, batch_norm)


def vgg19(num_classes=1000, batch_norm=False):
    """VGG configuration E (19 weight layers), torchvision's names."""
    return vgg("E", num_classes, batch_norm)


def vgg16_cifar(num_classes=10):
    """The source's reduced VGG for CIFAR-10 ("cifar10_VGG16"): three conv blocks with batch norm and
    dropout. 2,264,394 parameters counted as Keras does (896 of them batch-norm running statistics)."""
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
