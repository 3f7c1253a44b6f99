"""Optimizer settings checked as PyTorch checks them, and a non-finite setting never reaching the weights."""
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import minicnn as mc
from minicnn.train import NonFiniteError

CASES = [("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-1)), ("SGD", dict(lr=0.1, weight_decay=-0.1)),
         ("SGD", dict(lr=math.nan)), ("SGD", dict(lr=math.inf)), ("SGD", dict(lr=0.1, momentum=0.0, nesterov=True)),
         ("Adam", dict(lr=math.nan)), ("Adam", dict(betas=(1.0, 0.9))), ("Adam", dict(betas=(0.9, -1))),
         ("Adam", dict(eps=-1)), ("Adam", dict(lr=math.inf)), ("Adam", dict(weight_decay=-1)),
         ("AdamW", dict(betas=(0.9, 1.5))), ("RMSprop", dict(alpha=-1)), ("RMSprop", dict(momentum=math.nan)),
         ("Adagrad", dict(lr_decay=-1)), ("Adadelta", dict(rho=1.5))]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_settings_checked_as_pytorch(name, kwargs):
    def make(lib, tensor):
        return getattr(lib.optim, name)([tensor], **kwargs)
    try:
        make(torch, torch.zeros(1, requires_grad=True))
        theirs = None
    except ValueError as exc:
        theirs = str(exc)
    if theirs is None:
        make(mc, mc.zeros(1, requires_grad=True))            # PyTorch takes it: so does minicnn
    else:
        with pytest.raises(ValueError) as exc:
            make(mc, mc.zeros(1, requires_grad=True))
        assert str(exc.value) == theirs


def test_settings_must_be_numbers():
    with pytest.raises(TypeError, match="lr must be a number, got '0.1'"):
        mc.optim.Adam([mc.zeros(1, requires_grad=True)], lr="0.1")


@pytest.mark.parametrize("setting", [dict(lr=math.nan), dict(lr=math.inf), dict(lr=0.1, momentum=math.inf)])
def test_fit_stops_before_a_non_finite_setting_reaches_the_weights(setting):
    mc.manual_seed(0)
    net = mc.nn.Sequential(mc.nn.Flatten(), mc.nn.Linear(4, 3))
    before = {k: v.copy() for k, v in net.state_dict().items()}
    x, y = np.random.default_rng(0).random((8, 4), dtype=np.float32), np.arange(8) % 3
    with pytest.raises(NonFiniteError, match="the optimizer's (lr|momentum) is (nan|inf).*after step 0") as exc:
        mc.fit(net, (x, y), epochs=1, optimizer=mc.optim.SGD(net.parameters(), **setting), verbose=0, batch_size=4)
    assert exc.value.step == 1
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("flag", [["--lr", "inf"], ["--lr", "nan"], ["--momentum", "nan"], ["--momentum", "-1"],
                                  ["--weight-decay", "-0.1"], ["--weight-decay", "nan"]])
def test_cli_refuses_non_finite_or_negative_settings(flag, tmp_path):
    out = subprocess.run([sys.executable, "-m", "minicnn", "train", *flag, "--out", str(tmp_path / "run")],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert flag[0] in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "run").exists()                  # nothing written
