"""Feature extraction, pretrained-weight conversion, diagnostics and the profiler."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import minicnn as mc
import minicnn.functional as F
import minicnn.nn as nn
from minicnn.models import FeatureExtractor, keras_vgg_names, lenet5, vgg
from minicnn.pretrained import keras_vgg16_state, load_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_feature_extractor_with_keras_names():
    model = vgg("D")
    names = keras_vgg_names(model.features)
    assert names["block1_conv1"] == "features.1" and names["block5_pool"] == "features.30"
    assert names["block3_conv3"] == "features.15"
    maps = FeatureExtractor(model, ["block1_conv2", "features.16", "block5_pool"])(
        mc.tensor(np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)))
    assert maps["block1_conv2"].shape == (1, 64, 64, 64) and maps["block1_conv2"].numpy().min() >= 0
    assert maps["features.16"].shape == (1, 256, 8, 8) and maps["block5_pool"].shape == (1, 512, 2, 2)
    with pytest.raises(KeyError, match="no layer"):
        FeatureExtractor(model, ["block9_pool"])


def write_keras_h5(path, convs, dense):
    import h5py
    with h5py.File(path, "w") as f:
        for name, (k, b) in list(convs.items()) + list(dense.items()):
            g = f.create_group(name)
            g.create_dataset(f"{name}_W_1:0", data=k)
            g.create_dataset(f"{name}_b_1:0", data=b)


def test_keras_h5_conversion_of_layouts(tmp_path):
    pytest.importorskip("h5py")
    rs = np.random.default_rng(0)
    convs = {f"block{b}_conv{i}": (rs.standard_normal((3, 3, 2, 4)).astype(np.float32), rs.standard_normal(4))
             for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)}
    fc1 = rs.standard_normal((2 * 2 * 512, 6)).astype(np.float32)
    write_keras_h5(tmp_path / "w.h5", convs, {"fc1": (fc1, np.zeros(6)), "fc2": (np.ones((6, 6)), np.zeros(6)),
                                              "predictions": (np.ones((6, 3)), np.zeros(3))})
    state = keras_vgg16_state(str(tmp_path / "w.h5"))
    k, _ = convs["block3_conv2"]
    np.testing.assert_array_equal(state["features.12.weight"], k.transpose(3, 2, 0, 1))
    feats = rs.standard_normal((1, 512, 2, 2)).astype(np.float32)       # NCHW features
    keras_out = feats.transpose(0, 2, 3, 1).reshape(1, -1) @ fc1         # Keras flattens NHWC
    ours = feats.reshape(1, -1) @ state["classifier.0.weight"].T
    np.testing.assert_allclose(ours, keras_out, rtol=1e-5)
    bad = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    os.rename(tmp_path / "w.h5", bad)
    with pytest.raises(ValueError, match="MD5"):
        keras_vgg16_state(str(bad))


def test_torchvision_weights_go_through_the_converter(tmp_path):
    torch.manual_seed(0)
    T = torch.nn
    tnet = T.Sequential(T.Conv2d(1, 6, 5, padding="same"), T.ReLU(), T.AvgPool2d(2),
                        T.Conv2d(6, 16, 5, padding="same"), T.ReLU(), T.AvgPool2d(2), T.Flatten(),
                        T.Linear(784, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(), T.Linear(84, 10))
    raw = tmp_path / "raw.pth"
    torch.save(tnet.state_dict(), raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    good = tmp_path / f"lenet-{digest[:8]}.pth"
    os.rename(raw, good)
    with pytest.raises(ValueError, match="convert_torchvision_weights"):
        load_weights(lenet5(), good)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "convert_torchvision_weights.py"), str(good)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    model = load_weights(lenet5(), str(good)[:-4] + ".npz")
    x = np.random.default_rng(1).random((2, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(model(mc.tensor(x)).numpy(), tnet(torch.tensor(x)).numpy(), rtol=1e-4, atol=1e-5)
    wrong = tmp_path / "lenet-00000000.pth"
    os.rename(good, wrong)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "convert_torchvision_weights.py"), str(wrong)],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "corrupt" in out.stderr


def test_diagnose_explains_a_network_that_outputs_a_constant(capsys):
    mc.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    nn.init.constant_(model[1].bias, -100.0)            # every ReLU dead: the output is a constant
    x = np.random.default_rng(0).random((32, 1, 28, 28), dtype=np.float32)
    y = np.arange(32) % 10
    nn.init.zeros_(model[3].bias)
    rep = mc.diagnose(model, x, y)
    text = " ".join(rep["findings"])
    assert "ln(10)" in text and "100% of the units after 2 are dead" in text and "same logits for every input" in text
    assert "layer" in capsys.readouterr().out


def test_diagnose_finds_vanishing_gradients_and_unscaled_inputs():
    mc.manual_seed(1)
    layers = [nn.Flatten(), nn.Linear(784, 64), nn.Tanh()]
    for _ in range(8):
        layers += [nn.Linear(64, 64), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(64, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
    x = np.random.default_rng(0).random((16, 1, 28, 28), dtype=np.float32) * 255
    rep = mc.diagnose(model, x, np.arange(16) % 10, print_fn=None)
    text = " ".join(rep["findings"])
    assert "gradients vanish from layer" in text and "unscaled" in text and "shrink" in text


def test_diagnose_is_quiet_on_a_healthy_network():
    mc.manual_seed(2)
    x = np.random.default_rng(0).random((32, 1, 28, 28), dtype=np.float32)
    rep = mc.diagnose(lenet5(), x, np.arange(32) % 10, print_fn=None)
    assert not [f for f in rep["findings"] if "dead" in f or "vanish" in f or "every input" in f]


def test_profiler_times_forward_and_backward_of_each_op():
    model = lenet5()
    x = mc.tensor(np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32))
    with mc.profiler.profile() as prof:
        F.cross_entropy(model(x), np.arange(8)).backward()
    totals = prof.totals()
    assert totals["Conv2dIm2col"][2] == 2 and totals["Conv2dIm2col"][0] > 0 and totals["Conv2dIm2col"][1] > 0
    assert {"Linear", "ReLU", "AvgPool2d", "CrossEntropy"} <= set(totals)
    assert "Conv2d" in prof.table() and mc.autograd.profiler is None


def test_pictures(tmp_path):
    from PIL import Image
    from minicnn import plot
    model = lenet5()
    plot.plot_model(model, (1, 28, 28), tmp_path / "model.png")
    plot.plot_filters(model[0].weight, tmp_path / "filters.png")
    x = mc.tensor(np.random.default_rng(0).random((1, 1, 28, 28), dtype=np.float32))
    plot.plot_feature_maps(FeatureExtractor(model, ["1", "4"])(x), tmp_path / "maps.png")
    for name in ("model.png", "filters.png", "maps.png"):
        with Image.open(tmp_path / name) as im:
            assert len(np.unique(np.asarray(im.convert("L")))) > 10, name


def test_diagnose_command_and_callback(tmp_path, capsys):
    from minicnn.cli import main
    from minicnn.train import DiagnosticsCallback
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=64, n_test=16)
    assert main(["diagnose", "--dataset", "mnist", "--data-root", str(data), "--no-download",
                 "--batch-size", "32", "--out", str(tmp_path)]) == 0
    assert "|grad|" in capsys.readouterr().out and (tmp_path / "diagnostics.png").exists()
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10))
    nn.init.constant_(model[1].bias, -50.0)
    x = np.random.default_rng(0).random((32, 1, 28, 28), dtype=np.float32)
    y = np.arange(32) % 10
    cb = DiagnosticsCallback(x, y)
    from minicnn.data import ArrayDataset, DataLoader
    mc.fit(model, DataLoader(ArrayDataset(x, y), batch_size=16), epochs=2,
           optimizer=mc.optim.SGD(model.parameters(), lr=0.01), callbacks=[cb], verbose=0)
    assert len(cb.reports) == 2 and any("dead" in f for f in cb.reports[-1]["findings"])
    assert "diagnostics after epoch 2" in capsys.readouterr().out


def test_plot_graph_and_columns(tmp_path):
    """The learning path's two pictures: the autograd graph (drawn before backward, which frees it)
    and im2col's column matrix, whose numbers are the textbook im2col's."""
    from minicnn import plot
    from minicnn.functional.conv_algorithms.im2col import im2col_reference
    a, b = mc.tensor(2.0, requires_grad=True), mc.tensor(3.0, requires_grad=True)
    y = (a * b + a).exp() * b
    plot.plot_graph(y, tmp_path / "graph.png", names={id(a): "a", id(b): "b"})
    assert (tmp_path / "graph.png").stat().st_size > 0
    nodes, edges = plot._graph(y, {})
    assert sorted(n[1] for n in nodes if n[3] == "op") == ["Add", "Exp", "Mul", "Mul"]
    assert len(edges) == 7                          # a, b -> Mul; Mul, a -> Add; Add -> Exp; Exp, b -> Mul
    y.backward()
    with pytest.raises(ValueError, match="freed"):
        plot.plot_graph(y, tmp_path / "again.png")
    with pytest.raises(ValueError, match="no graph"):
        plot.plot_graph(a, tmp_path / "leaf.png")
    x = np.arange(1, 26, dtype=np.float64).reshape(1, 5, 5)
    col = plot.plot_columns(x, (3, 3), tmp_path / "cols.png", stride=(2, 2), padding=(1, 1, 1, 1))
    np.testing.assert_array_equal(col, im2col_reference(x[None], (3, 3), (2, 2), (1, 1, 1, 1)).T)
    assert col.shape == (9, 9) and col[:, 0].tolist() == [0, 0, 0, 0, 1, 2, 0, 6, 7]
