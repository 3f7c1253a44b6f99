"""torch.utils.data's names, from minicnn.data."""
from ..data import DataLoader, Dataset, ArrayDataset, TensorDataset, Subset, random_split  # noqa: F401
