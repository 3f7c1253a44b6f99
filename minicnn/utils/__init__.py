"""``minicnn.utils.data``: torch.utils.data's names (DataLoader, Dataset, TensorDataset, random_split)."""
from . import data  # noqa: F401
