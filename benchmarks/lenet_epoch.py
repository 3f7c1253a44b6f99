"""The main job's training loop, epoch for epoch, in minicnn and in PyTorch on the same machine.

LeNet-5 on the real Fashion-MNIST, Adam (lr 1e-3), batch 32, both starting from
the same weights (PyTorch's initialisation, loaded into minicnn) and seeing the
same batches in the same order. The epochs alternate between the two
frameworks; each epoch is timed (training only) and followed by a test-set
evaluation.

    python benchmarks/lenet_epoch.py --epochs 2
    python benchmarks/lenet_epoch.py --fit       # minicnn's epoch through mc.fit and a DataLoader
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minicnn as mc  # noqa: E402
import minicnn.functional as F  # noqa: E402
from minicnn.data import ArrayDataset, DataLoader, datasets  # noqa: E402
from minicnn.data.dataset import Subset  # noqa: E402
from minicnn.models import lenet5  # noqa: E402
from timing import fix_threads, machine  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fit", action="store_true", help="train minicnn through mc.fit + DataLoader (same batches)")
    args = ap.parse_args()
    import torch
    blas = fix_threads(args.threads)
    train, test = datasets.FashionMNIST(train=True), datasets.FashionMNIST(train=False)
    xtr, ytr = train.get_batch(np.arange(len(train)))
    xte, yte = test.get_batch(np.arange(len(test)))
    torch.manual_seed(0)
    T = torch.nn
    tnet = T.Sequential(T.Conv2d(1, 6, 5, padding="same"), T.ReLU(), T.AvgPool2d(2),
                        T.Conv2d(6, 16, 5, padding="same"), T.ReLU(), T.AvgPool2d(2), T.Flatten(),
                        T.Linear(784, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(), T.Linear(84, 10))
    net = lenet5()
    net.load_state_dict({k: v.detach().numpy() for k, v in tnet.state_dict().items()})
    opt, topt = mc.optim.Adam(net.parameters()), torch.optim.Adam(tnet.parameters())
    rs = np.random.default_rng(0)
    print(f"# LeNet-5 on Fashion-MNIST, Adam, batch 32{', minicnn through mc.fit' if args.fit else ''}, "
          f"{time.strftime('%Y-%m-%d')}, {machine()}, "
          f"{args.threads} threads, BLAS {blas}, PyTorch {torch.__version__}")

    def ours_epoch(order):
        net.train()
        if args.fit:                                    # the same batches, through the library's loop
            loader = DataLoader(Subset(ArrayDataset(xtr, ytr), order), batch_size=32, drop_last=True)
            mc.fit(net, loader, epochs=1, optimizer=opt, verbose=0)
        for i in range(0, len(order) - 31 if not args.fit else 0, 32):
            idx = order[i:i + 32]
            loss = F.cross_entropy(net(mc.tensor(xtr[idx])), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with mc.no_grad():
            pred = np.concatenate([net(mc.tensor(xte[i:i + 1000])).numpy().argmax(1) for i in range(0, 10000, 1000)])
        return (pred == yte).mean()

    def torch_epoch(order):
        tnet.train()
        xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
        for i in range(0, len(order) - 31, 32):
            idx = torch.from_numpy(order[i:i + 32])
            loss = torch.nn.functional.cross_entropy(tnet(xt[idx]), yt[idx])
            topt.zero_grad()
            loss.backward()
            topt.step()
        tnet.eval()
        with torch.no_grad():
            pred = tnet(torch.from_numpy(xte)).argmax(1).numpy()
        return (pred == yte).mean()

    rows = []
    for epoch in range(1, args.epochs + 1):
        order = rs.permutation(len(xtr))
        for name, fn in (("minicnn", ours_epoch), ("pytorch", torch_epoch)):
            t0 = time.perf_counter()
            acc = fn(order)
            dt = time.perf_counter() - t0
            rows.append((epoch, name, dt, acc))
            print(f"epoch {epoch} {name:8s} {dt:6.1f} s (train + test pass)  test accuracy {acc:.4f}", flush=True)
    ours = np.median([r[2] for r in rows if r[1] == "minicnn"])
    theirs = np.median([r[2] for r in rows if r[1] == "pytorch"])
    print(f"median epoch: minicnn {ours:.1f} s, PyTorch {theirs:.1f} s, ratio {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
