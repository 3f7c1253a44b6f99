"""Everything a user runs, on every device: layers and models, fit / evaluate / predict with each
kind of data, callbacks, state dicts across devices in all four directions, optimizer state,
training checkpoints and resume, diagnostics, feature extraction, summary, the profiler,
distributed training in a world of one and the command line. "cuda" runs on a GPU where there is
one, and on the strict CuPy stand-in (tests/cupy_standin.py) with MINICNN_CUDA_STANDIN=1 in CI."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader
from minicnn.models import FeatureExtractor
from minicnn.train import DiagnosticsCallback, TrainingCheckpoint, load_checkpoint


def small_net():
    mc.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def data(n=24):
    rs = np.random.default_rng(0)
    x = rs.standard_normal((n, 1, 8, 8)).astype(np.float32)
    return x, (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64) + (x[:, 0, 0, 0] > 1)


def host(a):
    return a.numpy() if isinstance(a, mc.Tensor) else a.get() if hasattr(a, "get") else np.asarray(a)


def test_fit_evaluate_predict_with_every_kind_of_data(device):
    x, y = data()
    model = small_net().to(device)
    opt = mc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xd = mc.tensor(x).to(device)
    loader = DataLoader(ArrayDataset(x, y), batch_size=8, device=device)
    hist = mc.fit(model, loader, epochs=2, optimizer=opt, validation_data=(x, y), verbose=0)   # NumPy pair
    mc.fit(model, (x, y), epochs=1, batch_size=6, optimizer=opt, validation_data=loader, verbose=0)
    assert len(hist.history["val_loss"]) == 2 and np.isfinite(hist.history["loss"]).all()
    for what in ((x, y), loader):
        assert 0 <= mc.evaluate(model, what)["accuracy"] <= 1
    expect = mc.predict(model, x)
    for what in (xd, xd.array, loader):                      # a Tensor, a device array, a DataLoader
        np.testing.assert_allclose(mc.predict(model, what), expect, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_state_dicts_load_across_devices_in_every_direction(device, target):
    if "cuda" in (device, target) and not mc.cuda_available():
        pytest.skip("needs CuPy and a GPU (or the stand-in)")
    src, dst = small_net().to(device), small_net().to(target)
    src(mc.tensor(data()[0]).to(device))                    # training mode: running statistics move
    for p in dst.parameters():
        p.data *= 0
    dst.load_state_dict(src.state_dict())
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        np.testing.assert_array_equal(host(a), host(b), err_msg=k)
        assert mc.backend.device_of(b) == target, k
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(small_net().to(device))
    assert all(mc.backend.device_of(v) == device for v in synced.state_dict().values())


def test_checkpoints_resume_bit_for_bit(device, tmp_path):
    """2 epochs = 1 + resume + 1, bit for bit, dropout masks included (the GPU's random stream too)."""
    x, y = data()

    def run(epochs, path, resume=None):
        model = small_net().to(device)
        opt = mc.optim.Adam(model.parameters(), lr=0.01)
        sched = mc.optim.lr_scheduler.StepLR(opt, 1, 0.5)
        loader = DataLoader(ArrayDataset(x, y), batch_size=8, shuffle=True, seed=3, device=device)
        history, start = None, 0
        if resume:
            info = load_checkpoint(resume, model, opt, sched, loader)
            history, start = info["history"], info["epoch"]
        else:
            mc.manual_seed(5)
        history = mc.fit(model, loader, epochs=epochs, optimizer=opt, scheduler=sched, initial_epoch=start,
                         history=history, verbose=0, callbacks=[TrainingCheckpoint(path, opt, sched, loader)])
        return model, history

    straight, h1 = run(2, tmp_path / "a.npz")
    run(1, tmp_path / "b.npz")
    resumed, h2 = run(2, tmp_path / "c.npz", resume=tmp_path / "b.npz")
    assert h1.history["loss"] == h2.history["loss"]
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        np.testing.assert_array_equal(host(a), host(b), err_msg=k)


def test_diagnostics_features_summary_and_profiler(device):
    x, y = data()
    model = small_net().to(device)
    report = mc.diagnose(model, x, y, print_fn=None)             # NumPy data into a model on the device
    assert report["layers"] and report["loss"] > 0
    cb = DiagnosticsCallback(x[:8], y[:8], verbose=0)
    mc.fit(model, DataLoader(ArrayDataset(x, y), batch_size=8, device=device), epochs=1,
           optimizer=mc.optim.SGD(model.parameters(), lr=0.01), callbacks=[cb], verbose=0)
    assert len(cb.reports) == 1
    feats = FeatureExtractor(model, ["2", "5"])(mc.tensor(x).to(device))
    assert feats["2"].device == device and feats["5"].shape == (24, 64)
    info = model.summary((1, 8, 8), print_fn=lambda *a: None, device=device)
    assert info["trainable_params"] == sum(p.numel() for p in model.parameters()) and info["non_trainable_params"] == 8
    with mc.profiler.profile() as prof:
        model(mc.tensor(x).to(device)).sum().backward()
    assert "Conv2d" in prof.table()


def test_distributed_helpers_in_a_world_of_one(device):
    model = small_net().to(device)
    model(mc.tensor(data()[0]).to(device)).sum().backward()
    before = [host(p.grad) for p in model.parameters()]
    mc.distributed.broadcast_parameters(model)
    assert mc.distributed.average_gradients(model.parameters(), count=24) == 24
    for b, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(b, host(p.grad))


def test_the_command_line_trains_on_the_device(device, tmp_path):
    from minicnn.cli import main
    from test_data import fake_mnist
    data_root = fake_mnist(tmp_path / "data", n_train=64, n_test=32)
    assert main(["train", "--dataset", "mnist", "--data-root", str(data_root), "--no-download", "--epochs", "1",
                 "--batch-size", "16", "--quiet", "--device", device, "--out", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "metrics.json").exists()


@pytest.mark.gpu
def test_a_fit_step_reads_the_device_once_and_copies_only_the_batch():
    import cupy
    if not hasattr(cupy, "STATS"):
        pytest.skip("the counters are the stand-in's (MINICNN_CUDA_STANDIN=1)")
    from minicnn.models import lenet5
    mc.manual_seed(0)
    model = lenet5().to("cuda")
    rs = np.random.default_rng(0)
    x, y = rs.random((320, 1, 28, 28), dtype=np.float32), rs.integers(0, 10, 320)
    loader = DataLoader(ArrayDataset(x, y), batch_size=32, device="cuda")
    opt = mc.optim.Adam(model.parameters())
    mc.fit(model, loader, epochs=1, optimizer=opt, verbose=0)          # first steps create the state
    cupy.STATS.update(to_host=0, to_device=0)
    mc.fit(model, loader, epochs=1, optimizer=opt, verbose=0)
    steps = len(loader)
    # the NaN guard's one value a step; once an epoch its loss and accuracy sums and the guard's weight check
    assert cupy.STATS["to_host"] <= steps + 3
    assert cupy.STATS["to_device"] == 2 * steps          # the batch (images and labels), nothing else


def test_class_indices_out_of_range(device):
    logits = mc.tensor(np.zeros((3, 4), np.float32), requires_grad=True).to(device)
    target = mc.tensor(np.array([0, 7, 2])).to(device)
    if device == "cpu":
        with pytest.raises(ValueError, match=r"in \[0, 3\]"):
            mc.functional.cross_entropy(logits, target)
    else:                                                # no read-back on a GPU: a NaN that the guard stops on
        assert np.isnan(mc.functional.cross_entropy(logits, target).item())
        assert np.isfinite(mc.functional.cross_entropy(logits, mc.tensor(np.array([0, 1, 2])).to(device)).item())


def test_pretrained_weights_and_optimizer_state_load_onto_the_device(device, tmp_path):
    from minicnn.pretrained import load_weights
    src = small_net()
    src(mc.tensor(data()[0]))
    mc.save({"state_dict": dict(src.state_dict())}, tmp_path / "converted.npz")   # the converter's layout
    model = small_net().to(device)
    load_weights(model, tmp_path / "converted.npz")
    for (k, a), (_, b) in zip(src.state_dict().items(), model.state_dict().items()):
        np.testing.assert_array_equal(host(a), host(b), err_msg=k)
    opt = mc.optim.Adam(model.parameters())
    model(mc.tensor(data()[0]).to(device)).sum().backward()
    opt.step()
    fresh = mc.optim.Adam(model.parameters())
    fresh.load_state_dict(opt.state_dict())                 # saved on the host, restored onto the device
    assert all(mc.backend.device_of(v) == device for s in fresh.state.values() for v in s.values()
               if hasattr(v, "shape"))
