"""minicnn/nn: modules, containers, state dicts, summaries and layer errors, against PyTorch where it has the same layer."""
import math

import numpy as np
import pytest
import torch

import minicnn as mc
from minicnn.models import lenet5, vgg16_cifar
import minicnn.nn as nn
from conftest import assert_close, rand, torch_oracle


# -------------------------------- layers and containers against PyTorch
def _twin(ours, theirs, x, train=True, steps=3):
    """Same weights, several forward/backward passes, outputs, input gradients and state compared."""
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    ours.train(train)
    theirs.train(train)
    for i in range(steps):
        xi = x * (i + 1)
        torch_oracle(lambda t: ours(t), lambda t: theirs(t), [xi], seed=i)
    for k, v in theirs.state_dict().items():
        assert_close(np.asarray(ours.state_dict()[k]), v.numpy(), what=k)


@pytest.mark.parametrize("kwargs", [dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                    dict(momentum=0.3, eps=1e-3)])
@pytest.mark.parametrize("train", [True, False])
def test_batch_norm_options(kwargs, train):
    _twin(nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs), rand(4, 3, 5, 6, seed=32), train)
    _twin(nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs), rand(4, 3, 7, seed=33), train)
    _twin(nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs), rand(5, 3, seed=34), train)
    if kwargs.get("track_running_stats") is False:
        assert "running_mean" not in nn.BatchNorm2d(3, **kwargs).state_dict()


def test_module_list_module_dict_apply_and_layer_names_match_pytorch():
    def net(lib):
        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.blocks = lib.ModuleList([lib.Linear(4, 4) for _ in range(2)])
                self.heads = lib.ModuleDict({"a": lib.Linear(4, 2),
                                             "b": lib.Sequential(lib.ReLU(inplace=True), lib.Linear(4, 3))})

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return self.heads["b"](x)
        return Net()

    ours, theirs = net(nn), net(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    seen = []

    def init_weights(m):
        seen.append(type(m).__name__)
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.1)
            m.bias.data.fill_(0.0)

    ours.apply(init_weights)
    assert seen[-1] == "Net" and seen.count("Linear") == 4
    assert ours.cpu() is ours and ours.to(mc.device("cpu")) is ours
    _twin(ours, theirs, rand(3, 4, seed=35))


def test_activation_and_loss_modules_match_pytorch():
    x = rand(4, 6, seed=36, scale=2)
    for ours, theirs in [(nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)), (nn.ELU(), torch.nn.ELU()), (nn.GELU(), torch.nn.GELU()),
                         (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
                         (nn.Flatten(0), torch.nn.Flatten(0)), (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3)))]:
        torch_oracle(ours, theirs, [x])


def test_clip_grad_norm_and_value():
    ws = [rand(3, 4, seed=37), rand(5, seed=38)]
    gs = [rand(3, 4, seed=39) * 10, rand(5, seed=40) * 10]
    for norm_type in (2.0, 1.0, math.inf):
        ours = [nn.Parameter(w.copy()) for w in ws]
        theirs = [torch.nn.Parameter(torch.tensor(w)) for w in ws]
        for p, t, g in zip(ours, theirs, gs):
            p.grad, t.grad = g.copy(), torch.tensor(g)
        n = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
        tn = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
        assert abs(n.item() - tn.item()) <= 1e-5 * tn.item()
        for p, t in zip(ours, theirs):
            assert_close(p.grad, t.grad)
    p = nn.Parameter(ws[0].copy())
    p.grad = gs[0].copy()
    nn.utils.clip_grad_value_([p], 0.5)
    assert float(abs(p.grad.numpy()).max()) <= 0.5


def test_zero_grad_set_to_none_false_keeps_zeroed_arrays():
    model = nn.Linear(3, 2)
    opt = mc.optim.SGD(model.parameters(), lr=0.1)
    model(mc.tensor(rand(4, 3))).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert model.weight.grad is not None and float(abs(model.weight.grad.numpy()).sum()) == 0
    model.zero_grad()
    assert model.weight.grad is None


# -------------------------------- summaries, names, state dicts and errors
def test_summary_counts_match_the_source_documents():
    assert lenet5().summary((1, 28, 28), print_fn=None)["total_params"] == 107786
    s = vgg16_cifar().summary((3, 32, 32), print_fn=None)
    assert (s["total_params"], s["non_trainable_params"]) == (2264394, 896)


def test_summary_of_a_frozen_vgg16_base_with_a_small_head(capsys):
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    base = nn.Sequential(*layers).requires_grad_(False)
    model = nn.Sequential(base, nn.Flatten(), nn.Linear(7 * 7 * 512, 10), nn.ReLU(), nn.Linear(10, 1))
    s = model.summary((3, 224, 224))
    assert (s["total_params"], s["trainable_params"]) == (14965589, 250901)
    out = capsys.readouterr().out
    assert "Total params: 14,965,589" in out and "Trainable params: 250,901" in out and "FLOPs" in out


def test_layer_errors_name_the_layer_and_both_numbers():
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Flatten(), nn.Linear(784, 10))
    with pytest.raises(ValueError, match=r"layer '2' \(Linear\(in_features=784.*expected 784 .* 3456 features"):
        model(mc.tensor(np.zeros((2, 1, 28, 28))))


def test_load_state_dict_lists_every_problem():
    model = lenet5()
    sd = dict(model.state_dict())
    sd.pop("0.bias")
    sd["extra.weight"] = np.zeros(3)
    sd["7.weight"] = np.zeros((120, 100))
    with pytest.raises(KeyError) as err:
        model.load_state_dict(sd)
    msg = str(err.value)
    assert "missing keys: 0.bias" in msg and "unexpected keys: extra.weight" in msg
    assert "7.weight: model (120, 784), file (120, 100)" in msg


def test_module_names_modes_and_init():
    mc.manual_seed(10)
    model = vgg16_cifar()
    names = [k for k, _ in model.named_parameters()]
    assert names[:3] == ["0.weight", "0.bias", "2.weight"]
    assert "4.running_mean" in model.state_dict() and "4.num_batches_tracked" in model.state_dict()
    model.eval()
    assert not any(m.training for m in model.modules())
    w = model[0].weight.numpy()
    assert np.abs(w).max() <= 1 / np.sqrt(27) + 1e-6           # PyTorch's default init bound
    mc.manual_seed(10)
    np.testing.assert_array_equal(vgg16_cifar()[0].weight.numpy(), w)   # seeded
    t = nn.Parameter(np.zeros((256, 128, 3, 3)))
    nn.init.kaiming_normal_(t, nonlinearity="relu")
    assert abs(t.numpy().std() - np.sqrt(2 / (128 * 9))) < 0.02 * np.sqrt(2 / (128 * 9))
    nn.init.xavier_uniform_(t)
    assert np.abs(t.numpy()).max() <= np.sqrt(6 / (128 * 9 + 256 * 9))


def test_batchnorm_module_running_stats_match_torch():
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5)).astype(np.float32) * 3 + 1
    for _ in range(3):
        ours(mc.tensor(x))
        theirs(torch.tensor(x))
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-5, err_msg=k)
