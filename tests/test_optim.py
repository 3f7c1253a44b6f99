"""minicnn/optim: every optimizer and schedule step for step against torch.optim, updates in slices, weight decay, parameter groups and state dicts."""
import numpy as np
import pytest
import torch

import minicnn as mc
import minicnn.functional as F
from minicnn.models import lenet5
import minicnn.nn as nn
from conftest import assert_close, batches, rand


# -------------------------------- the PyTorch API's optimizers and schedules, step by step against torch.optim
@pytest.mark.parametrize("name,kwargs", [("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.9))),
                                         ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05,
                                                          initial_accumulator_value=0.1)),
                                         ("Adadelta", dict()), ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1))])
def test_optimizers_step_like_torch_optim(name, kwargs):
    ws = [rand(300, 400, seed=41), rand(7, seed=42)]                # one large enough to be updated in slices
    ours = [nn.Parameter(w.copy()) for w in ws]
    theirs = [torch.nn.Parameter(torch.tensor(w)) for w in ws]
    opt, topt = getattr(mc.optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(5):
        for p, t, w in zip(ours, theirs, ws):
            g = rand(*w.shape, seed=100 + step)
            p.grad, t.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs):
            assert_close(p, t.detach(), what=f"step {step}")


def test_schedules_follow_torch():
    def pair(lib, make, opt_name="SGD", **opt_kwargs):
        p = [lib.nn.Parameter(lib.zeros(2)) if lib is mc else torch.nn.Parameter(torch.zeros(2))]
        opt = getattr(lib.optim, opt_name)(p, lr=0.1, **opt_kwargs)
        return opt, make(lib.optim.lr_scheduler, opt)

    cases = [(lambda s, o: s.ExponentialLR(o, gamma=0.9), {}),
             (lambda s, o: s.LambdaLR(o, lambda epoch: 0.5 ** epoch + 0.1), {}),
             (lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=20), dict(momentum=0.9)),
             (lambda s, o: s.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=5, anneal_strategy="linear",
                                        pct_start=0.25), {}),
             (lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=10), "Adam")]
    for make, extra in cases:
        opt_name, kw = ("Adam", {}) if extra == "Adam" else ("SGD", extra)
        ours, theirs = pair(mc, make, opt_name, **kw), pair(torch, make, opt_name, **kw)
        for step in range(10):
            (o, _), (t, _) = ours, theirs
            assert abs(o.param_groups[0]["lr"] - t.param_groups[0]["lr"]) < 1e-9, f"step {step}"
            for key in ("momentum", "betas"):
                if key in t.param_groups[0]:
                    np.testing.assert_allclose(o.param_groups[0][key], t.param_groups[0][key], rtol=1e-9)
            o.step()
            t.step()
            ours[1].step()
            theirs[1].step()


