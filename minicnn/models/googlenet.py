"""GoogLeNet as in the paper (Szegedy et al. 2014, Table 1): 22 layers, nine Inception modules.

An Inception module runs four branches on the same input and concatenates them on channels:
  1x1 conv | 1x1 reduce -> 3x3 conv | 1x1 reduce -> 5x5 conv | 3x3/1 max-pool -> 1x1 projection
The 1x1 "reduce" convolutions keep the 3x3 and 5x5 ones cheap. No fully connected stack: global
average pooling, dropout 0.4 and one linear layer. Two auxiliary classifiers (after 4a and 4d:
5x5/3 average pool, 1x1 conv 128, FC 1024, dropout 0.7, FC classes) add their losses during
training (weight 0.3 each in the paper); in eval() mode only the main output is returned.
Parameters at 1000 classes: 13,378,280 with both auxiliary classifiers, 6,998,552 without.
"""
from .. import functional as F
from .. import nn


def _conv_relu(cin, cout, k, stride=1, padding=0):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding), nn.ReLU())


class Inception(nn.Module):
    """One Inception module: 1x1, 1x1 -> 3x3, 1x1 -> 5x5 and 3x3 max pool -> 1x1 branches side by side,
    joined along the channels (c1 + c3 + c5 + pool_proj of them)."""
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool_proj):
        super().__init__()
        self.branch1 = _conv_relu(cin, c1, 1)
        self.branch2 = nn.Sequential(_conv_relu(cin, c3r, 1), _conv_relu(c3r, c3, 3, padding=1))
        self.branch3 = nn.Sequential(_conv_relu(cin, c5r, 1), _conv_relu(c5r, c5, 5, padding=2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), _conv_relu(cin, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x):
        return F.concat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class AuxClassifier(nn.Module):
    """GoogLeNet's auxiliary classifier on an intermediate map: 5x5/3 average pool, 1x1 conv to 128,
    fc 1024 with dropout 0.7, fc to the classes (its loss is weighted 0.3 in training)."""
    def __init__(self, cin, num_classes):
        super().__init__()
        self.pool = nn.AvgPool2d(5, 3)
        self.conv = _conv_relu(cin, 128, 1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.7)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.conv(self.pool(x)).flatten(1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1, Szegedy et al. 2014) for 224x224 images: nine Inception modules; with
    aux_logits, training returns (main, aux1, aux2) logits, evaluation the main ones alone."""
    def __init__(self, num_classes=1000, aux_logits=True):
        super().__init__()
        self.aux_logits = aux_logits
        self.conv1 = _conv_relu(3, 64, 7, 2, 3)
        self.pool1 = nn.MaxPool2d(3, 2, 1)
        self.lrn1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.conv2_reduce = _conv_relu(64, 64, 1)
        self.conv2 = _conv_relu(64, 192, 3, padding=1)
        self.lrn2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.pool2 = nn.MaxPool2d(3, 2, 1)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.pool3 = nn.MaxPool2d(3, 2, 1)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.pool4 = nn.MaxPool2d(3, 2, 1)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.GlobalAvgPool2d()
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, num_classes)
        if aux_logits:
            self.aux1 = AuxClassifier(512, num_classes)
            self.aux2 = AuxClassifier(528, num_classes)
        # 22 layers without batch norm: PyTorch's default layer init shrinks the signal until
        # nothing trains (a small batch stayed at chance for 150 Adam steps), so He-normal convs
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.lrn2(self.conv2(self.conv2_reduce(self.lrn1(x)))))
        x = self.pool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux_logits and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux_logits and self.training else None
        x = self.pool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        out = self.fc(self.dropout(self.avgpool(x)))
        return (out, aux1, aux2) if aux1 is not None else out


def googlenet(num_classes=1000, aux_logits=True):
    """GoogLeNet (Inception v1) as in the paper, with both auxiliary classifiers when ``aux_logits``."""
    return GoogLeNet(num_classes, aux_logits)
