"""minicnn.data: datasets, the DataLoader, and batch transforms."""
from .dataset import Dataset, ArrayDataset  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
