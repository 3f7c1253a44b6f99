"""minicnn/train.py: fit, evaluate and predict, callbacks and history, checkpoints that resume bit for bit,
the NaN guard, frozen weights and models with several outputs."""
import numpy as np
import pytest
import torch

import minicnn as mc
from minicnn.data import ArrayDataset, DataLoader
import minicnn.functional as F
from minicnn.models import lenet5
import minicnn.nn as nn
from minicnn.train import Callback, EarlyStopping, ModelCheckpoint, NonFiniteError
from conftest import batches


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
