"""The faults, bad files and mistakes that broke minicnn when it was attacked (issue "nothing lost and
nothing cryptic"): each test failed on the code before the fix."""
import os

import numpy as np
import pytest
from PIL import Image

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


# ---------------------------------------------------------------- mc.save / mc.load
def test_user_keys_never_collide_with_the_file_format(tmp_path):
    state = {"__list__": [1, 2], "__array__": "x", "__int__7": 3, 7: "seven", "__dict__": {"a": np.ones(2)},
             "nested": ({"__tuple__": None}, [float("nan"), float("inf")]), "tags": ["__list__", {"__float__": 1}]}
    mc.save(state, tmp_path / "s.npz")
    back = mc.load(tmp_path / "s.npz")
    assert back["__list__"] == [1, 2] and back["__array__"] == "x" and back["__int__7"] == 3 and back[7] == "seven"
    assert back["__dict__"]["a"].tolist() == [1.0, 1.0] and back["nested"][0] == {"__tuple__": None}
    assert np.isnan(back["nested"][1][0]) and back["nested"][1][1] == float("inf")
    assert back["tags"] == ["__list__", {"__float__": 1}]


def test_files_of_the_first_format_still_load(tmp_path):
    import json
    import zipfile
    path = tmp_path / "old.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__meta__.json", json.dumps({"format": "minicnn-1", "state": {
            "w": {"__array__": "0.npy"}, "__int__3": {"__list__": [1, 2], "tuple": True}}}))
        with zf.open("0.npy", "w") as f:
            np.lib.format.write_array(f, np.arange(3.0))
    back = mc.load(path)
    assert back["w"].tolist() == [0.0, 1.0, 2.0] and back[3] == (1, 2)


def _saved(tmp_path, **arrays):
    path = tmp_path / "ok.npz"
    mc.save(arrays or {"w": np.arange(1000, dtype=np.float32)}, path)
    return path


@pytest.mark.parametrize("cut", [10, 200, -22, -100])
def test_truncated_files_are_named_as_such(tmp_path, cut):
    path = _saved(tmp_path)
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:cut] if cut > 0 else data[:len(data) + cut])
    with pytest.raises(ValueError, match=r"cut\.npz is (truncated|damaged)"):
        mc.load(tmp_path / "cut.npz")


def test_damaged_member_metadata_and_versions_are_named(tmp_path):
    import json
    import zipfile
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    i = data.index(b"NUMPY") + 200                      # a byte inside the array's data
    data[i] ^= 0xFF
    (tmp_path / "flip.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"flip\.npz is damaged: member 0\.npy cannot be read"):
        mc.load(tmp_path / "flip.npz")
    for name, meta in [("json.npz", b"{not json"), ("ver.npz", json.dumps({"format": "minicnn-9", "state": {}}).encode())]:
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            zf.writestr("__meta__.json", meta)
    with pytest.raises(ValueError, match=r"json\.npz is damaged: __meta__\.json"):
        mc.load(tmp_path / "json.npz")
    with pytest.raises(ValueError, match="format 'minicnn-9'.*newer"):
        mc.load(tmp_path / "ver.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a minicnn file.*numpy.load"):
        mc.load(tmp_path / "plain.npz")


def test_a_member_larger_than_its_header_says_is_refused_before_it_is_inflated(tmp_path):
    import json
    import zipfile
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("__meta__.json", json.dumps({"format": "minicnn-2", "state": {"__array__": "0.npy"}}))
        io_header = __import__("io").BytesIO()
        np.lib.format.write_array(io_header, np.zeros(1, np.float32))
        zf.writestr("0.npy", io_header.getvalue() + bytes(64 << 20))      # 64 MB of zeros: a few KB compressed
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"says \(1,\) float32 \(4 bytes\) but holds 67,108,868 bytes"):
        mc.load(path)


