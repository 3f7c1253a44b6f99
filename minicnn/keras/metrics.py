"""keras.metrics: minicnn.keras computes Keras's accuracy (compile(metrics=['accuracy']))."""


class Accuracy:
    """compile(metrics=[keras.metrics.Accuracy()]) is metrics=['accuracy']."""

    name = "accuracy"


class CategoricalAccuracy(Accuracy):
    """The argmax of the prediction equals that of the one-hot target."""

    name = "categorical_accuracy"


class SparseCategoricalAccuracy(Accuracy):
    """The argmax of the prediction equals the class index."""

    name = "sparse_categorical_accuracy"


class BinaryAccuracy(Accuracy):
    """The prediction, thresholded at 0.5, equals the target."""

    name = "binary_accuracy"
