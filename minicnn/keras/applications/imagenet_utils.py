"""What the three applications share: input checks, weights, the head, preprocess_input, decode_predictions."""
import os

import numpy as np

from ...models.imagenet import CAFFE_MEAN_BGR, IMAGENET_MEAN, IMAGENET_STD, imagenet_classes
from .. import layers


def image_input(input_shape, default, include_top, input_tensor=None):
    """Keras's input rule: the default size with the top; without it, any size with 3 channels."""
    if input_tensor is not None:
        return input_tensor
    if input_shape is None:
        input_shape = default if include_top else (None, None, default[-1])
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (height, width, 3), got {input_shape}")
    if include_top and input_shape != default:
        raise ValueError(f"with include_top=True the input must be {default}, got {input_shape}; use "
                         "include_top=False for another size")
    return layers.Input(shape=input_shape)


def check_weights(weights, include_top, classes):
    """Refuse weights='imagenet' (minicnn never downloads) and a weights path that does not exist."""
    if weights == "imagenet":
        raise ValueError("weights='imagenet': minicnn never downloads weights. Build with weights=None, or give "
                         "the path of a weights file (model.save_weights, or Keras's .h5 converted once with "
                         "scripts/convert_keras_weights.py)")
    if weights is not None and not os.path.exists(str(weights)):
        raise FileNotFoundError(f"weights file {weights!r} not found")


def head(x, include_top, pooling, classes, classifier_activation, flatten=False, named_pooling=False):
    """The classifier (include_top) or the pooling Keras puts in its place."""
    if include_top:
        if flatten:
            x = layers.Flatten(name="flatten")(x)
            x = layers.Dense(4096, activation="relu", name="fc1")(x)
            x = layers.Dense(4096, activation="relu", name="fc2")(x)
        else:
            x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool" if named_pooling else None)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool" if named_pooling else None)(x)
    if pooling is not None:
        raise ValueError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")
    return x


def finish(model, weights):
    """Load the weights file, if one was given, into the built model."""
    if weights is not None:
        model.load_weights(weights)
    return model


def preprocess_input(x, mode, data_format=None):
    """'caffe': RGB -> BGR and minus CAFFE_MEAN; 'tf': x / 127.5 - 1; 'torch': / 255, ImageNet mean and std."""
    x = np.array(x, dtype=np.float32)
    if x.shape[-1] != 3:
        raise ValueError(f"preprocess_input expects RGB images (..., height, width, 3), got shape {x.shape}")
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return x[..., ::-1] - np.array(CAFFE_MEAN_BGR, np.float32)


def decode_predictions(preds, top=5):
    """[[(wordnet id, class name, score), ...] for each row of ``preds`` (N, 1000)], the top scores first
    (the scores as given, as Keras: the model's softmax output)."""
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions expects a batch of ImageNet predictions (N, 1000), got {preds.shape}")
    classes = imagenet_classes()
    return [[(*classes[i], float(row[i])) for i in np.argsort(-row, kind="stable")[:top]] for row in preds]