def _zip(path, members, compression=None):
    import zipfile
    with zipfile.ZipFile(path, "w", compression or zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_the_metadata_and_every_member_are_bounded_before_they_are_inflated(tmp_path):
    """A 0.1 MB file whose __meta__.json inflates to 80 MB, and a member compressed past deflate's own
    ratio, are refused from the zip directory: nothing is inflated."""
    import zipfile
    meta = b'{"format": "minicnn-2", "state": 1' + b" " * (80 << 20) + b"}"
    path = _zip(tmp_path / "meta.npz", {"__meta__.json": meta}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"meta\.npz is damaged: its __meta__\.json says 83,886,115 bytes"):
        mc.load(path)
    header = __import__("io").BytesIO()
    np.lib.format.write_array(header, np.zeros(4 << 20, np.float32))
    path = _zip(tmp_path / "bz.npz", {"__meta__.json": '{"format": "minicnn-2", "state": {"__array__": "0.npy"}}',
                                      "0.npy": header.getvalue()}, zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match=r"member 0\.npy would inflate from \d+ to 16,777,344 bytes"):
        mc.load(path)


def _flip_central(data, name, offset, value):
    """``data`` with the central-directory entry of ``name`` changed at ``offset`` (a 2-byte field)."""
    at = data.rindex(b"PK\x01\x02", 0, data.rindex(name.encode()))
    return data[:at + offset] + value.to_bytes(2, "little") + data[at + offset + 2:]


@pytest.mark.parametrize("case", ["tokens", "version", "encrypted", "pair", "int-list", "deep", "float", "v1-key"])
def test_damaged_files_are_named_with_what_is_wrong(tmp_path, case):
    """Each of these once surfaced as Python's own error (TokenError, "zip file version 23.5", "File
    '__meta__.json' is encrypted", "not enough values to unpack", "'int' object is not iterable",
    RecursionError); each is now a ValueError that names the file and calls it damaged."""
    import json
    meta = lambda state, fmt="minicnn-2": json.dumps({"format": fmt, "state": state})
    path = tmp_path / "bad.npz"
    if case == "tokens":
        data = _saved(tmp_path).read_bytes()
        path.write_bytes(data.replace(b"(1000,)", b"(1000, "))   # the .npy header's tuple left open
    elif case in ("version", "encrypted"):
        data = _saved(tmp_path).read_bytes()
        path.write_bytes(_flip_central(data, "__meta__.json", 6, 235) if case == "version"
                         else _flip_central(data, "__meta__.json", 8, 1))
    else:
        state = {"pair": {"__dict__": [["a"]]}, "int-list": {"__list__": 5}, "float": {"__float__": "1e999x"},
                 "deep": None, "v1-key": {"__int__x": 1}}[case]
        text = ('{"format": "minicnn-2", "state": ' + '{"__list__": [' * 100000 + "]}" * 100000 + "}"
                if case == "deep" else meta(state, "minicnn-1" if case == "v1-key" else "minicnn-2"))
        _zip(path, {"__meta__.json": text})
    with pytest.raises(ValueError, match=r"mc\.load: .*bad\.npz is (truncated or )?damaged"):
        mc.load(path)


def test_a_killed_save_leaves_no_lasting_temporary_file_and_files_get_normal_permissions(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "ck.npz"
    stale = tmp_path / ".ck.npz.tmp-999999999"          # what a process killed mid-save leaves
    stale.write_bytes(b"x" * 1000)
    mc.save({"w": np.zeros(3)}, path)
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"]
    mode = path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    code = (f"import minicnn as mc, numpy as np, os, signal\n"
            f"import numpy.lib.format as fmt\n"
            f"real = fmt.write_array\n"
            f"def die(*a, **k): os.kill(os.getpid(), signal.SIGKILL)\n"
            f"fmt.write_array = die\n"
            f"mc.save({{'w': np.ones(3)}}, {str(path)!r})\n")
    subprocess.run([sys.executable, "-c", code])
    assert any(n.startswith(".ck.npz.tmp-") for n in os.listdir(tmp_path))
    mc.save({"w": np.ones(3)}, path)
    assert sorted(os.listdir(tmp_path)) == ["ck.npz"] and mc.load(path)["w"].tolist() == [1, 1, 1]


# ---------------------------------------------------------------- the command line
def _cli(args, cwd, env_extra=None):
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "MINICNN_DEBUG"} | {"MINICNN_OFFLINE": "1"} | (env_extra or {})
    return subprocess.run([sys.executable, "-m", "minicnn", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          errors="replace")                       # names that are not UTF-8 come out raw


def _snapshot(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_cli_mistakes_give_one_line_an_exit_status_and_write_nothing(tmp_path):
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=64, n_test=32)
    (tmp_path / "images" / "cats").mkdir(parents=True)                    # a class folder without images
    for cls in ("ants", "bees"):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / "pics" / cls / f"{i}.png")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    work = tmp_path / "work"
    work.mkdir()
    mnist = ["--dataset", "mnist", "--data-root", str(data), "--no-download"]
    mistakes = [
        (["train", "--model", "lenet6"], 2, "unknown model 'lenet6'"),
        (["train", "--batch-size", "0"], 2, "--batch-size: must be positive"),
        (["train", "--epochs", "-1"], 2, "--epochs: must be positive"),
        (["train", "--lr", "-0.1"], 2, "--lr: must be positive"),
        (["train", "--dataset", str(tmp_path / "nowhere")], 2, "not one of fashion-mnist"),
        (["train", "--dataset", str(tmp_path / "images")], 1, "no readable images"),
        (["train", "--dataset", "mnist", "--data-root", str(tmp_path / "work"), "--no-download"], 1, "mnist"),
        (["train", *mnist, "--device", "cuda"], 1, "CuPy"),
        (["train", *mnist, "--resume", str(tmp_path / "junk.npz")], 1, "junk.npz is truncated or damaged"),
        (["train", *mnist, "--resume", str(tmp_path / "missing.npz")], 1, "missing.npz: no such file"),
        (["summary", "lenet5", "--input", "28,28"], 2, "give the input shape as C,H,W"),
        (["summary", "resnet99"], 2, "unknown model 'resnet99'"),
        (["diagnose", *mnist, "--weights", str(tmp_path / "missing.npz")], 1, "missing.npz: no such file"),
        (["train", "--frobnicate"], 2, "unrecognized arguments: --frobnicate"),
        # every value is checked before anything is written (some once traced back after an epoch)
        (["train", *mnist, "--schedule", "step", "--step-size", "0"], 2, "--step-size: must be positive"),
        (["train", *mnist, "--gamma", "0"], 2, "--gamma: must be positive"),
        (["train", *mnist, "--gamma", "nan"], 2, "--gamma: must be a finite number"),
        (["train", *mnist, "--milestones", "a,b"], 2, "--milestones: expected epochs separated by commas"),
        (["train", *mnist, "--schedule", "multistep"], 2, "--schedule multistep needs --milestones"),
        (["train", "--dataset", str(tmp_path / "pics"), "--image-size", "1"], 2, "--image-size 1: lenet5 cannot take"),
        (["train", "--dataset", str(tmp_path / "pics"), "--model", "vgg16", "--image-size", "8"], 2,
         "--image-size 8: vgg16 cannot take 3x8x8"),
        (["summary", "lenet5", "--input", "1,2,2"], 2, "--input 1,2,2: lenet5 cannot take this input"),
        (["train", *mnist, "--lr", "inf"], 2, "--lr: must be a finite number"),
        (["train", *mnist, "--weight-decay", "-0.1"], 2, "--weight-decay: must be zero or more"),
        (["train", *mnist, "--momentum", "-1"], 2, "--momentum: must be zero or more"),
        (["train", *mnist, "--device", "tpu"], 2, "--device: unknown device 'tpu'"),
        (["train", *mnist, "--seed", "-1"], 2, "--seed: must be zero or more"),
        (["train", *mnist], 2, "MINICNN_DEBUG='false-ish'", {"MINICNN_DEBUG": "false-ish"}),
    ]
    before = _snapshot(tmp_path)
    for args, status, message, *env in mistakes:
        res = _cli(args + (["--out", str(tmp_path / "out")] if args[0] == "train" else []), work, *env)
        what = f"{args}: {res.stderr}"
        assert res.returncode == status, what
        assert "Traceback" not in res.stderr and message in res.stderr, what
        assert len(res.stderr.strip().splitlines()) <= 8, what                # a sentence (a list of places at most)
        assert _snapshot(tmp_path) == before, what                        # no folder, no config, nothing
    res = _cli(["train", "--model", "lenet6", "--debug"], work)
    assert "Traceback" in res.stderr and res.returncode != 0


def test_cli_version_and_help_show_every_default_and_the_models(tmp_path):
    from minicnn import __version__
    assert _cli(["--version"], tmp_path).stdout.strip() == f"minicnn {__version__}"
    text = " ".join(_cli(["train", "--help"], tmp_path).stdout.split())
    for default in ("(default: lenet5)", "(default: fashion-mnist)", "(default: 10)", "(default: 32)",
                    "(default: adam)", "(default: cpu)", "(default: 0)", "(default: none)", "vgg16_cifar", "resnet50"):
        assert default in text, default


def test_resume_takes_the_runs_options_and_refuses_contradictions(tmp_path):
    """The run's options are the truth: an SGD run resumed without --optimizer stays SGD (it once said
    "error: step"), a contradicting flag is refused naming both values, --epochs may grow; a finished run
    is refused when its reports are all there."""
    from minicnn.cli import main
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=128, n_test=32)
    out = tmp_path / "run"
    base = ["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--quiet"]
    assert main(base + ["--epochs", "1", "--out", str(out), "--optimizer", "sgd", "--lr", "0.05",
                        "--schedule", "step", "--step-size", "1", "--batch-size", "16"]) == 0
    config = (out / "config.json").read_text()
    resume = ["train", "--resume", str(out / "checkpoint.npz")]
    before = _snapshot(tmp_path)
    for flag, value, saved in [("--batch-size", "32", "16"), ("--optimizer", "adam", "'sgd'"),
                               ("--dataset", "fashion-mnist", "'mnist'"), ("--schedule", "none", "'step'")]:
        res = _cli(resume + ["--epochs", "2", flag, value], tmp_path)
        assert res.returncode == 2 and f"{flag} {value} (the run has {saved})" in res.stderr, res.stderr
        assert _snapshot(tmp_path) == before
    assert main(resume + ["--epochs", "2", "--batch-size", "16", "--quiet"]) == 0      # agreeing flags are fine
    assert (out / "config.json").read_text() == config                    # the run's first config kept
    hist = __import__("json").loads((out / "history.json").read_text())
    assert hist["lr"] == pytest.approx([0.05, 0.005])                     # SGD and its step schedule went on
    before = _snapshot(tmp_path)
    res = _cli(resume + ["--epochs", "2"], tmp_path)
    assert res.returncode == 2 and "has finished 2 epochs already" in res.stderr    # finished: nothing to do
    assert _snapshot(tmp_path) == before
    # a run's training checkpoint is a fine --weights for diagnose (it once gave a raw KeyError)
    assert main(["diagnose", "--dataset", "mnist", "--data-root", str(data), "--no-download",
                 "--weights", str(out / "checkpoint.npz"), "--out", str(tmp_path / "diag")]) == 0


