"""keras.metrics: minicnn.keras computes Keras's accuracy (compile(metrics=['accuracy']))."""


class Accuracy:
    name = "accuracy"


class CategoricalAccuracy(Accuracy):
    name = "categorical_accuracy"


class SparseCategoricalAccuracy(Accuracy):
    name = "sparse_categorical_accuracy"


class BinaryAccuracy(Accuracy):
    name = "binary_accuracy"
