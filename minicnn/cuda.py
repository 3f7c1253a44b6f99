"""``torch.cuda`` for minicnn: is a GPU usable (CuPy and a CUDA device), how many, wait for it."""
from . import backend


def is_available():
    """True when CuPy is installed and a CUDA device answers."""
    return backend.cuda_available()


def device_count():
    """torch.cuda.device_count(): the CUDA devices CuPy sees (0 without CuPy or a GPU)."""
    return backend.cupy_module().cuda.runtime.getDeviceCount() if is_available() else 0


def synchronize():
    """Wait until the GPU has finished the work queued so far (for timing); nothing without a GPU."""
    if is_available():
        backend.cupy_module().cuda.Device().synchronize()


def manual_seed(seed):
    """minicnn has one seed for every device: this is minicnn.manual_seed."""
    backend.manual_seed(seed)


manual_seed_all = manual_seed
