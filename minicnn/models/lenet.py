"""LeNet-5 as the source documents build it for Fashion-MNIST (28x28x1).

conv 6@5x5 'same' + ReLU -> avg-pool 2 -> conv 16@5x5 'same' + ReLU -> avg-pool 2
-> flatten (16*7*7 = 784) -> dense 120 + ReLU -> dense 84 + ReLU -> dense 10
107,786 parameters. (LeCun's 1998 original used tanh and 32x32 inputs; the
source switched to ReLU, and to 'same' padding for 28x28 images.) The last
layer returns logits: the softmax lives in the cross-entropy loss.

Weights start as in the source's Keras code: Glorot-uniform kernels and zero
biases (init="keras"), which learns faster here than PyTorch's default, kept as
init="torch" (RESULTS.md, "LeNet-5's initialization").
"""
from .. import nn


def lenet5(num_classes=10, in_channels=1, image_size=28, init="keras"):
    """LeNet-5 as in the source documents (107,786 parameters for 28x28 grey images); ``init='keras'``:
    Glorot-uniform weights, zero biases."""
    flat = 16 * (image_size // 4) ** 2
    model = nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding="same"), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5, padding="same"), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(flat, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
    if init == "keras":
        for layer in model:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
    elif init != "torch":
        raise ValueError(f"lenet5: init must be 'keras' or 'torch', got {init!r}")
    return model
