"""The faults, bad files and mistakes that broke minicnn when it was attacked (issue "nothing lost and
nothing cryptic"): each test failed on the code before the fix."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader
from minicnn.train import NonFiniteError


def _bn_net():
    mc.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_guard_restores_batch_norm_statistics_and_names_the_layer():
    model = _bn_net()
    x = np.random.default_rng(0).standard_normal((32, 1, 8, 8)).astype(np.float32)
    x[20:] *= 1e38                                       # the second batch overflows inside the network
    y = np.arange(32) % 3
    before = {}

    class Record(mc.train.Callback):                      # the model after the last good step
        def after_backward(self, step, loss):
            if step == 1:
                before.update({k: np.array(v, copy=True) for k, v in self.model.state_dict().items()})

    opt = mc.optim.SGD(model.parameters(), lr=0.0)       # lr 0: the weights never move
    with pytest.raises(NonFiniteError, match="first layer with a non-finite output is '1'") as err:
        mc.fit(model, DataLoader(ArrayDataset(x, y), batch_size=16), epochs=1, optimizer=opt, callbacks=[Record()],
               verbose=0)
    assert err.value.step == 2 and err.value.layer == "1"  # batch norm: its variance overflowed
    for k, v in model.state_dict().items():             # running statistics and their count included
        np.testing.assert_array_equal(np.asarray(v), before[k], err_msg=k)
    assert int(model[1].num_batches_tracked) == 1
    model.eval()
    assert np.isfinite(model(mc.tensor(x[:4])).numpy()).all()     # eval on clean data gives numbers


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_guard_blames_the_input_when_the_batch_itself_is_not_finite():
    model = _bn_net()
    x = np.zeros((16, 1, 8, 8), np.float32)
    x[3, 0, 0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="input batch itself"):
        mc.fit(model, (x, np.zeros(16, np.int64)), epochs=1, optimizer=mc.optim.SGD(model.parameters(), lr=0.1),
               verbose=0)


def test_fit_takes_an_x_y_pair_as_keras_does():
    model = _bn_net()
    x = np.random.default_rng(1).standard_normal((40, 1, 8, 8)).astype(np.float32)
    history = mc.fit(model, (x, np.arange(40) % 3), epochs=2, batch_size=8,
                     optimizer=mc.optim.Adam(model.parameters()), verbose=0)
    assert len(history.history["loss"]) == 2


def test_load_state_dict_checks_every_value_before_writing_any():
    model = _bn_net()
    before = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    bad = {k: np.array(v, copy=True) + 1 for k, v in before.items()}
    bad["1.running_mean"] = np.array(["a", "b", "c", "d"])                # a string array, after good keys
    with pytest.raises(KeyError) as err:
        model.load_state_dict(bad)
    assert "1.running_mean" in str(err.value) and "nothing was loaded" in str(err.value)
    assert "\\n" not in str(err.value)                                     # printed as lines, not escapes
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k], err_msg=k)
    bad["1.running_mean"] = {"not": "an array"}
    with pytest.raises(KeyError, match="1.running_mean"):
        model.load_state_dict(bad)
