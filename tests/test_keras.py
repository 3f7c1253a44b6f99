"""minicnn.keras against Keras 3 (torch backend) as the oracle: the seeds' listings with only their imports
changed give Keras's summary row for row, its forward pass after set_weights(get_weights()), and its losses
step for step under SGD, Adam and RMSprop."""
import io
import os
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import minicnn as mc  # noqa: E402
import minicnn.keras as mk  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_names():
    """Both libraries number automatic layer names per session: start both at conv2d, dense, ..."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)            # Keras's initial weights, which every comparison starts from
    mk.backend.clear_session()
    mc.manual_seed(0)
    yield


def lenet5(K):
    """Seed 001's listing (lines 18-43), as printed, on the library K (keras or minicnn.keras)."""
    Conv2D, AveragePooling2D, Flatten, Dense = (K.layers.Conv2D, K.layers.AveragePooling2D, K.layers.Flatten,
                                                K.layers.Dense)

    class LeNet5(K.models.Sequential):

        def __init__(self, input_shape, num_classes):
            super().__init__()
            self.add(Conv2D(6, kernel_size=(5, 5), strides=(1, 1), padding='same',
                            activation='relu',
                            input_shape=input_shape))
            self.add(AveragePooling2D(pool_size=(2, 2)))
            self.add(Conv2D(16, kernel_size=(5, 5), strides=(1, 1), padding='same',
                            activation='relu',
                            input_shape=input_shape))
            self.add(AveragePooling2D(pool_size=(2, 2)))
            self.add(Flatten())
            self.add(Dense(120, activation='relu'))
            self.add(Dense(84, activation='relu'))
            self.add(Dense(num_classes, activation='softmax'))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # Keras 3 warns about input_shape= on a layer
        return LeNet5(input_shape=(28, 28, 1), num_classes=10)


def bn_net(K):
    """A seminar-style network (seed 004): he_normal, 'same', batch norm, pooling. The convolutions have no bias:
    batch norm cancels it, its gradient is float noise, and Adam would scale that noise to full steps."""
    L = K.layers
    return K.models.Sequential([
        L.Conv2D(8, 3, padding="same", kernel_initializer="he_normal", use_bias=False, input_shape=(12, 12, 3)),
        L.BatchNormalization(),
        L.Activation("relu"),
        L.MaxPooling2D(pool_size=(2, 2)),
        L.Conv2D(12, 3, strides=2, padding="same", activation="relu", use_bias=False),
        L.BatchNormalization(),
        L.GlobalAveragePooling2D(),
        L.Dense(5, activation="softmax"),
    ])


def summary_rows(model):
    """(name, type, output shape, params) per layer, with Keras's wrapped cells joined, and the totals."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        model.summary()
    rows, cur = [], None
    for line in buf.getvalue().splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[2]:                          # a row starts where Param # is printed
                cur = cells
                rows.append(cur)
            else:                                 # a wrapped cell goes on
                for k, c in enumerate(cells):
                    cur[k] = f"{cur[k]} {c}" if c else cur[k]
    totals = re.findall(r"(Total|Trainable|Non-trainable|Optimizer) params: ([\d,]+ \([\d.]+ \w+\))", buf.getvalue())
    return rows, totals


def counts(totals):
    """The summary's totals without their sizes: [("Total", "107,786"), ...]."""
    return [(k, v.split(" ")[0]) for k, v in totals]


def copy_weights(src, dst):
    dst.set_weights(src.get_weights())


def data(n=96, shape=(28, 28, 1), classes=10, seed=0):
    rs = np.random.default_rng(seed)
    x = rs.random((n,) + shape, dtype=np.float32)
    y = rs.integers(0, classes, n)
    return x, y


def test_lenet5_listing_summary_and_forward():
    k, m = lenet5(keras), lenet5(mk)
    rows_k, totals_k = summary_rows(k)
    rows_m, totals_m = summary_rows(m)
    assert rows_m == rows_k
    assert totals_m == totals_k
    assert counts(totals_m) == [("Total", "107,786"), ("Trainable", "107,786"), ("Non-trainable", "0")]
    assert m.name == k.name == "le_net5"
    copy_weights(k, m)
    for a, b in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_array_equal(a, b)
    x, _ = data(16)
    np.testing.assert_allclose(m.predict(x), k.predict(x, verbose=0), atol=1e-5)


