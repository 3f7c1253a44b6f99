"""minicnn's settings in one place: read from the environment once, changed in code for a block.

    import minicnn as mc
    with mc.using_config(threads=1, cuda_kernels=False):
        ...                     # inside the block these hold; after it, what held before is back
    mc.config.threads           # what holds now

| setting      | environment variable                | default                  | what it switches                          |
|--------------|-------------------------------------|--------------------------|-------------------------------------------|
| threads      | MINICNN_THREADS, else OMP_NUM_THREADS | the cores this process may use | threads for the chunked CPU ops (threads.py) |
| cuda_kernels | MINICNN_CUDA_KERNELS                | on                       | minicnn's own CUDA kernels where it has them (cuda_kernels.py) |
| keep_memory  | MINICNN_KEEP_MEMORY                 | on                       | glibc keeps freed memory once training starts (cpu_tuning.py) |
| debug        | MINICNN_DEBUG                       | off                      | the command line shows tracebacks         |
| offline      | MINICNN_OFFLINE                     | off                      | never download a dataset                  |
| col_budget   | --                                  | 16 MiB                   | bytes of column matrix one conv2d piece may take on the CPU |
| gpu_col_budget | --                                | 1 GiB                    | the same on a GPU                         |
| gpu_keep_fraction | --                             | 1/16                     | the share of a GPU's memory a layer's pieces may keep from forward |
| thread_min_elements | --                           | 2**21                    | the least work (array elements) a thread is handed (threads.py) |
| thread_block | --                                  | 2**16                    | elements threads.elementwise's passes take at a time |
| norm_block   | --                                  | 2**17                    | elements batch norm's passes take at a time (norm.py) |
| fit_numpy_buffer | --                              | on                       | NumPy's buffer fitted to short rows in batch norm (layout.py) |

The last four are tunings, measured on the CPU (RESULTS.md, "Threads", "Batch norm blocks" and
"Batch norm's rows"), kept here so that a test or a benchmark can set them for a block: the thread
settings and the buffer switch leave every bit as it is, norm_block moves batch norm's sums by float
rounding only. The three budgets bound convolution's memory (functional/conv_algorithms/choice.py
says why each is what it is, RESULTS.md "Column budget" and "GPU" have the measurements); a smaller
col_budget cuts a layer into more pieces, the same numbers in more steps.

Each setting is read from its variable the first time it is asked for (environment.py says how a
switch or a count is read, and refuses garbage), and then only changed in code: no op reads the
environment, and tests scope a setting with using_config instead of patching a module. Unlike
Chainer's configuration, which is per thread, these are the process's: minicnn's worker threads see
what the caller set.
"""
import contextlib
import os

from . import environment


def cores():
    """How many cores this process may run on (its affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# setting -> how it is read from the environment the first time it is asked for
_READ = {
    "threads": lambda: environment.count("MINICNN_THREADS") or environment.count("OMP_NUM_THREADS") or cores(),
    "cuda_kernels": lambda: environment.flag("MINICNN_CUDA_KERNELS", True),
    "keep_memory": lambda: environment.flag("MINICNN_KEEP_MEMORY", True),
    "debug": lambda: environment.flag("MINICNN_DEBUG"),
    "offline": lambda: environment.flag("MINICNN_OFFLINE"),
    # 16 MiB: memory stays bounded (VGG-16 trains at 224x224), one reused buffer is never faulted in
    # afresh, and pieces this small are copied and multiplied while still in the cache
    "col_budget": lambda: 16 << 20,
    # a GPU's memory is large, and every piece costs kernel launches
    "gpu_col_budget": lambda: 1 << 30,
    # the GPU profile showed VGG-16 rebuilding its large layers' columns in backward; not yet measured
    "gpu_keep_fraction": lambda: 1 / 16,
    # below this share, handing work to a thread costs more than the second core saves
    "thread_min_elements": lambda: 1 << 21,
    # blocks small enough that fn's passes over one find it still in the cache
    "thread_block": lambda: 1 << 16,
    # 512 KB of float32: (x - mean) and the other per-element temporaries live in the cache, so each
    # pass reads x (and gy) from memory once
    "norm_block": lambda: 128 << 10,
    "fit_numpy_buffer": lambda: True,
}
_WHOLE = ("threads", "col_budget", "gpu_col_budget", "thread_min_elements", "thread_block", "norm_block")


class Config:
    """The settings (see the module docstring): attributes read from the environment when first asked
    for, and checked when set (threads a whole number of 1 or more, the switches True or False)."""

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        if name not in _READ:
            raise AttributeError(f"minicnn has no setting {name!r}; the settings are {', '.join(_READ)}")
        values = self._values
        if name not in values:
            values[name] = _READ[name]()
        return values[name]

    def __setattr__(self, name, value):
        if name not in _READ:
            raise AttributeError(f"minicnn has no setting {name!r}; the settings are {', '.join(_READ)}")
        if name in _WHOLE:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"config.{name} must be a whole number of 1 or more, got {value!r}")
        elif name == "gpu_keep_fraction":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"config.gpu_keep_fraction must be a number from 0 to 1, got {value!r}")
        elif not isinstance(value, bool):
            raise ValueError(f"config.{name} is a switch: True or False, got {value!r}")
        self._values[name] = value

    def __repr__(self):
        return "Config(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in _READ) + ")"


config = Config()


@contextlib.contextmanager
def using_config(**settings):
    """``with using_config(threads=1):`` -- the settings given hold inside the block (checked first, all
    or none), and what held before is put back after it, also when the block raises."""
    before = {name: getattr(config, name) for name in settings if name in _READ}
    try:
        for name, value in settings.items():
            setattr(config, name, value)
        yield config
    finally:
        for name, value in before.items():
            config._values[name] = value
