"""minicnn.data: datasets read from their official files, the DataLoader, and batch transforms."""
from .dataset import Dataset, ArrayDataset, TensorDataset, Subset, random_split, apply_transform  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from . import transforms, datasets  # noqa: F401
from .transforms import compute_mean_std  # noqa: F401
