"""keras.applications.inception_v3: InceptionV3 (23,851,784 parameters), preprocess_input ('tf'),
decode_predictions.

Every convolution is conv_bn: a Conv2D without bias, a BatchNormalization without scale (gamma), a
ReLU, named automatically as Keras names them. The eleven mixed blocks concatenate their branches on
the channels: 0-2 (35x35), 3 (to 17x17), 4-7 (17x17, factorized 1x7 / 7x1), 8 (to 8x8), 9-10 (8x8)."""
from .. import layers
from ..models import Model
from . import imagenet_utils


def conv_bn(x, filters, rows, cols, padding="same", strides=(1, 1)):
    x = layers.Conv2D(filters, (rows, cols), strides=strides, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization(axis=3, scale=False)(x)
    return layers.Activation("relu")(x)


def _chain(x, specs):
    """conv_bn after conv_bn: specs are (filters, rows, cols)."""
    for filters, rows, cols in specs:
        x = conv_bn(x, filters, rows, cols)
    return x


def _pool_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv_bn(x, filters, 1, 1)


def _block35(x, pool_filters, name):
    """mixed0-2: 1x1 | 1x1, 5x5 | 1x1, 3x3, 3x3 | avg-pool, 1x1."""
    b1 = conv_bn(x, 64, 1, 1)
    b5 = _chain(x, [(48, 1, 1), (64, 5, 5)])
    b3 = _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)])
    return layers.concatenate([b1, b5, b3, _pool_branch(x, pool_filters)], axis=3, name=name)


def _block17(x, mid, name):
    """mixed4-7: 1x1 | 1x1, 1x7, 7x1 | 1x1, 7x1, 1x7, 7x1, 1x7 | avg-pool, 1x1."""
    b1 = conv_bn(x, 192, 1, 1)
    b7 = _chain(x, [(mid, 1, 1), (mid, 1, 7), (192, 7, 1)])
    b7d = _chain(x, [(mid, 1, 1), (mid, 7, 1), (mid, 1, 7), (mid, 7, 1), (192, 1, 7)])
    return layers.concatenate([b1, b7, b7d, _pool_branch(x, 192)], axis=3, name=name)


def _block8(x, i):
    """mixed9-10: 1x1 | 1x1 then (1x3, 3x1) | 1x1, 3x3 then (1x3, 3x1) | avg-pool, 1x1."""
    b1 = conv_bn(x, 320, 1, 1)
    b3 = conv_bn(x, 384, 1, 1)
    b3 = layers.concatenate([conv_bn(b3, 384, 1, 3), conv_bn(b3, 384, 3, 1)], axis=3, name=f"mixed9_{i}")
    b3d = _chain(x, [(448, 1, 1), (384, 3, 3)])
    b3d = layers.concatenate([conv_bn(b3d, 384, 1, 3), conv_bn(b3d, 384, 3, 1)], axis=3)
    return layers.concatenate([b1, b3, b3d, _pool_branch(x, 192)], axis=3, name=f"mixed{9 + i}")


def InceptionV3(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="inception_v3"):
    """Keras's InceptionV3 for 299x299 images."""
    imagenet_utils.check_weights(weights, include_top, classes)
    inp = imagenet_utils.image_input(input_shape, (299, 299, 3), include_top, input_tensor)
    x = conv_bn(inp, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv_bn(x, 32, 3, 3, padding="valid")
    x = conv_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv_bn(x, 80, 1, 1, padding="valid")
    x = conv_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = _block35(x, pool_filters, f"mixed{i}")
    b3 = conv_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    b3d = _chain(x, [(64, 1, 1), (96, 3, 3)])
    b3d = conv_bn(b3d, 96, 3, 3, strides=(2, 2), padding="valid")
    x = layers.concatenate([b3, b3d, layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=3, name="mixed3")
    for i, mid in enumerate((128, 160, 160, 192)):
        x = _block17(x, mid, f"mixed{4 + i}")
    b3 = conv_bn(conv_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1)])
    b7 = conv_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    x = layers.concatenate([b3, b7, layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=3, name="mixed8")
    for i in range(2):
        x = _block8(x, i)
    x = imagenet_utils.head(x, include_top, pooling, classes, classifier_activation)
    return imagenet_utils.finish(Model(inp, x, name=name), weights)


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, "tf")


decode_predictions = imagenet_utils.decode_predictions