def test_a_finished_run_whose_reports_were_lost_gets_them_on_resume(tmp_path):
    """Killed after the last checkpoint (or the disk full at the very end): --resume writes what is
    missing instead of refusing; no report is ever left empty."""
    from minicnn.cli import main
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=64, n_test=32)
    out = tmp_path / "run"
    assert main(["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--quiet",
                 "--epochs", "2", "--out", str(out)]) == 0
    metrics = (out / "metrics.json").read_text()
    (out / "metrics.json").unlink()
    (out / "history.json").write_text("")                                 # as a full disk once left it
    (out / "confusion.png").unlink()
    assert main(["train", "--resume", str(out / "checkpoint.npz")]) == 0
    import json
    assert json.loads((out / "metrics.json").read_text())["final_test_accuracy"] == \
        json.loads(metrics)["final_test_accuracy"]
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 2 and (out / "confusion.png").stat().st_size


def test_a_run_holds_its_folder_and_never_replaces_results_unasked(tmp_path):
    from minicnn.cli import _holding
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=64, n_test=32)
    out = tmp_path / "run"
    base = ["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--quiet", "--epochs", "1",
            "--out", str(out)]
    with _holding(str(out)):                                              # a live run holds it
        res = _cli(base, tmp_path)
        assert res.returncode == 2 and f"in use by run PID {os.getpid()}" in res.stderr, res.stderr
    assert not os.path.exists(out / ".lock")                               # let go when the run ends
    (out / ".lock").write_text("run PID 999999999 on a machine long gone")  # a dead run's lock: taken over
    assert _cli(base, tmp_path).returncode == 0
    best = (out / "best.npz").read_bytes()
    res = _cli(base + ["--seed", "3"], tmp_path)
    assert res.returncode == 2 and "holds the results of an earlier run" in res.stderr and "--overwrite" in res.stderr
    assert (out / "best.npz").read_bytes() == best
    assert _cli(base + ["--seed", "3", "--overwrite"], tmp_path).returncode == 0
    assert (out / "best.npz").read_bytes() != best and not (out / ".lock").exists()


