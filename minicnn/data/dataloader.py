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
    """Batches (x, y) of a dataset as tensors on ``device``: shuffled by its own seeded generator,
    resumable from state_dict(), sharded under MPI (this module's docstring)."""

    def __init__(self, dataset, batch_size=32, shuffle=False, drop_last=False, seed=None, device="cpu", shard=None,
                 num_workers=0, pin_memory=False, persistent_workers=False, prefetch_factor=None, timeout=0,
                 worker_init_fn=None, sampler=None, batch_sampler=None, collate_fn=None):
        """batch_size: samples per batch on this process. shard: split every batch across the MPI ranks
        (None: when there is more than one; False: every rank reads all of the data).
        num_workers, pin_memory, persistent_workers, prefetch_factor, timeout and worker_init_fn are
        accepted for PyTorch code and change nothing: batches are read in this process, by
        fancy indexing where the dataset allows it."""
        if sampler is not None or batch_sampler is not None or collate_fn is not None:
            raise NotImplementedError("DataLoader: sampler, batch_sampler and collate_fn are not supported; "
                                      "use shuffle=True/False, or index your dataset yourself")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.device = backend.check_device(device)
        comm = distributed.world() if shard is not False else None
        self.num_replicas, self.rank = (comm.size, comm.rank) if comm is not None else (1, 0)
        if seed is None:
            seed = int(backend.rng("cpu").integers(2 ** 63))
        if self.num_replicas > 1:
            # a shard of the same permutation on every rank: the data sets must be as long (else the
            # ranks' batch counts differ and MPI fails with "Message truncated" or hangs)
            distributed.check_same("the number of samples in the DataLoader's data set", len(dataset))
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
        """The batch as a tuple of arrays: by the dataset's get_batch, or sample by sample, stacked."""
        ds = self.dataset
        if hasattr(ds, "get_batch"):
            return ds.get_batch(idx)
        samples = [ds[int(i)] for i in idx]
        if not isinstance(samples[0], (tuple, list)):
            return (_stack(samples),)
        return tuple(_stack([s[k] for s in samples]) for k in range(len(samples[0])))

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        g = self.global_batch_size
        for b in range(len(self)):
            idx = order[b * g:(b + 1) * g]
            if self.num_replicas > 1:
                idx = np.array_split(idx, self.num_replicas)[self.rank]
            batch = tuple(Tensor(a, device=self.device) for a in self._fetch(idx))
            yield batch[0] if len(batch) == 1 else batch

    def state_dict(self):
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, sd):
        self.generator.bit_generator.state = sd["generator"]


def _stack(values):
    """Samples (arrays, tensors or numbers) as one array with a batch dimension first."""
    return np.stack([np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in values])
