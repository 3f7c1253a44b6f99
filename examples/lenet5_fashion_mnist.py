"""LeNet-5 on Fashion-MNIST as a plain training loop you can read top to bottom.

The same job as `python -m minicnn train`, without the conveniences: every step
of training is written out. Needs the Fashion-MNIST files (found in
/usr/share/datasets/fashion-mnist after `sudo apt-get install dataset-fashion-mnist`,
or downloaded to ~/.cache/minicnn on first use).

    python examples/lenet5_fashion_mnist.py --epochs 10
"""
import argparse
import time

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn.data import DataLoader, datasets
from minicnn.models import lenet5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()

    mc.manual_seed(0)
    try:
        train_set = datasets.FashionMNIST(train=True)    # images scaled to [0, 1], shape (1, 28, 28)
        test_set = datasets.FashionMNIST(train=False)
    except FileNotFoundError as err:
        raise SystemExit(str(err))
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, seed=0)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = lenet5()
    model.summary((1, 28, 28))
    mc.tune_cpu()                   # process-wide CPU settings now (fit, or the first optimizer.step(), would apply them)
    optimizer = mc.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(1, args.epochs + 1):
        model.train()                                      # dropout/batch norm in training mode
        start, total_loss, correct, seen = time.perf_counter(), 0.0, 0, 0
        for x, y in train_loader:
            logits = model(x)                              # forward: (32, 10) scores
            loss = F.cross_entropy(logits, y)              # softmax + negative log-likelihood
            optimizer.zero_grad()                          # forget the last step's gradients
            loss.backward()                                # backward: fills every parameter's .grad
            optimizer.step()                               # Adam update, in place
            total_loss += loss.item() * len(x)
            correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
            seen += len(x)

        model.eval()                                       # evaluation: no dropout, no statistics updates
        test_correct = 0
        with mc.no_grad():                                 # no graph: less memory, faster
            for x, y in test_loader:
                test_correct += int((model(x).numpy().argmax(axis=1) == y.numpy()).sum())
        print(f"epoch {epoch}: loss {total_loss / seen:.4f}, train accuracy {correct / seen:.4f}, "
              f"test accuracy {test_correct / len(test_set):.4f}, {time.perf_counter() - start:.1f} s")

    mc.save(model.state_dict(), "lenet5_fashion_mnist.npz")
    print("saved lenet5_fashion_mnist.npz; predictions for the first 10 test images:",
          np.argmax(mc.predict(model, test_set.get_batch(np.arange(10))[0]), axis=1).tolist())


if __name__ == "__main__":
    main()