@pytest.mark.parametrize("name", ["data{epoch}", "out{0}", "caf\udce9"])
def test_names_from_the_user_or_the_disk_are_neither_templates_nor_fatal(tmp_path, name):
    """An image folder named data{epoch} once sent best.npz elsewhere, --out 'out{0}' crashed after
    epoch 1, and a class folder whose name is not UTF-8 (caf\\xe9 in Latin-1) crashed the plots."""
    root = tmp_path / name
    for cls in ("plain", name):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((12, 12, 3), 20 * i + (cls == name) * 100, np.uint8)).save(root / cls / f"{i}.png")
    out = tmp_path / "runs" / name
    res = _cli(["train", "--dataset", str(root), "--image-size", "28", "--epochs", "1", "--batch-size", "4",
                "--quiet", "--out", str(out)], tmp_path, {"PYTHONIOENCODING": "utf-8"})    # strict UTF-8 output
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(tmp_path / "runs")) == [name]
    assert {"best.npz", "metrics.json", "confusion.png", "predictions.png"} <= set(os.listdir(out))


def test_ctrl_c_says_where_it_stopped_and_how_to_resume(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=512, n_test=32)
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "MINICNN_DEBUG"}
    proc = subprocess.Popen([sys.executable, "-m", "minicnn", "train", "--dataset", "mnist", "--data-root", str(data),
                             "--no-download", "--quiet", "--epochs", "1000", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            # a job started in the background by a shell ignores SIGINT, and so would this
                            # child: give it the default disposition, as a terminal's foreground job has
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not (out / "checkpoint.npz").exists() and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and "interrupted during epoch" in err
    assert f"--resume {out / 'checkpoint.npz'}" in err
    assert mc.load(out / "checkpoint.npz")["epoch"] >= 1 and not (out / ".lock").exists()


def test_a_resumed_fit_does_not_overwrite_the_best_checkpoint_with_a_worse_epoch(tmp_path):
    from minicnn.train import History, ModelCheckpoint
    model = _bn_net()
    cb = ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy")
    cb.model, cb.history = model, History({"val_accuracy": [0.5, 0.9]}, [0, 1])
    cb.on_train_begin()
    cb.on_epoch_end(2, {"val_accuracy": 0.6})
    assert not (tmp_path / "best.npz").exists() and cb.best == 0.9
    cb.on_epoch_end(3, {"val_accuracy": 0.95})
    assert (tmp_path / "best.npz").exists() and cb.best == 0.95


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_run_stopped_by_the_nan_guard_exits_non_zero_and_says_so_in_its_metrics(tmp_path, monkeypatch):
    import json
    from minicnn import train as train_module
    from minicnn.cli import main
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data", n_train=128, n_test=32)
    real_fit = train_module.fit

    def fit_then_nan(model, loader, epochs, **kw):          # epoch 1 trains; epoch 2 meets a NaN loss
        history = real_fit(model, loader, epochs=1, **kw)
        err = train_module.NonFiniteError("training stopped at step 9: the loss is nan", 9, None, history)
        raise err
    monkeypatch.setattr(mc, "fit", fit_then_nan)
    out = tmp_path / "run"
    status = main(["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--epochs", "4",
                   "--batch-size", "16", "--quiet", "--out", str(out)])
    assert status == 3
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1 and metrics["epochs_asked"] == 4
    assert metrics["stopped"]["step"] == 9 and "finished epoch" in metrics["stopped"]["best_is_over"]


def test_an_update_that_overflows_from_finite_values_is_caught_and_never_saved(tmp_path, monkeypatch):
    """lr=1e38 is a finite setting and the gradients are finite, yet the update overflows float32: the
    guard stops right after the step naming the layer, and the command line reports on the last
    checkpoint's weights instead of the lost ones."""
    import json
    from minicnn import train as train_module
    from minicnn.cli import main
    from test_data import fake_mnist
    for n in (8, 24):                  # the epoch's last step (checked before validation), a step inside it
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        x, y = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32) * 100, np.arange(n) % 3
        with pytest.raises(NonFiniteError, match=r"after step 1: its update made the weights of layer '1' "
                                                 r"\(1\.(weight|bias)\) non-finite although the loss, every gradient"), \
                np.errstate(over="ignore", invalid="ignore"):                  # NumPy's own word on the overflow
            train_module.fit(model, (x, y), optimizer=mc.optim.SGD(model.parameters(), lr=1e38), verbose=0,
                             batch_size=8, validation_data=(x, y))

    data = fake_mnist(tmp_path / "data", n_train=128, n_test=32)
    real_fit = train_module.fit

    def fit_then_overflow(model, loader, epochs, **kw):
        history = real_fit(model, loader, epochs=1, **kw)
        for p in model.parameters():
            p.data[...] = np.inf
        raise train_module.NonFiniteError("its update made the weights non-finite", 9, "0", history, after_update=True)
    monkeypatch.setattr(mc, "fit", fit_then_overflow)
    out = tmp_path / "run"
    assert main(["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--epochs", "3",
                 "--batch-size", "16", "--quiet", "--out", str(out)]) == 3
    metrics = json.loads((out / "metrics.json").read_text())
    history = json.loads((out / "history.json").read_text())
    assert metrics["final_test_accuracy"] == history["val_accuracy"][0]          # the checkpoint's weights
    assert metrics["stopped"]["final_weights"] == "those of the checkpoint after epoch 1"


# ---------------------------------------------------------------- data
def _jpeg(path, colour=(200, 30, 30)):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (12, 10), colour).save(path, quality=90)
    return path


