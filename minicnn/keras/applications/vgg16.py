"""keras.applications.vgg16: VGG16 (138,357,544 parameters with the top), preprocess_input ('caffe'),
decode_predictions."""
from .. import layers
from ..models import Model
from . import imagenet_utils

BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))      # (filters, convolutions) of blocks 1-5


def VGG16(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """Keras's VGG16: blockB_convI (3x3 'same' + ReLU) and blockB_pool, then flatten, fc1, fc2, predictions."""
    imagenet_utils.check_weights(weights, include_top, classes)
    inp = imagenet_utils.image_input(input_shape, (224, 224, 3), include_top, input_tensor)
    x = inp
    for b, (filters, convs) in enumerate(BLOCKS, start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{b}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b}_pool")(x)
    x = imagenet_utils.head(x, include_top, pooling, classes, classifier_activation, flatten=True)
    return imagenet_utils.finish(Model(inp, x, name=name), weights)


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, "caffe")


decode_predictions = imagenet_utils.decode_predictions
