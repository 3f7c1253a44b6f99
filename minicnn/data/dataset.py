"""Datasets: anything with __len__ and __getitem__ returning (x, y); ArrayDataset for arrays in memory.

A dataset may also offer ``get_batch(indices)`` returning stacked arrays; the
DataLoader then fetches a whole batch with one fancy-indexing operation
instead of one Python call per sample (what keeps LeNet from waiting on data).
"""
import numpy as np


class Dataset:
    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class ArrayDataset(Dataset):
    """Samples x[i], labels y[i] from two arrays with the same first dimension.

    ``transform`` (optional) is applied to whole batches, e.g. transforms.Compose([...]).
    """

    def __init__(self, x, y, transform=None, classes=None):
        x, y = np.asarray(x), np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"ArrayDataset: {len(x)} samples but {len(y)} labels")
        self.x, self.y, self.transform = x, y, transform
        self.classes = classes

    def __len__(self):
        return len(self.x)

    def get_batch(self, indices, transform=None):
        xb = self.x[indices]
        transform = transform or self.transform
        if transform is not None:
            xb = transform(xb)
        return xb, self.y[indices]

    def __getitem__(self, index):
        xb, yb = self.get_batch(np.asarray([index]))
        return xb[0], yb[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (e.g. a train/validation split of one image folder),
    with a transform of its own (so a training split can augment while its validation twin does not)."""

    def __init__(self, dataset, indices, transform=None):
        self.dataset, self.indices = dataset, np.asarray(indices)
        self.classes = getattr(dataset, "classes", None)
        self.transform = transform if transform is not None else dataset.transform

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices, transform=None):
        return self.dataset.get_batch(self.indices[np.asarray(indices)], transform=transform or self.transform)

    def __getitem__(self, index):
        x, y = self.get_batch(np.asarray([index]))
        return x[0], y[0]
