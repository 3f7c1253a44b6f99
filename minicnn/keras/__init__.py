"""minicnn.keras: the seeds' Keras programs on minicnn, with only their imports changed.

    import minicnn.keras as keras
    from minicnn.keras.layers import Conv2D, AveragePooling2D, Flatten, Dense
    from minicnn.keras.models import Sequential

Inside this namespace a Keras name does what it does in Keras 3: images are channels-last
(batch, height, width, channels) at every interface, Keras's initializers, BatchNormalization
defaults, optimizer rules and automatic layer names. Underneath, the layers are minicnn.nn
Modules with PyTorch-layout parameters, and fit is minicnn's own training loop (see models.py).
"""
from . import (activations, applications, backend, callbacks, datasets, initializers, layers, losses,  # noqa: F401
               metrics, models, optimizers, preprocessing, regularizers, utils)
from .layers import Input  # noqa: F401
from .models import Model, Sequential  # noqa: F401

__version__ = "3 (minicnn)"
