"""Layers, optimizers and the training loop against PyTorch, step for step; checkpoints and the guard."""
import numpy as np
import pytest
import torch

import minicnn as mc
import minicnn.functional as F
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader
from minicnn.models import lenet5, vgg16_cifar
from minicnn.train import Callback, EarlyStopping, ModelCheckpoint, NonFiniteError


def torch_lenet5():
    T = torch.nn
    return T.Sequential(T.Conv2d(1, 6, 5, padding="same"), T.ReLU(), T.AvgPool2d(2),
                        T.Conv2d(6, 16, 5, padding="same"), T.ReLU(), T.AvgPool2d(2), T.Flatten(),
                        T.Linear(784, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(), T.Linear(84, 10))


def batches(steps, n=16, seed=0):
    rs = np.random.default_rng(seed)
    return [(rs.random((n, 1, 28, 28), dtype=np.float32), rs.integers(0, 10, n)) for _ in range(steps)]


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


OPTIMIZERS["sgd_dampening"] = (lambda p: mc.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.3, weight_decay=1e-3),
                               lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.3, weight_decay=1e-3))


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


def small_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 14 * 14, 10))


def data_loader(seed=5):
    rs = np.random.default_rng(0)
    x, y = rs.random((96, 1, 28, 28), dtype=np.float32), rs.integers(0, 10, 96)
    return DataLoader(ArrayDataset(x, y), batch_size=16, shuffle=True, seed=seed)


def test_resume_from_a_checkpoint_is_bit_identical(tmp_path):
    def setup():
        model = small_net()
        opt = mc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        sched = mc.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
        return model, opt, sched, data_loader()

    mc.manual_seed(3)
    model, opt, sched, loader = setup()
    straight = mc.fit(model, loader, epochs=2, optimizer=opt, scheduler=sched, verbose=0)

    mc.manual_seed(3)
    model1, opt1, sched1, loader1 = setup()
    h1 = mc.fit(model1, loader1, epochs=1, optimizer=opt1, scheduler=sched1, verbose=0)
    mc.save_checkpoint(tmp_path / "ck.npz", model1, opt1, epoch=1, scheduler=sched1, loader=loader1, history=h1)
    mc.manual_seed(99)                                    # a fresh process would start elsewhere
    model2, opt2, sched2, loader2 = setup()
    info = mc.load_checkpoint(tmp_path / "ck.npz", model2, opt2, sched2, loader2)
    resumed = mc.fit(model2, loader2, epochs=2, optimizer=opt2, scheduler=sched2, initial_epoch=info["epoch"],
                     history=info["history"], verbose=0)
    for k, v in model.state_dict().items():
        assert np.array_equal(v, model2.state_dict()[k]), k
    assert straight.history["loss"] == resumed.history["loss"]
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.0125


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_guard_stops_before_the_weights_are_touched():
    mc.manual_seed(4)
    model = lenet5()
    snapshots = []

    class Snapshot(Callback):
        def after_backward(self, step, loss):
            snapshots.append({k: v.copy() for k, v in self.model.state_dict().items()})

    loader = DataLoader(ArrayDataset(*[np.concatenate(a) for a in zip(*batches(6))]), batch_size=16)
    with pytest.raises(NonFiniteError, match=r"step \d+.*(loss|layer '\d+')") as err:
        mc.fit(model, loader, epochs=3, optimizer=mc.optim.SGD(model.parameters(), lr=1e10), callbacks=[Snapshot()],
               verbose=0)
    assert err.value.step >= 2
    last = snapshots[-1]                                  # weights when the bad gradient was found
    for k, v in model.state_dict().items():
        assert np.array_equal(v, last[k]) and np.isfinite(v).all(), k


def test_frozen_weights_stay_bit_identical():
    mc.manual_seed(5)
    model = lenet5()
    model[0].requires_grad_(False)
    before = model[0].weight.numpy().copy()
    trained_before = model[3].weight.numpy().copy()
    opt = mc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for x, y in batches(3):
        opt.zero_grad()
        F.cross_entropy(model(mc.tensor(x)), y).backward()
        opt.step()
    assert np.array_equal(model[0].weight.numpy(), before)
    assert model[0].weight.grad is None
    assert not np.array_equal(model[3].weight.numpy(), trained_before)       # the unfrozen layers did train


def test_parameter_groups_with_their_own_learning_rate():
    mc.manual_seed(6)
    model = lenet5()
    opt = mc.optim.SGD([{"params": list(model[:6].parameters()), "lr": 0.001},
                        {"params": list(model[6:].parameters())}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.001, 0.01]
    w0, w7 = model[0].weight.numpy().copy(), model[7].weight.numpy().copy()
    x, y = batches(1)[0]
    F.cross_entropy(model(mc.tensor(x)), y).backward()
    g0, g7 = model[0].weight.grad.data.copy(), model[7].weight.grad.data.copy()
    opt.step()
    np.testing.assert_allclose(model[0].weight.numpy(), w0 - 0.001 * g0, rtol=1e-6)
    np.testing.assert_allclose(model[7].weight.numpy(), w7 - 0.01 * g7, rtol=1e-6)


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


def test_fit_history_callbacks_evaluate_predict(tmp_path):
    mc.manual_seed(8)
    model = small_net()
    loader = data_loader()
    stopper = EarlyStopping(monitor="val_loss", patience=0)
    hist = mc.fit(model, loader, epochs=30, optimizer=mc.optim.Adam(model.parameters(), lr=0.05),
                  validation_data=data_loader(seed=9),
                  callbacks=[ModelCheckpoint(tmp_path / "best.npz", monitor="val_acc"), stopper], verbose=0)
    assert set(hist.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert hist.history["acc"] is hist.history["accuracy"] and "val_acc" in hist.history
    assert len(hist.history["loss"]) < 30                 # early stopping fired
    best = mc.load(tmp_path / "best.npz")
    assert set(best) == set(model.state_dict())
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    model.train()
    p1, p2 = mc.predict(model, x), mc.predict(model, x)
    np.testing.assert_array_equal(p1, p2)                  # dropout off in predict
    assert model.training                                  # mode restored
    rb = mc.evaluate(model, loader)
    assert 0 <= rb["accuracy"] <= 1 and rb["loss"] > 0


def test_multi_output_models_train_on_a_weighted_sum_of_losses():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU())
            self.main, self.aux = nn.Linear(16, 10), nn.Linear(16, 10)

        def forward(self, x):
            h = self.body(x)
            return (self.main(h), self.aux(h)) if self.training else self.main(h)

    mc.manual_seed(9)
    model = TwoHeads()
    hist = mc.fit(model, data_loader(), epochs=1, optimizer=mc.optim.SGD(model.parameters(), lr=0.01),
                  loss_weights=[1.0, 0.3], verbose=0)
    assert model.aux.weight.grad is not None and np.isfinite(hist.history["loss"][0])


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