def test_image_folder_ignores_hidden_and_empty_folders_and_hidden_files(tmp_path):
    from minicnn.data import datasets
    _jpeg(tmp_path / "cats" / "a.jpg")
    _jpeg(tmp_path / "cats" / ".b.jpg")                  # hidden: not a sample
    _jpeg(tmp_path / "dogs" / "c.jpg")
    _jpeg(tmp_path / ".ipynb_checkpoints" / "d.jpg")     # hidden folder: not a class
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    with pytest.warns(UserWarning, match="empty, notes"):
        ds = datasets.ImageFolder(tmp_path)
    assert ds.classes == ["cats", "dogs"] and len(ds) == 2 and all(".b" not in p for p, _ in ds.samples)


def test_image_folder_skips_a_truncated_jpeg_and_keeps_one_with_data_after_its_end(tmp_path):
    from minicnn.data import datasets
    good = _jpeg(tmp_path / "cats" / "good.jpg")
    cut = _jpeg(tmp_path / "cats" / "cut.jpg", (10, 200, 10))
    cut.write_bytes(cut.read_bytes()[:-40])
    tail = _jpeg(tmp_path / "cats" / "tail.jpg", (10, 10, 200))
    tail.write_bytes(tail.read_bytes() + b"\0" * 500)     # a camera's trailer after the image's end
    _jpeg(tmp_path / "dogs" / "d.jpg")
    with pytest.warns(UserWarning, match="cut.jpg"):
        ds = datasets.ImageFolder(tmp_path)
    names = sorted(os.path.basename(p) for p, _ in ds.samples)
    assert names == ["d.jpg", "good.jpg", "tail.jpg"] and good.exists()
    x, y = ds.get_batch(np.arange(len(ds)))               # every kept image decodes
    assert x.shape == (3, 3, 10, 12)
    os.remove(ds.samples[0][0])                           # damaged after the scan: the error names the file
    with pytest.raises(ValueError, match="cannot read .*good.jpg"):
        ds.get_batch(np.arange(len(ds)))


