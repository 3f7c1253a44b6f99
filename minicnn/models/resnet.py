"""ResNet-18/34/50 in torchvision's layout (so its ImageNet state_dict loads key for key).

stem: 7x7 stride-2 conv (no bias) + batch norm + ReLU + 3x3 stride-2 max-pool
layer1..layer4: residual blocks; the first block of layers 2-4 halves the size (stride 2)
  BasicBlock (18, 34):  3x3 conv-bn-relu, 3x3 conv-bn, + shortcut, relu
  Bottleneck (50):      1x1 (reduce) conv-bn-relu, 3x3 conv-bn-relu (stride here, as torchvision),
                        1x1 (expand x4) conv-bn, + shortcut, relu
  a projection shortcut (1x1 conv + bn, "downsample") where the shape changes
head: global average pooling, fc.
Parameters: 11,689,512 (18), 21,797,672 (34), 25,557,032 (50) at 1000 classes.
"""
from .. import functional as F
from .. import nn


class BasicBlock(nn.Module):
    """ResNet-18/34's block: two 3x3 convolutions with batch norm, added to the shortcut (the input, or
    ``downsample`` of it when the shape changes), then ReLU."""
    expansion = 1

    def __init__(self, cin, width, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class Bottleneck(nn.Module):
    """ResNet-50/101/152's block: 1x1 down to ``width``, 3x3, 1x1 up to 4 x width, each with batch
    norm, added to the shortcut, then ReLU."""
    expansion = 4

    def __init__(self, cin, width, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class ResNet(nn.Module):
    """ResNet (He et al. 2015) for 224x224 images: a 7x7/2 stem, max pool, four stages of ``block`` x
    ``counts``, global average pool, fc (PyTorch's torchvision layout and names)."""
    def __init__(self, block, counts, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (width, n) in enumerate(zip((64, 128, 256, 512), counts)):
            blocks = []
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1
                down = None
                if j == 0 and (stride != 1 or cin != width * block.expansion):
                    down = nn.Sequential(nn.Conv2d(cin, width * block.expansion, 1, stride, bias=False),
                                         nn.BatchNorm2d(width * block.expansion))
                blocks.append(block(cin, width, stride, down))
                cin = width * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():                      # torchvision's init: He-normal convs (fan_out)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes=1000):
    """ResNet-18 (basic blocks [2, 2, 2, 2]) in torchvision's layout."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes)


def resnet34(num_classes=1000):
    """ResNet-34 (basic blocks [3, 4, 6, 3]) in torchvision's layout."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes)


def resnet50(num_classes=1000):
    """ResNet-50 (bottleneck blocks [3, 4, 6, 3]) in torchvision's layout."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes)
