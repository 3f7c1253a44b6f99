"""Two programs of PyTorch's "Learning PyTorch with Examples": a cubic fitted to sin(x) with
tensors and autograd, weights updated by hand under no_grad and their .grad set to None; and a
two-layer network whose weights' gradients are cleared with .grad.zero_(). The test runs them
under PyTorch and under minicnn with only the import lines changed."""
import math

import torch


def polynomial(init, steps=60, learning_rate=1e-6):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a = torch.tensor(float(init["a"]), requires_grad=True)
    b = torch.tensor(float(init["b"]), requires_grad=True)
    c = torch.tensor(float(init["c"]), requires_grad=True)
    d = torch.tensor(float(init["d"]), requires_grad=True)
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [a.item(), b.item(), c.item(), d.item()]


def two_layer(init, steps=40, learning_rate=1e-6):
    x = torch.from_numpy(init["x"])
    y = torch.from_numpy(init["y"])
    w1 = torch.from_numpy(init["w1"].copy()).requires_grad_()
    w2 = torch.tensor(init["w2"], requires_grad=True)
    losses = []
    for t in range(steps):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return losses
