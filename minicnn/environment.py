"""minicnn's environment variables, read in one place and strictly (the settings they hold are read
once, by minicnn/configuration.py, and then changed in code with ``mc.using_config``).

A switch is on for 1, true, yes or on and off for 0, false, no, off or empty (any case); anything
else is a ValueError naming the variable, never a silent guess (MINICNN_DEBUG=false once turned
tracebacks on, and MINICNN_OFFLINE=true still downloaded). A count that is not a whole number of
1 or more is ignored with a warning naming it.

    MINICNN_DEBUG         the command line shows tracebacks (as --debug)
    MINICNN_OFFLINE       never download a dataset (the test suite sets it)
    MINICNN_KEEP_MEMORY   keep freed memory in the process between steps (on by default; cpu_tuning)
    MINICNN_CUDA_KERNELS  use minicnn's own CUDA kernels where it has them (on by default)
    MINICNN_THREADS       threads for minicnn's chunked CPU ops (else OMP_NUM_THREADS, else the cores)
    MINICNN_DATA          where datasets are looked for and kept
"""
import os
import warnings

_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off", "")


def flag(name, default=False):
    """The switch ``name`` of the environment, ``default`` when it is not set."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(f"the environment variable {name}={raw!r} is neither on ({', '.join(_ON)}) nor off "
                     f"({', '.join(v for v in _OFF if v)}); set it to one of those or unset it")


def count(name):
    """The whole number >= 1 in ``name``, or None when it is unset or empty; a warning and None when it
    holds anything else."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value >= 1:
        return value
    warnings.warn(f"the environment variable {name}={raw!r} is not a whole number of 1 or more; it is ignored",
                  stacklevel=3)
    return None