def test_batch_norm_net_summary_and_forward():
    k, m = bn_net(keras), bn_net(mk)
    assert summary_rows(m) == summary_rows(k)
    copy_weights(k, m)
    x, _ = data(8, (12, 12, 3))
    np.testing.assert_allclose(m.predict(x), k.predict(x, verbose=0), atol=1e-5)


OPTIMIZERS = {
    "sgd": lambda K: K.optimizers.SGD(learning_rate=0.05),
    "sgd-momentum": lambda K: K.optimizers.SGD(learning_rate=0.02, momentum=0.9, nesterov=True),
    "adam": lambda K: "adam",
    "adam-wd": lambda K: K.optimizers.Adam(learning_rate=3e-3, weight_decay=0.01),
    "rmsprop": lambda K: K.optimizers.RMSprop(),
    "rmsprop-momentum": lambda K: K.optimizers.RMSprop(learning_rate=1e-3, momentum=0.5),
}


@pytest.mark.parametrize("net", ["lenet5", "bn"])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_loss_step_for_step(net, opt):
    build, shape, classes = (lenet5, (28, 28, 1), 10) if net == "lenet5" else (bn_net, (12, 12, 3), 5)
    k, m = build(keras), build(mk)
    copy_weights(k, m)
    for model, K in ((k, keras), (m, mk)):
        model.compile(optimizer=OPTIMIZERS[opt](K), loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = data(8 * 16, shape, classes)
    y1 = mk.utils.to_categorical(y, classes)
    losses_k, losses_m = [], []
    for i in range(0, len(x), 16):
        losses_k.append(k.train_on_batch(x[i:i + 16], y1[i:i + 16])[0])
        losses_m.append(m.train_on_batch(x[i:i + 16], y1[i:i + 16])[0])
    np.testing.assert_allclose(losses_m, losses_k, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(m.predict(x[:16]), k.predict(x[:16], verbose=0), atol=2e-4)
    # the weights (moving statistics included), nearly all element for element: RMSprop and Adam scale a gradient
    # of float noise (a weight the loss barely depends on, 0 in one library and 1e-12 in the other) to a whole step
    for a, b in zip(m.get_weights(), k.get_weights()):
        assert np.isclose(a, b, atol=1e-4, rtol=1e-3).mean() >= 0.98


def test_fit_history_validation_split_and_evaluate():
    k, m = lenet5(keras), lenet5(mk)
    copy_weights(k, m)
    x, y = data(100)
    for model in (k, m):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hk = k.fit(x, y, batch_size=16, epochs=2, validation_split=0.3, shuffle=False, verbose=0)
    hm = m.fit(x, y, batch_size=16, epochs=2, validation_split=0.3, shuffle=False, verbose=0)
    assert sorted(hm.history) == sorted(hk.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in hk.history:
        np.testing.assert_allclose(hm.history[key], hk.history[key], atol=1e-4, err_msg=key)
    ek, em = k.evaluate(x, y, verbose=0), m.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(em, ek, atol=1e-4)


@pytest.mark.parametrize("size,stride", [(9, 2), (10, 2), (8, 3), (7, 1)])
def test_same_padding_as_keras(size, stride):
    """TensorFlow's 'same' puts the odd padding row at the bottom: every stride and pooling window."""
    def net(K):
        L = K.layers
        inp = K.Input(shape=(size, size, 2))
        a = L.Conv2D(3, 4, strides=stride, padding="same")(inp)
        b = L.MaxPooling2D(3, strides=stride, padding="same")(inp)
        c = L.AveragePooling2D(2, strides=stride, padding="same")(inp)
        return K.Model(inp, [a, b, c])
    k, m = net(keras), net(mk)
    copy_weights(k, m)
    x, _ = data(3, (size, size, 2))
    for a, b in zip(m.predict(x), k.predict(x, verbose=0)):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_functional_concatenate_add_and_zero_padding():
    """GoogLeNet's and ResNet's pieces: concatenate on channels, Add shortcuts, ZeroPadding2D."""
    def net(K):
        L = K.layers
        inp = K.Input(shape=(10, 10, 3))
        x = L.ZeroPadding2D(padding=(1, 2))(inp)
        x = L.Conv2D(4, 3, activation="relu")(x)
        p1 = L.Conv2D(2, 1, padding="same")(x)
        p2 = L.Conv2D(3, 3, padding="same")(x)
        x = L.concatenate([p1, p2, x], axis=-1)
        s = L.Conv2D(9, 1)(x)
        x = L.Add()([x, s])
        x = L.BatchNormalization()(x)
        x = L.Flatten()(x)
        return K.Model(inputs=inp, outputs=L.Dense(4, activation="softmax")(x))
    k, m = net(keras), net(mk)
    assert summary_rows(m) == summary_rows(k)
    copy_weights(k, m)
    x, _ = data(4, (10, 10, 3))
    np.testing.assert_allclose(m.predict(x), k.predict(x, verbose=0), atol=1e-5)


def test_trainable_false_freezes_and_counts_as_keras():
    def net(K):
        return K.models.Sequential([K.layers.Dense(6, activation="relu", input_shape=(5,)),
                                    K.layers.Dense(1, activation="sigmoid")])
    k, m = net(keras), net(mk)
    copy_weights(k, m)
    for model in (k, m):
        model.layers[0].trainable = False
        model.compile(optimizer=model is k and keras.optimizers.RMSprop() or mk.optimizers.RMSprop(),
                      loss="binary_crossentropy", metrics=["accuracy"])
    assert summary_rows(m)[1] == summary_rows(k)[1]           # the totals: 36 frozen of 43
    frozen = m.layers[0].get_weights()
    x, y = data(32, (5,), 2)
    lk = [k.train_on_batch(x, y)[0] for _ in range(3)]
    lm = [m.train_on_batch(x, y)[0] for _ in range(3)]
    np.testing.assert_allclose(lm, lk, atol=1e-5)
    for a, b in zip(m.layers[0].get_weights(), frozen):
        np.testing.assert_array_equal(a, b)


def test_softmax_fused_into_the_loss_no_log_of_zero():
    """A saturated softmax: Keras clips p at 1e-7; the fused loss takes log_softmax and stays finite."""
    m = mk.models.Sequential([mk.layers.Dense(3, activation="softmax", input_shape=(2,))])
    m.compile(optimizer="sgd", loss="categorical_crossentropy")
    m.set_weights([np.array([[300.0, -300.0, 0.0], [0.0, 0.0, 0.0]], np.float32), np.zeros(3, np.float32)])
    loss = m.train_on_batch(np.array([[1.0, 0.0]], np.float32), np.array([[0.0, 1.0, 0.0]], np.float32))
    assert np.isfinite(loss) and loss > 100                   # log-softmax: 600, where clipping gives 16.1
    assert np.all(np.isfinite(m.get_weights()[0]))


def test_tf2_spellings_warn_and_work():
    m = lenet5(mk)
    with pytest.warns(UserWarning, match="learning_rate"):
        opt = mk.optimizers.Adam(lr=0.001)
    m.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["acc"])
    x, y = data(20)
    h = m.fit(x, mk.utils.to_categorical(y, 10), epochs=1, verbose=0)
    assert "acc" in h.history and "loss" in h.history
    with pytest.warns(UserWarning, match="argmax"):
        classes = m.predict_classes(x)
    np.testing.assert_array_equal(classes, m.predict(x).argmax(-1))


def test_datasets_as_keras_gives_them():
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    (xt, yt), (xs, ys) = mk.datasets.fashion_mnist.load_data()
    assert xt.shape == (60000, 28, 28) and xt.dtype == np.uint8 and yt.shape == (60000,) and yt.dtype == np.uint8
    assert xs.shape == (10000, 28, 28) and ys.shape == (10000,)


def test_bad_input_says_what_to_change():
    m = lenet5(mk)
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    x, y = data(4)
    with pytest.raises(ValueError, match="channels-first.*transpose"):
        m.predict(x.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy|to_categorical"):
        m.train_on_batch(x, y)
    with pytest.raises(AttributeError, match="LSTM.*recurrent"):
        mk.layers.LSTM
    with pytest.raises(AttributeError, match="Conv2D"):
        mk.layers.Conv2d                                      # PyTorch's spelling: the list names Keras's
    with pytest.raises(ValueError, match="Invalid|learning_rate must be"):
        mk.optimizers.Adam(learning_rate=-1)
    with pytest.raises(TypeError, match="minicnn.optim"):
        m.compile(optimizer=mc.optim.Adam(mc.nn.Linear(2, 2).parameters()), loss="mse")
    s = mk.models.Sequential([mk.layers.Dense(3)])
    with pytest.raises(ValueError, match="input shape is unknown.*keras.Input"):
        s.summary()
    s.predict(np.zeros((2, 4), np.float32))                   # built on its first data, as Keras
    assert s.layers[0].get_weights()[0].shape == (4, 3)


def test_save_weights_round_trip(tmp_path):
    a, b = lenet5(mk), None
    mk.backend.clear_session()
    b = lenet5(mk)
    a.save_weights(tmp_path / "w.npz")
    b.load_weights(tmp_path / "w.npz")
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)


def image_folder(root, classes=("cats", "dogs"), per_class=5, size=(37, 45)):
    """A tiny image folder: CLASS/i.png, random RGB images of odd sizes (resizing is exercised)."""
    from PIL import Image
    rs = np.random.default_rng(3)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rs.integers(0, 256, size + (3,), dtype=np.uint8)).save(root / c / f"{i}.png")
    return root


@pytest.mark.parametrize("class_mode", ["binary", "categorical", "sparse"])
def test_flow_from_directory_as_keras(tmp_path, class_mode):
    root = image_folder(tmp_path / "train")
    batches = []
    from keras.src.legacy.preprocessing.image import ImageDataGenerator as KerasGenerator   # gone from Keras 3's API
    for K in (keras, mk):
        make = KerasGenerator if K is keras else mk.preprocessing.image.ImageDataGenerator
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gen = make(rescale=1. / 255)
        it = gen.flow_from_directory(str(root), target_size=(24, 20), batch_size=4, shuffle=False,
                                     class_mode=class_mode)
        assert len(it) == 3 and it.class_indices == {"cats": 0, "dogs": 1}
        batches.append([it[i] for i in range(len(it))])
    for (xk, yk), (xm, ym) in zip(*batches):
        np.testing.assert_allclose(xm, xk, atol=1e-6)
        np.testing.assert_array_equal(ym, yk)
        assert xm.dtype == np.float32 and ym.dtype == yk.dtype


def test_transfer_listing_trains_on_a_generator(tmp_path):
    """Seed 000's transfer learning, on a tiny folder: a frozen VGG16 base up to block5_pool, Flatten, Dense(10),
    Dense(1, sigmoid), RMSprop, fit_generator with steps_per_epoch, a checkpoint and a CSV log."""
    root = image_folder(tmp_path / "train", per_class=6, size=(40, 40))
    with pytest.warns(UserWarning, match="image_dataset_from_directory"):
        gen = mk.preprocessing.image.ImageDataGenerator(rescale=1. / 255, horizontal_flip=True)
    data = gen.flow_from_directory(batch_size=4, directory=str(root), shuffle=True, target_size=(32, 32),
                                   class_mode='binary')
    mk.layers.Dense(1)          # the seed's session made Dense layers before: the automatic name below is not 'dense'
    model = mk.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    for layer in model.layers:
        layer.trainable = False
    vgg_maxpool5 = model.get_layer('block5_pool').output
    FeatureFlatten = mk.layers.Flatten()(vgg_maxpool5)
    dense = mk.layers.Dense(10, name='dense', activation='relu')(FeatureFlatten)
    predictions = mk.layers.Dense(1, activation='sigmoid')(dense)
    New_VGGmodel = mk.models.Model(inputs=model.input, outputs=predictions)
    New_VGGmodel.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
    rows, totals = summary_rows(New_VGGmodel)
    assert counts(totals) == [("Total", "14,719,829"), ("Trainable", "5,141"),
                              ("Non-trainable", "14,714,688")]   # 512 -> 10 -> 1
    frozen = model.get_layer("block1_conv1").get_weights()[0].copy()
    cbs = [mk.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_loss", save_best_only=True),
           mk.callbacks.CSVLogger(str(tmp_path / "log.csv"))]
    with pytest.warns(UserWarning, match="fit_generator"):
        history = New_VGGmodel.fit_generator(data, steps_per_epoch=2, epochs=3, validation_data=data,
                                             validation_steps=1, callbacks=cbs, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["loss"]) == 3
    np.testing.assert_array_equal(model.get_layer("block1_conv1").get_weights()[0], frozen)
    reloaded = mk.models.load_model(tmp_path / "best.keras")
    assert reloaded.count_params() == New_VGGmodel.count_params()
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(lines) == 4


def test_reduce_lr_on_plateau_and_early_stopping():
    m = mk.models.Sequential([mk.layers.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile(optimizer=mk.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    x, y = data(16, (4,), 3)
    rl = mk.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e-3)
    es = mk.callbacks.EarlyStopping(monitor="loss", patience=3)
    h = m.fit(x, y, epochs=10, callbacks=[rl, es], verbose=0, shuffle=False)
    assert len(h.history["loss"]) == 4                      # lr 0: the loss never moves; Keras stops after 1 + 3
    assert m.optimizer.learning_rate == 0.0
    m.compile(optimizer=mk.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    rl = mk.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)   # never enough
    m.fit(x, y, epochs=3, callbacks=[rl], verbose=0)
    assert m.optimizer.learning_rate == pytest.approx(0.025)


def test_model_save_and_load_model(tmp_path):
    m = bn_net(mk)
    m.compile(optimizer=mk.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = data(8, (12, 12, 3), 5)
    m.train_on_batch(x, mk.utils.to_categorical(y, 5))
    m.save(tmp_path / "vgg16.model")                        # seed 002's name: any extension is minicnn's format
    r = mk.models.load_model(tmp_path / "vgg16.model")
    np.testing.assert_array_equal(r.predict(x), m.predict(x))
    assert r.optimizer.learning_rate == 0.01 and r.loss.name == "categorical_crossentropy"
    assert summary_rows(r) == summary_rows(m)               # the optimizer's variables counted too
    y1 = mk.utils.to_categorical(y, 5)
    assert r.train_on_batch(x, y1)[0] == m.train_on_batch(x, y1)[0]     # Adam's moments and step restored
    np.testing.assert_array_equal(r.predict(x), m.predict(x))
    (tmp_path / "bad.keras").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="bad.keras"):
        mk.models.load_model(tmp_path / "bad.keras")


def test_load_img_img_to_array_and_preprocess_as_keras(tmp_path):
    root = image_folder(tmp_path / "imgs", classes=("a",), per_class=1)
    path = str(root / "a" / "0.png")
    a = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(16, 16)))
    b = mk.utils.img_to_array(mk.utils.load_img(path, target_size=(16, 16)))
    np.testing.assert_array_equal(a, b)
    for fam in ("vgg16", "resnet50", "inception_v3"):
        pk = getattr(keras.applications, fam).preprocess_input(a[None].copy())
        pm = getattr(mk.applications, fam).preprocess_input(b[None].copy())
        np.testing.assert_allclose(pm, pk, atol=1e-4)
    p = np.full((2, 1000), 1e-4, np.float32)               # (Keras's decode_predictions downloads its class list)
    p[0, [207, 1, 0]], p[1, 999] = [0.5, 0.3, 0.2], 0.9
    top = mk.applications.vgg16.decode_predictions(p, top=3)
    assert [t[:2] for t in top[0]] == [("n02099601", "golden_retriever"), ("n01443537", "goldfish"),
                                       ("n01440764", "tench")]
    assert top[0][0][2] == pytest.approx(0.5) and top[1][0][:2] == ("n15075141", "toilet_tissue")


@pytest.mark.parametrize("name", ["VGG16", "ResNet50", "InceptionV3"])
def test_applications_summary_as_keras(name):
    rows = []
    for K in (keras, mk):
        K.backend.clear_session()
        rows.append(summary_rows(getattr(K.applications, name)(weights=None)))
    assert rows[1] == rows[0]
    totals = {"VGG16": "138,357,544", "ResNet50": "25,636,712", "InceptionV3": "23,851,784"}
    assert counts(rows[1][1])[0] == ("Total", totals[name])
    with pytest.raises(ValueError, match="never downloads"):
        getattr(mk.applications, name)(weights="imagenet")


def test_zoo_has_keras_inception_v3_and_resnet50():
    """For PyTorch-style code: (N, 3, H, W) in, logits out, Keras's parameter counts (buffers included)."""
    import minicnn.models as zoo
    for name, total in (("inception_v3", 23_851_784), ("resnet50_keras", 25_636_712)):
        net = zoo.get_model(name)
        params = sum(p.numel() for p in net.parameters())
        buffers = sum(b.size for _, b in net.named_buffers())
        assert params + buffers == total, name
    net = zoo.inception_v3(num_classes=7)
    x = np.random.default_rng(0).random((2, 3, 299, 299), dtype=np.float32)
    logits = net.eval()(mc.tensor(x))                            # batch norm's moving statistics, as predict
    np.testing.assert_allclose(logits.numpy(), net.keras.predict(x.transpose(0, 2, 3, 1)), atol=1e-5)   # NHWC there


def test_several_outputs_with_loss_weights_as_keras():
    """GoogLeNet's auxiliary heads: one loss per output, weighted; Keras logs each output's loss too."""
    def net(K):
        L = K.layers
        inp = K.Input((6, 6, 2))
        h = L.Flatten()(L.Conv2D(4, 3, activation="relu")(inp))
        main = L.Dense(3, activation="softmax", name="main")(h)
        aux = L.Dense(3, activation="softmax", name="aux")(L.Dense(5, activation="relu")(h))
        return K.Model(inp, [main, aux])
    k, m = net(keras), net(mk)
    copy_weights(k, m)
    for model in (k, m):
        model.compile(optimizer="adam", loss=["categorical_crossentropy"] * 2, loss_weights=[1.0, 0.3])
    x, y = data(24, (6, 6, 2), 3)
    y1 = mk.utils.to_categorical(y, 3)
    np.testing.assert_allclose(m.train_on_batch(x[:8], [y1[:8], y1[:8]]), k.train_on_batch(x[:8], [y1[:8], y1[:8]]),
                               atol=1e-5)
    hk = k.fit(x, [y1, y1], batch_size=8, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    hm = m.fit(x, [y1, y1], batch_size=8, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    assert sorted(hm.history) == sorted(hk.history)
    for key in hk.history:
        np.testing.assert_allclose(hm.history[key], hk.history[key], atol=1e-4, err_msg=key)
    np.testing.assert_allclose(m.evaluate(x, [y1, y1]), k.evaluate(x, [y1, y1], verbose=0), atol=1e-4)
    with pytest.raises(NotImplementedError, match="same targets"):
        m.fit(x, [y1, y1[::-1]], verbose=0)


def test_kernel_regularizer_as_keras():
    def net(K):
        return K.models.Sequential([
            K.layers.Conv2D(4, 3, activation="relu", kernel_regularizer=K.regularizers.l2(0.01), input_shape=(8, 8, 1)),
            K.layers.Flatten(),
            K.layers.Dense(3, activation="softmax", kernel_regularizer=K.regularizers.l1(0.001))])
    k, m = net(keras), net(mk)
    copy_weights(k, m)
    for model, K in ((k, keras), (m, mk)):
        model.compile(optimizer=K.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    x, y = data(16, (8, 8, 1), 3)
    lk = [k.train_on_batch(x, y) for _ in range(4)]
    lm = [m.train_on_batch(x, y) for _ in range(4)]
    np.testing.assert_allclose(lm, lk, atol=1e-5)


@pytest.mark.parametrize("module,name", [("optimizers", "Nadam"), ("losses", "Hinge"), ("callbacks", "TensorBoard"),
                                         ("applications", "MobileNet"), ("initializers", "Orthogonal")])
def test_names_not_offered_say_what_there_is(module, name):
    with pytest.raises(AttributeError, match=f"{name} is not offered by minicnn.keras; it has: "):
        getattr(getattr(mk, module), name)


def test_image_dataset_from_directory_and_plot_model(tmp_path):
    root = image_folder(tmp_path / "imgs", classes=("a", "b", "c"), per_class=3)
    ds = mk.utils.image_dataset_from_directory(root, image_size=(16, 12), batch_size=4, label_mode="categorical",
                                               shuffle=False)
    assert ds.class_names == ["a", "b", "c"] and len(ds) == 3
    batches = list(ds)
    assert batches[0][0].shape == (4, 16, 12, 3) and batches[-1][0].shape == (1, 16, 12, 3)
    labels = np.concatenate([y for _, y in batches])
    np.testing.assert_array_equal(labels.argmax(1), [0, 0, 0, 1, 1, 1, 2, 2, 2])
    assert 0 <= batches[0][0].min() and batches[0][0].max() <= 255 and batches[0][0].max() > 1   # not rescaled
    train = mk.utils.image_dataset_from_directory(root, validation_split=0.34, subset="training", seed=1)
    val = mk.utils.image_dataset_from_directory(root, validation_split=0.34, subset="validation", seed=1)
    assert len(train.files) + len(val.files) == 9 and not set(train.files) & set(val.files)
    m = lenet5(mk)
    path = mk.utils.plot_model(m, to_file=str(tmp_path / "model.png"), show_shapes=True)
    from PIL import Image
    assert Image.open(path).size[1] > 300                     # eight boxes, one under the other
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(8)
    loss, acc = m.test_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1


def test_fit_on_a_plain_generator_without_steps():
    """A finite Python generator, no steps_per_epoch: Keras reads it to its end; so does minicnn.keras."""
    m = mk.models.Sequential([mk.layers.Dense(3, activation="softmax", input_shape=(4,))])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = data(12, (4,), 3)
    h = m.fit(((x[i:i + 4], y[i:i + 4]) for i in range(0, 12, 4)), epochs=1, verbose=0)
    assert len(h.history["loss"]) == 1 and np.isfinite(h.history["loss"][0])
