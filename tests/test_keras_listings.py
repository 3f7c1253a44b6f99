"""The seeds' Keras listings (tests/keras_listings/) run with only their import lines changed, on Keras 3 (the
oracle) and on minicnn.keras: every model's summary row for row, and the parameter totals the seeds print."""
import io
import os
import pathlib
import re
import sys
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import minicnn.keras as mk  # noqa: E402
from test_keras import summary_rows  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent / "keras_listings"
LISTINGS = sorted(p.name for p in HERE.glob("s0*.py"))
# the big ones take a minute each on two cores; the summaries of the rest are enough for every test run
SLOW = {"s000_156_vgg16_custom.py", "s000_359_classify_photo.py", "s000_374_transfer.py",
        "s001_529_vgg16_class.py", "s001_572_applications_vgg16.py", "s004_095_student_vgg_bn.py"}


def imports_for(source, target):
    """The listing with its import lines (and only those) pointing at ``target``: 'keras' or 'minicnn.keras'."""
    out = []
    for line in source.splitlines():
        if re.match(r"\s*(import|from)\s", line):
            line = re.sub(r"\b(tensorflow\.python\.keras|tensorflow\.keras|keras)\b(?=[\s.,]|$)", target, line)
            line = line.replace("from " + target + ".datasets import", "from small_data import")
            if re.match(r"\s*import tensorflow as tf\b", line):
                line = "import minicnn as tf" if target == "minicnn.keras" else "import _keras_as_tf as tf"
        out.append(line)
    return "\n".join(out) + "\n"


def keras3_spellings(source):
    """For the Keras 3 run alone: the TF2-era spellings Keras 3 refuses (minicnn.keras takes them with a
    warning: ImageDataGenerator's import, lr=, predict_classes, a .model file), and Graphviz's plot_model
    (not installed here)."""
    source = source.replace("from keras.preprocessing.image import ImageDataGenerator",
                            "from keras.src.legacy.preprocessing.image import ImageDataGenerator")   # gone from 3's API
    source = re.sub(r"\blr=", "learning_rate=", source)
    source = source.replace(".predict_classes(X_test)", ".predict(X_test).argmax(-1)")
    source = source.replace("model.save('vgg16.model')", "model.save('vgg16.keras')")
    return re.sub(r"^.*plot_model\(.*$", "", source, flags=re.M)


class _KerasAsTf:
    keras = keras


def run(name, lib, folder):
    """Execute a listing on ``lib`` in ``folder``; returns its namespace and what it printed."""
    source = (HERE / name).read_text()
    target = "keras" if lib is keras else "minicnn.keras"
    code = imports_for(source, target)
    if lib is keras:
        code = keras3_spellings(code)
    sys.modules["_keras_as_tf"] = _KerasAsTf
    keras_decode = keras.applications.vgg16.decode_predictions
    if lib is keras:        # Keras's decode_predictions downloads its class list: give it minicnn's (the same names)
        keras.applications.vgg16.decode_predictions = mk.applications.vgg16.decode_predictions
    lib.backend.clear_session()
    if lib is keras:
        keras.utils.set_random_seed(0)
    namespace = {"__name__": "listing", "PHOTO": str(folder.parent / "dog.1.jpg")}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    sys.path.insert(0, str(HERE))
    try:
        with redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, f"{name} ({target})", "exec"), namespace)
    finally:
        keras.applications.vgg16.decode_predictions = keras_decode
        sys.path.remove(str(HERE))
        os.chdir(cwd)
    return namespace, out.getvalue()


def models_in(namespace, lib):
    base = keras.Model if lib is keras else mk.models.Model
    return {k: v for k, v in namespace.items() if isinstance(v, base) and not k.startswith("_")}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in LISTINGS])
def test_listing_runs_as_on_keras(name, tmp_path):
    from PIL import Image
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 280, 3), dtype=np.uint8)).save(tmp_path / "dog.1.jpg")
    (tmp_path / "keras").mkdir()
    (tmp_path / "minicnn").mkdir()
    ns_k, _ = run(name, keras, tmp_path / "keras")
    ns_m, printed = run(name, mk, tmp_path / "minicnn")
    mk_models, k_models = models_in(ns_m, mk), models_in(ns_k, keras)
    assert sorted(mk_models) == sorted(k_models) and mk_models
    for var, model in mk_models.items():
        assert summary_rows(model) == summary_rows(k_models[var]), var
        assert model.name == k_models[var].name
    for key, total in ns_m["EXPECTED"].items():           # the totals the seed prints (weights, before training)
        var, _, kind = key.partition(" ")
        totals = {k: v.split(" ")[0] for k, v in summary_rows(mk_models[var])[1]}
        weights = f"{mk_models[var].count_params():,}"
        assert (totals["Trainable"] if kind == "trainable" else weights) == total, key
    if "history" in printed or "model.fit" in (HERE / name).read_text():
        for var, model in mk_models.items():
            if getattr(model, "history", None) is not None:
                assert sorted(model.history.history) == sorted(k_models[var].history.history)
                assert all(np.isfinite(v).all() for v in model.history.history.values())


def test_every_listing_of_the_digest_is_here():
    """seeds/README.md lists 21 listings; each has its file (004's five seminar networks included)."""
    assert len(LISTINGS) == 21, LISTINGS
