"""DataLoader: batches of tensors, shuffled by the loader's own seeded generator.

Each epoch (each ``iter(loader)``) draws a new permutation from the loader's
generator, so the order is reproducible from the seed and resumable from
``state_dict()``. Without a seed, the generator is seeded from
minicnn.manual_seed's generator when the loader is made.
"""
import math

import numpy as np

from .. import backend
from ..tensor import Tensor


class DataLoader:
    def __init__(self, dataset, batch_size=32, shuffle=False, drop_last=False, seed=None, device="cpu"):
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.device = backend.check_device(device)
        if seed is None:
            seed = int(backend.rng("cpu").integers(2 ** 63))
        self.generator = np.random.default_rng(seed)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _fetch(self, idx):
        ds = self.dataset
        if hasattr(ds, "get_batch"):
            return ds.get_batch(idx)
        samples = [ds[int(i)] for i in idx]
        return np.stack([np.asarray(s[0]) for s in samples]), np.asarray([s[1] for s in samples])

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            x, y = self._fetch(idx)
            yield Tensor(x, device=self.device), Tensor(y, device=self.device)

    def state_dict(self):
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, sd):
        self.generator.bit_generator.state = sd["generator"]
