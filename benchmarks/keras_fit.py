"""fit through minicnn.keras against minicnn's own fit and against Keras 3 (torch backend), per step.

The seed's LeNet-5 listing (Sequential subclass, Adam, sparse categorical cross-entropy, batch 32) is
trained for one epoch of STEPS steps on random Fashion-MNIST-shaped data by each of the three, in
alternating blocks with a pause between them (timing.compare); medians over the rounds, in ms a step.
minicnn's own fit runs minicnn.models.lenet5 (the same network, NCHW) with minicnn.optim.Adam.

    python benchmarks/keras_fit.py                 # 2 threads, 5 rounds
    python benchmarks/keras_fit.py --rounds 9 --steps 60
"""
import argparse
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from timing import compare, fix_threads, machine  # noqa: E402


def lenet5(K):
    L = K.layers

    class LeNet5(K.models.Sequential):
        def __init__(self, input_shape, num_classes):
            super().__init__()
            self.add(L.Conv2D(6, kernel_size=(5, 5), strides=(1, 1), padding='same', activation='relu',
                              input_shape=input_shape))
            self.add(L.AveragePooling2D(pool_size=(2, 2)))
            self.add(L.Conv2D(16, kernel_size=(5, 5), strides=(1, 1), padding='same', activation='relu'))
            self.add(L.AveragePooling2D(pool_size=(2, 2)))
            self.add(L.Flatten())
            self.add(L.Dense(120, activation='relu'))
            self.add(L.Dense(84, activation='relu'))
            self.add(L.Dense(num_classes, activation='softmax'))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LeNet5((28, 28, 1), 10)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    blas = fix_threads(args.threads)

    import keras
    import minicnn as mc
    import minicnn.keras as mk
    import minicnn.models  # noqa: F401
    import minicnn.train  # noqa: F401
    from minicnn.data import ArrayDataset, DataLoader

    n = 32 * args.steps
    rs = np.random.default_rng(0)
    x = rs.random((n, 28, 28, 1), dtype=np.float32)
    y = rs.integers(0, 10, n)

    own = mc.models.lenet5()
    own_opt = mc.optim.Adam(own.parameters())
    own_data = DataLoader(ArrayDataset(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), y), batch_size=32, shuffle=True)
    ours = lenet5(mk)
    ours.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs = lenet5(keras)
    theirs.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    funcs = {
        "minicnn fit": lambda: mc.train.fit(own, own_data, epochs=1, optimizer=own_opt, verbose=0),
        "minicnn.keras fit": lambda: ours.fit(x, y, batch_size=32, epochs=1, verbose=0),
        "Keras 3 (torch) fit": lambda: theirs.fit(x, y, batch_size=32, epochs=1, verbose=0),
    }
    t = compare(funcs, rounds=args.rounds, warmup=1)
    print(f"# {machine()}, BLAS {blas}; LeNet-5 listing, Adam, batch 32, {args.steps} steps an epoch, "
          f"median of {args.rounds} alternating rounds")
    base = t["minicnn fit"]
    for name, sec in t.items():
        print(f"{name:22s} {sec * 1e3 / args.steps:7.2f} ms/step   x{sec / base:.3f} of minicnn's own fit")
    print(f"minicnn.keras / Keras 3: {t['minicnn.keras fit'] / t['Keras 3 (torch) fit']:.3f}")


if __name__ == "__main__":
    main()