def test_a_one_image_folder_cannot_be_split(tmp_path):
    from minicnn.data import datasets
    _jpeg(tmp_path / "cats" / "a.jpg")
    with pytest.raises(ValueError, match="at least 2"):
        datasets.image_folder_splits(tmp_path)


def test_idx_labels_out_of_range_are_refused(tmp_path):
    from minicnn.data import datasets
    from test_data import fake_mnist, write_idx
    fake_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.full(32, 12))
    with pytest.raises(ValueError, match="labels .* go up to 12, but there are 10 classes"):
        datasets.MNIST(tmp_path, train=False, download=False, verify=False)


@pytest.mark.parametrize("case", ["ndim1", "ndim4", "ndim255", "swapped", "no-images", "0x0"])
def test_idx_files_of_the_wrong_shape_are_named(tmp_path, case):
    """Once "axes don't match array", IndexError or ZeroDivisionError; now the file and what is wrong."""
    from minicnn.data import datasets
    from test_data import fake_mnist, write_idx
    fake_mnist(tmp_path)
    images, labels = tmp_path / "t10k-images-idx3-ubyte", tmp_path / "t10k-labels-idx1-ubyte"
    if case == "ndim1":
        write_idx(images, np.zeros(32 * 28 * 28))
    elif case == "ndim4":
        write_idx(images, np.zeros((32, 28, 28, 1)))
    elif case == "ndim255":
        images.write_bytes(bytes([0, 0, 8, 255]) + bytes(40))
    elif case == "swapped":
        data_i, data_l = images.read_bytes(), labels.read_bytes()
        images.write_bytes(data_l)
        labels.write_bytes(data_i)
    elif case == "no-images":
        write_idx(images, np.zeros((0, 28, 28)))
        write_idx(labels, np.zeros(0))
    else:
        write_idx(images, np.zeros((32, 0, 0)))
    message = {"ndim1": "has 1 dimensions .* where 3 .* are expected", "ndim4": "has 4 dimensions",
               "ndim255": "says 255 dimensions, but the file ends inside the header",
               "swapped": "the two files are swapped", "no-images": "holds 0 images", "0x0": "32 images of 0x0 pixels"}
    with pytest.raises(ValueError, match=message[case]):
        datasets.MNIST(tmp_path, train=False, download=False, verify=False)


def test_empty_data_and_odd_arguments_are_refused_as_pytorch_refuses_them():
    import minicnn.functional as F
    from minicnn.train import evaluate, fit
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    empty = ArrayDataset(np.zeros((0, 4), np.float32), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="evaluate: the data holds no samples"):        # it once said loss 0.0
        evaluate(model, DataLoader(empty, batch_size=4))
    with pytest.raises(ValueError, match="fit: the training data gave no batch in epoch 1/1"):
        fit(model, DataLoader(empty, batch_size=4), optimizer=mc.optim.SGD(model.parameters(), lr=0.1), verbose=0)
    for bad in (True, 0, 2.0):
        with pytest.raises(ValueError, match=f"batch_size should be a positive integer value, but got batch_size={bad}"):
            DataLoader(empty, batch_size=bad)
    for target in (2.0, -0.5):
        with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
            F.binary_cross_entropy(mc.tensor([0.5]), mc.tensor([target]))


