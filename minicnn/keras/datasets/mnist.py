"""keras.datasets.mnist.load_data(): ((x_train, y_train), (x_test, y_test)) as Keras gives them."""
from ...data.datasets import MNIST
from ._load import load


def load_data():
    """Uint8 arrays: images (N, H, W), labels (N,)."""
    return load(MNIST, True, False)
