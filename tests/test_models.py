"""The model zoo: parameter counts equal the references, torchvision key names, forward shapes,
and ResNet-18 against a PyTorch twin."""
import numpy as np
import pytest
import torch

import minicnn as mc
import minicnn.functional as F
from minicnn.models import (alexnet, alexnet_cifar, get_model, googlenet, lenet5, resnet18, resnet34,
                            resnet50, vgg, vgg16_cifar)


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("make,expected", [
    (alexnet, 61100840),
    (lambda: vgg("A"), 132863336), (lambda: vgg("A-LRN"), 132863336), (lambda: vgg("B"), 133047848),
    (lambda: vgg("C"), 133638952), (lambda: get_model("vgg16"), 138357544), (lambda: get_model("vgg19"), 143667240),
    (lambda: vgg("D", num_classes=2, hidden=(4096, 4096, 2048, 1024, 512)), 145275202),
    (googlenet, 13378280), (lambda: googlenet(aux_logits=False), 6998552),
    (resnet18, 11689512), (resnet34, 21797672), (resnet50, 25557032),
])
def test_parameter_counts(make, expected):
    assert count(make()) == expected


def test_keras_counts_of_the_source_models():
    assert lenet5().summary((1, 28, 28), print_fn=None)["total_params"] == 107786
    s = alexnet_cifar().summary((3, 32, 32), print_fn=None)
    assert (s["total_params"], s["non_trainable_params"]) == (12260618, 704)
    assert vgg16_cifar().summary((3, 32, 32), print_fn=None)["total_params"] == 2264394


def test_torchvision_key_names():
    assert list(vgg("D").state_dict())[:2] == ["features.0.weight", "features.0.bias"]
    assert "classifier.6.bias" in vgg("D").state_dict()
    assert "classifier.1.weight" in alexnet().state_dict()
    sd = resnet50().state_dict()
    for key in ("conv1.weight", "bn1.running_mean", "layer1.0.downsample.0.weight", "layer1.0.bn1.num_batches_tracked",
                "layer4.2.conv3.weight", "fc.bias"):
        assert key in sd, key
    assert resnet50().get_submodule("layer2.0.conv2").stride == (2, 2)      # a pair, as torchvision's


def test_forward_shapes_and_googlenet_aux_outputs():
    x = mc.tensor(np.random.default_rng(0).random((2, 3, 224, 224), dtype=np.float32))
    with mc.no_grad():
        net = googlenet(num_classes=7)
        main, aux1, aux2 = net(x)
        assert main.shape == aux1.shape == aux2.shape == (2, 7)
        assert net.eval()(x).shape == (2, 7)
        assert alexnet(num_classes=5).eval()(x).shape == (2, 5)
        assert resnet18(num_classes=3).eval()(mc.tensor(np.zeros((1, 3, 64, 64), np.float32))).shape == (1, 3)


def test_vgg_features_slice_like_the_source():
    model = vgg("D")
    base = model.features[:31]                      # up to block5_pool
    assert len(base) == 31 and type(base[30]).__name__ == "MaxPool2d"
    with mc.no_grad():
        assert base(mc.tensor(np.zeros((1, 3, 64, 64), np.float32))).shape == (1, 512, 2, 2)


class TorchBasicBlock(torch.nn.Module):
    def __init__(self, cin, w, stride):
        super().__init__()
        T = torch.nn
        self.conv1, self.bn1 = T.Conv2d(cin, w, 3, stride, 1, bias=False), T.BatchNorm2d(w)
        self.conv2, self.bn2 = T.Conv2d(w, w, 3, 1, 1, bias=False), T.BatchNorm2d(w)
        self.relu = T.ReLU()
        self.downsample = None if stride == 1 and cin == w else T.Sequential(T.Conv2d(cin, w, 1, stride, bias=False),
                                                                             T.BatchNorm2d(w))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchResNet18(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        T = torch.nn
        self.conv1, self.bn1, self.relu = T.Conv2d(3, 64, 7, 2, 3, bias=False), T.BatchNorm2d(64), T.ReLU()
        self.maxpool = T.MaxPool2d(3, 2, 1)
        cin = 64
        for i, w in enumerate((64, 128, 256, 512)):
            setattr(self, f"layer{i + 1}", T.Sequential(TorchBasicBlock(cin, w, 1 if i == 0 else 2),
                                                        TorchBasicBlock(w, w, 1)))
            cin = w
        self.avgpool, self.fc = T.AdaptiveAvgPool2d(1), T.Linear(512, n)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def test_resnet18_matches_a_pytorch_twin_forward_and_backward():
    torch.manual_seed(0)
    theirs = TorchResNet18(10)
    ours = resnet18(num_classes=10)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3, 64, 64)).astype(np.float32)
    y = np.array([3, 7])
    loss = F.cross_entropy(ours(mc.tensor(x)), y)
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    tloss.backward()
    assert abs(loss.item() - tloss.item()) < 1e-4 * abs(tloss.item())
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        g, tg = p.grad, tparams[name].grad.numpy()
        assert np.linalg.norm(g - tg) <= 1e-3 * np.linalg.norm(tg) + 1e-6, name
    for k, v in theirs.state_dict().items():           # running statistics updated alike
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-4, atol=1e-6, err_msg=k)


# -------------------------------- minicnn.vision.models: torchvision's names
def test_vision_models_build_torchvision_names():
    from minicnn.vision import models
    sd = models.vgg11_bn(weights=None, num_classes=7).state_dict()
    assert "features.1.running_mean" in sd and sd["classifier.6.weight"].shape == (7, 4096)   # torchvision's keys


def test_vision_models_refuse_downloads_clearly():
    from minicnn.vision import models
    with pytest.raises(ValueError, match="does not download"):
        models.resnet18(weights="IMAGENET1K_V1")
    assert list(models.resnet18(weights=None, num_classes=3).state_dict())[0] == "conv1.weight"
