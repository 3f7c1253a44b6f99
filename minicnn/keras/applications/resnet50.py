"""keras.applications.resnet50: Keras's ResNet50 (25,636,712 parameters: its convolutions carry biases,
torchvision's do not), preprocess_input ('caffe'), decode_predictions."""
from .. import layers
from ..models import Model
from . import imagenet_utils

STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))    # (filters, blocks, first stride) of conv2-5
EPS = 1.001e-5


def _block(x, filters, stride, shortcut_conv, name):
    """A bottleneck: 1x1 (stride), 3x3, 1x1 to 4 * filters, each with batch norm; added to the shortcut."""
    if shortcut_conv:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=EPS, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPS, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPS, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPS, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """Keras's ResNet50: conv1 (7x7 stride 2), pool1, the bottleneck stages conv2-conv5, avg_pool, predictions."""
    imagenet_utils.check_weights(weights, include_top, classes)
    inp = imagenet_utils.image_input(input_shape, (224, 224, 3), include_top, input_tensor)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inp)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(STAGES, start=2):
        for b in range(1, blocks + 1):
            x = _block(x, filters, stride if b == 1 else 1, b == 1, f"conv{stage}_block{b}")
    x = imagenet_utils.head(x, include_top, pooling, classes, classifier_activation, named_pooling=True)
    return imagenet_utils.finish(Model(inp, x, name=name), weights)


def preprocess_input(x, data_format=None):
    return imagenet_utils.preprocess_input(x, "caffe")


decode_predictions = imagenet_utils.decode_predictions
