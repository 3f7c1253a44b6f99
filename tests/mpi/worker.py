"""Run by tests/test_distributed.py, with or without mpiexec: one epoch of SGD on seeded data, rank 0
saves the final weights and the logged loss. Options make one rank fail or die on purpose."""
import argparse
import os
import signal
import sys
import time

import numpy as np

import minicnn as mc
import minicnn.nn as nn
from minicnn.data import ArrayDataset, DataLoader
from minicnn.models import lenet5


def bn_net():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.Tanh(), nn.GlobalAvgPool2d(),
                         nn.Linear(16, 10))


class Sabotage(mc.train.Callback):
    def __init__(self, rank, step, how):
        self.rank, self.step, self.how = rank, step, how

    def after_backward(self, step, loss):
        if mc.distributed.get_rank() == self.rank and step == self.step:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "exit":                      # a user's script giving up on one rank
                sys.exit(3)
            if self.how == "hang":                      # stuck, not dead: only the timeout can tell
                time.sleep(3600)
            raise RuntimeError(f"rank {self.rank} failed on purpose at step {step}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, required=True, help="per-process batch size")
    ap.add_argument("--samples", type=int, default=640)
    ap.add_argument("--model", choices=["lenet5", "bn"], default="lenet5")
    ap.add_argument("--sync-bn", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--fail", nargs=3, metavar=("RANK", "STEP", "HOW"), help="HOW: raise, kill, exit or hang")
    ap.add_argument("--differ", choices=["model", "samples"], help="rank 1 gets another model or fewer samples")
    args = ap.parse_args()
    rank = mc.distributed.get_rank()
    rs = np.random.default_rng(0)
    samples = args.samples - 1 if args.differ == "samples" and rank == 1 else args.samples
    x = rs.random((samples, 1, 28, 28), dtype=np.float32)
    y = rs.integers(0, 10, samples)
    mc.manual_seed(1 + rank)                            # different on each rank: the broadcast must fix it
    model = lenet5() if args.model == "lenet5" else bn_net()
    if args.differ == "model":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 6), nn.Linear(6, 10)) if rank == 0 else \
            nn.Sequential(nn.Flatten(), nn.Linear(784, 6), nn.Linear(4, 10))
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    loader = DataLoader(ArrayDataset(x, y), batch_size=args.batch, shuffle=True, seed=7)
    opt = mc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    callbacks = [Sabotage(int(args.fail[0]), int(args.fail[1]), args.fail[2])] if args.fail else []
    hist = mc.fit(model, loader, epochs=1, optimizer=opt, verbose=0, callbacks=callbacks)
    if mc.distributed.is_main_process() and args.out:
        state = dict(model.state_dict())
        state["_loss"] = np.float64(hist.history["loss"][0])
        state["_steps"] = np.int64(len(loader))
        mc.save(state, args.out)


if __name__ == "__main__":
    main()