def test_out_of_memory_names_the_model_and_the_batch(tmp_path, monkeypatch, capsys):
    from minicnn import cli
    from test_data import fake_mnist
    data = fake_mnist(tmp_path / "data")

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 12.0 GiB for an array with shape (4096, 64, 112, 112)")
    monkeypatch.setattr(mc, "fit", no_memory)
    assert cli.main(["train", "--dataset", "mnist", "--data-root", str(data), "--no-download",
                     "--batch-size", "4096", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "out of memory with lenet5 at batch size 4096 (Unable to allocate 12.0 GiB" in err
    assert "try a smaller --batch-size" in err and "Traceback" not in err


# ---------------------------------------------------------------- models fed the wrong thing
def test_models_refuse_arrays_other_dtypes_and_0d_inputs_clearly():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x = np.zeros((2, 1, 6, 6), np.float32)
    with pytest.raises(TypeError, match="numpy.ndarray; wrap it with minicnn.tensor"):
        model(x)
    with pytest.raises(TypeError, match="expected Tensors, got a ndarray"):
        mc.functional.relu(x)
    with pytest.raises(TypeError, match="input is int64 but the weight is float32.*x.float"):
        model(mc.tensor(x.astype(np.int64)))
    with pytest.raises(TypeError, match="input is float64"):
        nn.Linear(3, 2)(mc.tensor(np.zeros((1, 3)), dtype=np.float64))
    with pytest.raises(ValueError, match="expected 3 input features.*shape \\(\\)"):
        nn.Linear(3, 2)(mc.tensor(1.0))
    assert model(mc.tensor(x)).dtype == np.float32


# ---------------------------------------------------------------- weight files from elsewhere
def test_keras_files_with_missing_parts_are_named(tmp_path):
    pytest.importorskip("h5py")
    from minicnn.models import vgg16
    from minicnn.pretrained import keras_vgg16_state, load_weights
    from test_zoo_tools import write_keras_h5
    rs = np.random.default_rng(0)
    convs = {f"block{b}_conv{i}": (rs.standard_normal((3, 3, 3 if (b, i) == (1, 1) else 64, 64)).astype(np.float32),
                                   np.zeros(64))
             for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)}
    partial = dict(convs)
    del partial["block4_conv2"]
    write_keras_h5(tmp_path / "a.h5", partial, {})
    with pytest.raises(ValueError, match="no layer 'block4_conv2'.*not a Keras VGG-16"):
        keras_vgg16_state(str(tmp_path / "a.h5"))
    import h5py
    write_keras_h5(tmp_path / "b.h5", convs, {})
    with h5py.File(tmp_path / "b.h5", "a") as f:
        del f["block2_conv1"]["block2_conv1_b_1:0"]
    with pytest.raises(ValueError, match="'block2_conv1' has no bias"):
        keras_vgg16_state(str(tmp_path / "b.h5"))
    write_keras_h5(tmp_path / "notop.h5", convs, {})
    with pytest.raises(ValueError, match="convolutional base only.*strict=False"):
        load_weights(vgg16(), tmp_path / "notop.h5")


@pytest.mark.parametrize("attack", ["bomb", "external-link", "external-storage"])
def test_a_keras_h5_is_checked_before_its_data_is_read(tmp_path, attack):
    """A 10 KB .h5 declaring a gzip dataset of 50000x50000 float32 once made minicnn allocate 9.3 GiB; a
    link or external storage made h5py read another local file."""
    h5py = pytest.importorskip("h5py")
    from minicnn.pretrained import keras_vgg16_state
    from test_zoo_tools import write_keras_h5
    convs = {f"block{b}_conv{i}": (np.zeros((3, 3, 3, 4), np.float32), np.zeros(4, np.float32))
             for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)}
    path = tmp_path / "evil.h5"
    write_keras_h5(path, convs, {})
    (tmp_path / "secret.bin").write_bytes(np.arange(64, dtype=np.float32).tobytes())
    with h5py.File(path, "a") as f:
        del f["block1_conv1"]["block1_conv1_W_1:0"]
        g = f["block1_conv1"]
        if attack == "bomb":
            g.create_dataset("block1_conv1_W_1:0", shape=(50000, 50000), dtype="f4", chunks=(1000, 1000),
                             compression="gzip")
        elif attack == "external-link":
            with h5py.File(tmp_path / "other.h5", "w") as o:
                o["w"] = np.ones((3, 3, 3, 4), np.float32)
            g["block1_conv1_W_1:0"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/w")
        else:
            g.create_dataset("block1_conv1_W_1:0", shape=(3, 3, 3, 4), dtype="f4",
                             external=[(str(tmp_path / "secret.bin"), 0, 432)])
    assert path.stat().st_size < 64 << 10
    message = {"bomb": r"is damaged: dataset .*declares \(50000, 50000\) float32 \(10,000,000,000 bytes\)",
               "external-link": "is a link to another file", "external-storage": "keeps its data in another file"}
    with pytest.raises(ValueError, match=message[attack]):
        keras_vgg16_state(str(path))


def test_load_weights_names_what_it_left_out_and_refuses_what_is_not_weights(tmp_path):
    from minicnn.models import lenet5
    from minicnn.pretrained import load_weights
    model = lenet5()
    mc.save({f"other.{i}": np.zeros(3) for i in range(5)}, tmp_path / "other.npz")
    with pytest.warns(UserWarning, match=r"nothing of .*other\.npz was loaded into Sequential: none of its 10 keys"):
        load_weights(model, tmp_path / "other.npz", strict=False)
    state = dict(model.state_dict())
    del state["11.bias"]
    mc.save(state | {"extra": np.zeros(1)}, tmp_path / "part.npz")
    with pytest.warns(UserWarning, match=r"9 of 10 tensors loaded .*missing 1: 11\.bias; unexpected 1: extra"):
        load_weights(model, tmp_path / "part.npz", strict=False)
    for name, value in [("scalar.npz", 3), ("list.npz", [np.zeros(2)])]:
        mc.save(value, tmp_path / name)
        with pytest.raises(ValueError, match=f"{name} holds a (int|list), not weights"):
            load_weights(model, tmp_path / name)
    (tmp_path / "W.PTH").write_bytes(b"\x80\x02 a pickle")
    with pytest.raises(ValueError, match="is a PyTorch pickle"):
        load_weights(model, tmp_path / "W.PTH")
    keys = model.load_state_dict(state, strict=False)                  # PyTorch's named pair
    assert keys.missing_keys == ["11.bias"] and keys.unexpected_keys == []
    assert model.load_state_dict(model.state_dict()) == ([], [])


def test_the_converter_refuses_a_pickle_with_objects_without_suggesting_to_trust_it(tmp_path):
    import pickle
    import subprocess
    import sys
    import torch

    class Payload:
        def __reduce__(self):
            return (print, ("this would run",))
    evil = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(2), "x": Payload()}, evil, pickle_module=pickle)
    script = os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts", "convert_torchvision_weights.py")
    res = subprocess.run([sys.executable, script, str(evil)], capture_output=True, text=True)
    assert res.returncode != 0 and "refused" in res.stderr and "Traceback" not in res.stderr
    assert "this would run" not in res.stdout and not (tmp_path / "evil.npz").exists()


