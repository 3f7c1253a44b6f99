"""Datasets: anything with __len__ and __getitem__ returning (x, y); ArrayDataset for arrays in memory,
TensorDataset, Subset and random_split as in torch.utils.data.

A dataset may also offer ``get_batch(indices)`` returning a tuple of stacked arrays; the
DataLoader then fetches a whole batch with one fancy-indexing operation instead of one
Python call per sample (what keeps LeNet from waiting on data).
"""
import numpy as np

from .. import backend
from ..tensor import Tensor


def _host(a):
    """An array (or a Tensor's array) on the CPU: datasets live in host memory."""
    a = a.array if isinstance(a, Tensor) else a
    return backend.to_device(a, "cpu") if backend.device_of(a) == "cuda" else np.asarray(a)


class Dataset:
    """torch.utils.data.Dataset: subclass it with __len__ and __getitem__(i) -> (x, y);
    get_batch(indices) is optional and faster."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


def apply_transform(transform, images):
    """A transform over a batch: its batched form when it has one (minicnn's transforms), else one call
    per image (any callable written for torchvision's per-image transforms), the results stacked."""
    if transform is None:
        return images
    if hasattr(transform, "apply_batch"):
        return transform.apply_batch(images)
    return np.stack([np.asarray(transform(im)) for im in images])


class ArrayDataset(Dataset):
    """Samples x[i], labels y[i] from two arrays with the same first dimension.

    ``transform`` (optional) is applied to whole batches, e.g. transforms.Compose([...]).
    """

    def __init__(self, x, y, transform=None, classes=None):
        x, y = _host(x), _host(y)
        if len(x) != len(y):
            raise ValueError(f"ArrayDataset: {len(x)} samples but {len(y)} labels")
        self.x, self.y, self.transform = x, y, transform
        self.classes = classes

    def __len__(self):
        return len(self.x)

    def get_batch(self, indices, transform=None):
        return apply_transform(transform or self.transform, self.x[indices]), self.y[indices]

    def __getitem__(self, index):
        x = self.x[index]
        return (x if self.transform is None else self.transform(x)), self.y[index]


class TensorDataset(Dataset):
    """Sample i is (t[i] for t in tensors): torch.utils.data.TensorDataset (tensors or arrays, kept on
    the CPU)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.arrays = [_host(t) for t in tensors]
        sizes = {len(a) for a in self.arrays}
        if len(sizes) > 1:
            raise ValueError(f"TensorDataset: the tensors' first dimensions differ: {[len(a) for a in self.arrays]}")
        self.tensors = tensors

    def __len__(self):
        return len(self.arrays[0])

    def get_batch(self, indices, transform=None):
        return tuple(a[indices] for a in self.arrays)

    def __getitem__(self, index):
        from ..tensor import Tensor
        return tuple(Tensor(a[index]) for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (e.g. a train/validation split of one image folder),
    with a transform of its own (so a training split can augment while its validation twin does not)."""

    def __init__(self, dataset, indices, transform=None):
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64)
        self.classes = getattr(dataset, "classes", None)
        self.transform = transform if transform is not None else getattr(dataset, "transform", None)

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices, transform=None):
        if not hasattr(self.dataset, "get_batch"):
            raise AttributeError(f"{type(self.dataset).__name__} has no get_batch")
        return self.dataset.get_batch(self.indices[np.asarray(indices)], transform=transform or self.transform)

    def __getitem__(self, index):
        if hasattr(self.dataset, "get_batch"):
            batch = self.get_batch(np.asarray([index]))
            return tuple(b[0] for b in batch)
        return self.dataset[int(self.indices[index])]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into Subsets of the given lengths (counts, or fractions that add up to 1),
    at random from minicnn's seeded generator (or ``generator``, a numpy Generator)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= v <= 1 for v in lengths) and abs(sum(lengths) - 1) < 1e-6 and sum(lengths) != n:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):                  # the remainder, one each, round-robin (PyTorch's rule)
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} add up to {sum(lengths)}, not the dataset's {n}")
    rng = generator if isinstance(generator, np.random.Generator) else backend.rng("cpu")
    order = rng.permutation(n)
    bounds = np.cumsum([0] + lengths)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
