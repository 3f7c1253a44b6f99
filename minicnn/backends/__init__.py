"""``torch.backends``'s switches that PyTorch programs set: ``import minicnn.backends.cudnn as cudnn;
cudnn.benchmark = True`` runs (see cudnn.py for what each setting does here)."""
from . import cudnn  # noqa: F401
