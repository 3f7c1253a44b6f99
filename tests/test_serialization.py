"""mc.save / mc.load: round trips, atomic writes, and no pickle."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import minicnn as mc


def test_round_trip_nested_state(tmp_path):
    state = {"model": {"features.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                       "bn.num_batches_tracked": np.array(5, dtype=np.int64)},
             "optimizer": {"state": {0: {"momentum_buffer": np.ones(3)}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
             "epoch": 3, "name": "lenet5", "best": None, "shape": (1, 28, 28), "t": mc.tensor([1.5, 2.5])}
    mc.save(state, tmp_path / "ck.npz")
    back = mc.load(tmp_path / "ck.npz")
    np.testing.assert_array_equal(back["model"]["features.0.weight"], state["model"]["features.0.weight"])
    assert back["model"]["features.0.weight"].dtype == np.float32
    assert back["model"]["bn.num_batches_tracked"] == 5
    assert back["optimizer"]["state"][0]["momentum_buffer"].tolist() == [1, 1, 1]
    assert back["optimizer"]["param_groups"] == [{"lr": 0.1, "params": [0]}]
    assert back["epoch"] == 3 and back["name"] == "lenet5" and back["best"] is None and back["shape"] == (1, 28, 28)
    assert back["t"].tolist() == [1.5, 2.5]
    # it is a real .npz: NumPy reads its arrays
    with np.load(tmp_path / "ck.npz") as z:
        np.testing.assert_array_equal(z["0"], state["model"]["features.0.weight"])


def test_interrupted_save_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    mc.save({"w": np.zeros(3)}, path)

    def boom(*a, **k):
        raise KeyboardInterrupt("power cut")
    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(KeyboardInterrupt):
        mc.save({"w": np.ones(3)}, path)
    monkeypatch.undo()
    assert mc.load(path)["w"].tolist() == [0, 0, 0]
    assert os.listdir(tmp_path) == ["ck.npz"]          # no temporary file left behind


def test_load_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    mc.save({"w": np.zeros(2)}, path)
    bad = tmp_path / "evil2.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:   # same layout, object array inside
        dst.writestr("__meta__.json", src.read("__meta__.json"))
        with dst.open("0.npy", "w") as f:
            np.lib.format.write_array(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickled"):
        mc.load(bad)
    pk = tmp_path / "model.pt"
    pk.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(ValueError, match="not a minicnn file"):
        mc.load(pk)


def test_save_refuses_objects_it_cannot_store_without_pickle(tmp_path):
    with pytest.raises(TypeError, match="cannot store"):
        mc.save({"f": lambda: 0}, tmp_path / "x.npz")
