"""`python -m minicnn train` end to end on small IDX files written here; its plots; resume; summary."""
import json

import numpy as np
from PIL import Image

from minicnn.cli import main
from test_data import fake_mnist


def test_train_writes_every_output_and_resumes(tmp_path, capsys):
    data = fake_mnist(tmp_path / "data", n_train=512, n_test=64)
    out = tmp_path / "run"
    args = ["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--epochs", "2",
            "--batch-size", "32", "--lr", "0.003", "--out", str(out), "--quiet", "--seed", "1"]
    assert main(args) == 0
    for name in ("history.json", "curves.png", "predictions.png", "confusion.png", "best.npz", "checkpoint.npz",
                 "config.json", "metrics.json"):
        assert (out / name).exists(), name
    hist = json.loads((out / "history.json").read_text())
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(hist) and len(hist["loss"]) == 2
    assert hist["val_accuracy"][-1] > 0.5                     # the bright-row pattern is learnable
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"] == "lenet5" and cfg["epochs"] == 2 and cfg["input_shape"] == [1, 28, 28]
    with Image.open(out / "predictions.png") as im:
        assert im.size[0] > 1000 and im.size[1] > 500         # the 5 x 10 grid
    with Image.open(out / "curves.png") as im:
        colours = np.asarray(im.convert("RGB")).reshape(-1, 3)
        assert len(np.unique(colours, axis=0)) > 50          # something was drawn
    assert "test accuracy" in capsys.readouterr().out
    # resume for one more epoch from the checkpoint
    assert main(["train", "--dataset", "mnist", "--data-root", str(data), "--no-download", "--epochs", "3",
                 "--resume", str(out / "checkpoint.npz"), "--quiet"]) == 0
    hist = json.loads((out / "history.json").read_text())
    assert len(hist["loss"]) == 3


def test_predictions_grid_colours(tmp_path):
    from minicnn.plot import plot_predictions
    imgs = np.zeros((50, 1, 28, 28), np.float32)
    labels = np.zeros(50, int)
    preds = np.zeros(50, int)
    preds[:10] = 1                                           # ten wrong
    path = tmp_path / "p.png"
    plot_predictions(imgs, labels, preds, ["zero", "one"], path)
    rgb = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).astype(int)
    red = ((rgb[:, 0] > 200) & (rgb[:, 1] < 80) & (rgb[:, 2] < 80)).sum()
    blue = ((rgb[:, 2] > 200) & (rgb[:, 0] < 80) & (rgb[:, 1] < 80)).sum()
    assert red > 0 and blue > red                            # 40 blue captions, 10 red


def test_summary_command(capsys):
    assert main(["summary", "lenet5", "--input", "1,28,28"]) == 0
    assert "Total params: 107,786" in capsys.readouterr().out
    assert main(["summary", "vgg16_cifar"]) == 0
    assert "Non-trainable params: 896" in capsys.readouterr().out
