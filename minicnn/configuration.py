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

Each setting is read from its variable the first time it is asked for (environment.py says how a
switch or a count is read, and refuses garbage), and then only changed in code: no op reads the
environment, and tests scope a setting with using_config instead of patching a module. As with
Chainer's ``using_config``, the settings are the process's, not a thread's.
"""
import contextlib
import os

from . import environment


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# setting -> how it is read from the environment the first time it is asked for
_READ = {
    "threads": lambda: environment.count("MINICNN_THREADS") or environment.count("OMP_NUM_THREADS") or _cores(),
    "cuda_kernels": lambda: environment.flag("MINICNN_CUDA_KERNELS", True),
    "keep_memory": lambda: environment.flag("MINICNN_KEEP_MEMORY", True),
    "debug": lambda: environment.flag("MINICNN_DEBUG"),
    "offline": lambda: environment.flag("MINICNN_OFFLINE"),
}


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
        if name == "threads":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"config.threads must be a whole number of 1 or more, got {value!r}")
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
