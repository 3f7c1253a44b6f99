"""DataLoader: batches of tensors, shuffled by the loader's own seeded generator.

Each epoch (each ``iter(loader)``) draws a new permutation from the loader's
generator, so the order is reproducible from the seed and resumable from
``state_dict()``. Without a seed, the generator is seeded from
minicnn.manual_seed's generator when the loader is made.

Under MPI (see minicnn.distributed) with N ranks, a loader shards by default: every
rank draws the same permutation (rank 0's seed is broadcast), cuts it into global
batches of N * batch_size, and takes its own contiguous part of each. N processes at
batch_size B thus see exactly the samples one process sees at batch_size N * B. A last
global batch with fewer samples than ranks is dropped (a rank would have none).
"""
import numpy as np

from .. import backend, distributed
from ..tensor import Tensor


class DataLoader:
    def __init__(self, dataset, batch_size=32, shuffle=False, drop_last=False, seed=None, device="cpu", shard=None):
        """batch_size: samples per batch on this process. shard: split every batch across the MPI ranks
        (None: when there is more than one; False: every rank reads all of the data)."""
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.device = backend.check_device(device)
        comm = distributed.world() if shard is not False else None
        self.num_replicas, self.rank = (comm.size, comm.rank) if comm is not None else (1, 0)
        if seed is None:
            seed = int(backend.rng("cpu").integers(2 ** 63))
        if self.num_replicas > 1:
            seed = comm.bcast_object(seed)              # one permutation for every rank
        self.generator = np.random.default_rng(seed)

    @property
    def global_batch_size(self):
        return self.batch_size * self.num_replicas

    def __len__(self):
        n, g = len(self.dataset), self.global_batch_size
        full, rest = divmod(n, g)
        return full + (1 if rest >= self.num_replicas and not self.drop_last else 0)

    def _fetch(self, idx):
        ds = self.dataset
        if hasattr(ds, "get_batch"):
            return ds.get_batch(idx)
        samples = [ds[int(i)] for i in idx]
        return np.stack([np.asarray(s[0]) for s in samples]), np.asarray([s[1] for s in samples])

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        g = self.global_batch_size
        for b in range(len(self)):
            idx = order[b * g:(b + 1) * g]
            if self.num_replicas > 1:
                idx = np.array_split(idx, self.num_replicas)[self.rank]
            x, y = self._fetch(idx)
            yield Tensor(x, device=self.device), Tensor(y, device=self.device)

    def state_dict(self):
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, sd):
        self.generator.bit_generator.state = sd["generator"]
