"""ImageNet class names, decode_predictions, preprocess_input, load_image, image_folder_splits."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.data import datasets
from minicnn.models import decode_predictions, imagenet_classes, load_image, preprocess_input


def test_the_thousand_classes_in_logit_order():
    classes = imagenet_classes()
    wnids = [w for w, _ in classes]
    assert len(classes) == 1000 and len(set(wnids)) == 1000
    assert wnids == sorted(wnids)                     # class i is the i-th WordNet id in sorted order
    assert classes[0] == ("n01440764", "tench") and classes[999] == ("n15075141", "toilet_tissue")
    assert dict(classes)["n02099849"] == "Chesapeake_Bay_retriever"     # the source's readout
    assert classes[386] == ("n02504458", "African_elephant")
    assert [n for _, n in classes].count("crane") == 2                 # the bird and the machine, as in Keras


def test_decode_predictions_from_probabilities_and_from_logits():
    logits = np.random.default_rng(0).standard_normal((3, 1000)).astype(np.float32)
    logits[0, 207], logits[1, 386], logits[2, 999] = 12, 9, 10
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    from_logits = decode_predictions(mc.tensor(logits), top=5)
    from_probs = decode_predictions(probs, top=5)
    assert [r[0][1] for r in from_logits] == ["golden_retriever", "African_elephant", "toilet_tissue"]
    for a, b, p in zip(from_logits, from_probs, probs):
        assert [x[:2] for x in a] == [x[:2] for x in b]
        assert [x[2] for x in a] == pytest.approx([x[2] for x in b], rel=1e-5)
        assert [x[2] for x in b] == pytest.approx(np.sort(p)[::-1][:5].tolist(), rel=1e-6)
    assert len(decode_predictions(probs[0], top=3)) == 1 and len(decode_predictions(probs[:1], top=3)[0]) == 3
    with pytest.raises(ValueError, match=r"\(N, 1000\); got \(2, 10\)"):
        decode_predictions(np.zeros((2, 10)))


def test_preprocess_input_both_conventions():
    img = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    torch_style = preprocess_input(img, mode="torch")
    assert torch_style.shape == (1, 3, 5, 7) and torch_style.dtype == np.float32
    expected = (img[..., 1] / 255.0 - 0.456) / 0.224
    np.testing.assert_allclose(torch_style[0, 1], expected, rtol=1e-5, atol=1e-6)
    caffe = preprocess_input(img[None], mode="caffe")
    np.testing.assert_allclose(caffe[0, 0], img[..., 2] - 103.939, atol=1e-4)    # BGR: blue first
    np.testing.assert_allclose(caffe[0, 2], img[..., 0] - 123.68, atol=1e-4)
    with pytest.raises(ValueError, match="mode"):
        preprocess_input(img, mode="tf")
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        preprocess_input(np.zeros((1, 3, 8, 8)))


def test_load_image_and_image_folder_splits(tmp_path):
    from PIL import Image
    rs = np.random.default_rng(2)
    for c in ("cats", "dogs"):
        (tmp_path / "all" / c).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(rs.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(tmp_path / "all" / c / f"{i}.png")
    img = load_image(tmp_path / "all" / "cats" / "0.png", (20, 16))
    assert img.shape == (20, 16, 3) and img.dtype == np.uint8
    train, val = datasets.image_folder_splits(tmp_path / "all", target_size=24, val_fraction=0.25, seed=0)
    assert (len(train), len(val)) == (15, 5) and train.classes == ["cats", "dogs"]
    assert not set(train.indices) & set(val.indices)
    x, y = val.get_batch(np.arange(len(val)))
    assert x.shape == (5, 3, 24, 24) and x.dtype == np.float32 and set(y) <= {0, 1}
    again, _ = datasets.image_folder_splits(tmp_path / "all", val_fraction=0.25, seed=0)
    assert list(again.indices) == list(train.indices)                 # the split is seeded

    for split in ("train", "val"):
        for c in (["cats", "dogs"] if split == "train" else ["cats", "birds"]):
            (tmp_path / "tv" / split / c).mkdir(parents=True)
            Image.fromarray(rs.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / "tv" / split / c / "a.png")
    with pytest.raises(ValueError, match=r"train/ has classes \['cats', 'dogs'\] but val/ has \['birds', 'cats'\]"):
        datasets.image_folder_splits(tmp_path / "tv")