# -------------------------------- optimizers training LeNet-5 against PyTorch, state and schedules
def torch_lenet5():
    T = torch.nn
    return T.Sequential(T.Conv2d(1, 6, 5, padding="same"), T.ReLU(), T.AvgPool2d(2),
                        T.Conv2d(6, 16, 5, padding="same"), T.ReLU(), T.AvgPool2d(2), T.Flatten(),
                        T.Linear(784, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(), T.Linear(84, 10))


def rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


OPTIMIZERS = {
    "sgd": (lambda p: mc.optim.SGD(p, lr=0.01, momentum=0.9, weight_decay=5e-4),
            lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, weight_decay=5e-4)),
    "nesterov": (lambda p: mc.optim.SGD(p, lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True),
                 lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True)),
    "adam": (lambda p: mc.optim.Adam(p, lr=1e-3, weight_decay=1e-4), lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-4)),
    "rmsprop": (lambda p: mc.optim.RMSprop(p, lr=1e-3, momentum=0.5), lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5)),
}
OPTIMIZERS["sgd_dampening"] = (lambda p: mc.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.3, weight_decay=1e-3),
                               lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.3, weight_decay=1e-3))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_lenet5_trains_step_for_step_like_pytorch(name):
    torch.manual_seed(0)
    theirs = torch_lenet5()
    ours = lenet5()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    make_ours, make_theirs = OPTIMIZERS[name]
    opt, topt = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    for step, (x, y) in enumerate(batches(50)):
        loss = F.cross_entropy(ours(mc.tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert abs(loss.item() - tloss.item()) <= 1e-4 * abs(tloss.item()), f"step {step}"
    for k, v in theirs.state_dict().items():
        assert rel(ours.state_dict()[k], v.numpy()) < 1e-4, k


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_large_parameters_are_updated_in_slices_like_pytorch(name):
    """Parameters over Optimizer.SLICE elements are updated slice by slice on the CPU (the last
    slice partial); the update must be the same as PyTorch's whole-array one, step after step,
    state included, and a state loaded from a state_dict must keep working."""
    rs = np.random.default_rng(1)
    shapes = [(3, 2 * mc.optim.Optimizer.SLICE + 7), (5,)]          # one sliced, one not
    ws = [rs.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [nn.Parameter(w.copy()) for w in ws]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in ws]
    make_ours, make_theirs = OPTIMIZERS[name]
    opt, topt = make_ours(ours), make_theirs(theirs)
    for step in range(4):
        if step == 2:                                                 # resume from a saved state
            sd = opt.state_dict()
            opt = make_ours(ours)
            opt.load_state_dict(sd)
        gs = [rs.standard_normal(s).astype(np.float32) for s in shapes]
        for p, tp, g in zip(ours, theirs, gs):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=f"step {step}")


def test_weight_decay_equals_an_l2_penalty():
    mc.manual_seed(1)
    a, b = lenet5(), lenet5()
    b.load_state_dict(a.state_dict())
    x, y = batches(1)[0]
    lam = 0.01
    opt_a = mc.optim.SGD(a.parameters(), lr=0.1, weight_decay=lam)
    F.cross_entropy(a(mc.tensor(x)), y).backward()
    opt_a.step()
    opt_b = mc.optim.SGD(b.parameters(), lr=0.1)
    loss = F.cross_entropy(b(mc.tensor(x)), y)
    for p in b.parameters():
        loss = loss + (p * p).sum() * (lam / 2)
    loss.backward()
    opt_b.step()
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_allclose(va, vb, rtol=1e-5, atol=1e-7, err_msg=k)


def test_parameter_groups_with_their_own_learning_rate():
    mc.manual_seed(6)
    model = lenet5()
    opt = mc.optim.SGD([{"params": list(model[:6].parameters()), "lr": 0.001},
                        {"params": list(model[6:].parameters())}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.001, 0.01]
    w0, w7 = model[0].weight.numpy().copy(), model[7].weight.numpy().copy()
    x, y = batches(1)[0]
    F.cross_entropy(model(mc.tensor(x)), y).backward()
    g0, g7 = model[0].weight.grad.array.copy(), model[7].weight.grad.array.copy()
    opt.step()
    np.testing.assert_allclose(model[0].weight.numpy(), w0 - 0.001 * g0, rtol=1e-6)
    np.testing.assert_allclose(model[7].weight.numpy(), w7 - 0.01 * g7, rtol=1e-6)


def test_a_group_without_parameters_steps_like_torch():
    """torch.optim accepts a parameter group with an empty list beside others; so does minicnn, whose
    first step (which applies mc.tune_cpu) looks past it."""
    w = rand(3, 4, seed=7)
    ours, theirs = nn.Parameter(w.copy()), torch.nn.Parameter(torch.tensor(w))
    opt = mc.optim.SGD([{"params": []}, {"params": [ours]}], lr=0.1)
    topt = torch.optim.SGD([{"params": []}, {"params": [theirs]}], lr=0.1)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    opt.step()
    topt.step()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)


def test_optimizer_state_dict_round_trip(tmp_path):
    mc.manual_seed(7)
    model = lenet5()
    opt = mc.optim.Adam(model.parameters())
    x, y = batches(1)[0]
    F.cross_entropy(model(mc.tensor(x)), y).backward()
    opt.step()
    mc.save(opt.state_dict(), tmp_path / "opt.npz")
    opt2 = mc.optim.Adam(lenet5().parameters())
    opt2.load_state_dict(mc.load(tmp_path / "opt.npz"))
    assert opt2.state[0]["step"] == 1
    np.testing.assert_array_equal(opt2.state[3]["exp_avg"], opt.state[3]["exp_avg"])
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("name", ["step", "multistep", "cosine"])
def test_schedulers_match_torch(name):
    p, tp = nn.Parameter(np.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt, topt = mc.optim.SGD([p], lr=0.1), torch.optim.SGD([tp], lr=0.1)
    S, TS = mc.optim.lr_scheduler, torch.optim.lr_scheduler
    ours, theirs = {"step": (S.StepLR(opt, 3, 0.5), TS.StepLR(topt, 3, 0.5)),
                    "multistep": (S.MultiStepLR(opt, [2, 5], 0.1), TS.MultiStepLR(topt, [2, 5], 0.1)),
                    "cosine": (S.CosineAnnealingLR(opt, 7, 0.001), TS.CosineAnnealingLR(topt, 7, 0.001))}[name]
    for _ in range(10):
        topt.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr()[0] == pytest.approx(theirs.get_last_lr()[0], rel=1e-9)


def test_reduce_on_plateau_matches_torch():
    p, tp = nn.Parameter(np.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt, topt = mc.optim.SGD([p], lr=0.1), torch.optim.SGD([tp], lr=0.1)
    ours = mc.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, patience=1, factor=0.5, cooldown=1)
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85]:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx([g["lr"] for g in topt.param_groups])


def test_an_optimizer_that_makes_its_state_in_update_gets_whole_arrays():
    """A subclass written the simple way (state created in update, no prepare) must not be sliced:
    its momentum would land in a per-slice dict and be lost every step."""
    class Momentum(mc.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        def update(self, w, g, state, group):
            if "buf" not in state:
                state["buf"] = np.zeros_like(w)
            state["buf"] *= 0.9
            state["buf"] += g
            w -= group["lr"] * state["buf"]

    rs = np.random.default_rng(2)
    w0 = rs.standard_normal(3 * mc.optim.Optimizer.SLICE).astype(np.float32)
    p, tp = nn.Parameter(w0.copy()), torch.tensor(w0.copy(), requires_grad=True)
    opt, topt = Momentum([p], lr=0.01), torch.optim.SGD([tp], lr=0.01, momentum=0.9)
    for _ in range(3):
        g = rs.standard_normal(w0.shape).astype(np.float32)
        p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6)
