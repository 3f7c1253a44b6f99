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
    totals = re.findall(r"(Total|Trainable|Non-trainable) params: ([\d,]+)", buf.getvalue())
    return rows, totals


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
    assert totals_m == totals_k == [("Total", "107,786"), ("Trainable", "107,786"), ("Non-trainable", "0")]
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
    # every weight array (moving statistics included) close as a whole: RMSprop and Adam scale a gradient of
    # float noise (a weight the loss barely depends on) to a whole step, whose sign then differs element-wise
    for a, b in zip(m.get_weights(), k.get_weights()):
        assert np.linalg.norm(a - b) <= 1e-3 * np.linalg.norm(b) + 1e-5


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
