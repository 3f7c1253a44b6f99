"""keras.datasets.cifar10.load_data(): ((x_train, y_train), (x_test, y_test)) as Keras gives them."""
from ...data.datasets import CIFAR10
from ._load import load


def load_data():
    """Uint8 arrays: images (N, H, W, C), labels (N, 1)."""
    return load(CIFAR10, False, True)
