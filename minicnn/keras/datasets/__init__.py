"""keras.datasets: ``(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()`` in Keras's shapes
and dtypes, read by minicnn's own loaders (Debian's package or minicnn's cache; see minicnn.data)."""
from . import cifar10, fashion_mnist, mnist  # noqa: F401