def test_environment_switches_mean_what_they_say(monkeypatch):
    """MINICNN_DEBUG=false once turned tracebacks on and MINICNN_OFFLINE=true still downloaded; garbage in
    a switch is an error naming it, garbage in a thread count a warning naming it."""
    from minicnn import environment
    from minicnn.configuration import Config
    for value, on in [("true", True), ("TRUE", True), ("yes", True), ("1", True), ("false", False), ("0", False),
                      ("off", False), ("", False)]:
        monkeypatch.setenv("MINICNN_OFFLINE", value)
        assert Config().offline is on, value          # a fresh Config reads the environment afresh
    monkeypatch.setenv("MINICNN_OFFLINE", "maybe")
    with pytest.raises(ValueError, match=r"MINICNN_OFFLINE='maybe' is neither on"):
        Config().offline
    monkeypatch.setenv("MINICNN_THREADS", "lots")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    with pytest.warns(UserWarning, match=r"MINICNN_THREADS='lots' is not a whole number"):
        assert Config().threads == 3
    monkeypatch.setenv("MINICNN_THREADS", "0")
    monkeypatch.setenv("OMP_NUM_THREADS", "-2")
    with pytest.warns(UserWarning) as caught:
        assert Config().threads >= 1
    assert ["MINICNN_THREADS='0'" in str(w.message) for w in caught] == [True, False]
    assert "OMP_NUM_THREADS='-2'" in str(caught[1].message)
    assert environment.flag("MINICNN_NOT_SET_ANYWHERE", True) is True


def test_manual_seed_takes_negative_seeds_as_pytorch_does():
    torch = pytest.importorskip("torch")
    mc.manual_seed(-1)
    a = mc.nn.Linear(3, 2).weight.numpy().copy()
    mc.manual_seed(2 ** 64 - 1)                                 # PyTorch's rule: -1 is 2**64 - 1
    assert (mc.nn.Linear(3, 2).weight.numpy() == a).all()
    assert torch.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    with pytest.raises(ValueError, match="64-bit integer"):
        mc.manual_seed(2 ** 64)
