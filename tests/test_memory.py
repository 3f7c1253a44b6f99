"""Nothing is kept alive across training steps: memory stays flat (tracemalloc sees NumPy's allocations),
and freed memory is reused rather than faulted in again."""
import gc
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import minicnn as mc
from minicnn.data import ArrayDataset, DataLoader
from minicnn.models import lenet5


def run_steps(steps, batch=16):
    mc.manual_seed(0)
    rs = np.random.default_rng(0)
    loader = DataLoader(ArrayDataset(rs.random((batch * 50, 1, 28, 28), dtype=np.float32), rs.integers(0, 10, batch * 50)),
                        batch_size=batch, shuffle=True, seed=0)
    model = lenet5()
    opt = mc.optim.Adam(model.parameters())
    samples = []
    tracemalloc.start()
    try:
        done = 0
        while done < steps:
            for x, y in loader:
                loss = mc.functional.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                done += 1
                if done % 50 == 0:
                    gc.collect()
                    samples.append(tracemalloc.get_traced_memory()[0])
                if done >= steps:
                    break
    finally:
        tracemalloc.stop()
    return samples


def test_memory_is_flat_over_400_steps():
    samples = run_steps(400)
    assert max(samples[2:]) - samples[1] < 256 * 1024, samples


@pytest.mark.slow
def test_memory_is_flat_over_2000_steps():
    samples = run_steps(2000)
    assert max(samples[2:]) - samples[1] < 256 * 1024, samples


FAULTS_SCRIPT = """
import resource, sys
import numpy as np
import minicnn as mc
from minicnn.cpu_tuning import keep_freed_memory
from minicnn.models import lenet5
mc.manual_seed(0)
rs = np.random.default_rng(0)
x, y = mc.tensor(rs.random((32, 1, 28, 28), dtype=np.float32)), rs.integers(0, 10, 32)
model = lenet5()
opt = mc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
def step():                                  # PyTorch's tutorial order
    opt.zero_grad()
    loss = mc.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(keep_freed_memory(), (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _kept_and_faults(script, **env):
    """Run a script printing "<malloc setting applied> <page faults>" in a fresh process."""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env=dict(os.environ, **env)).stdout.split()
    return out[0] == "True", float(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc setting is glibc's")
def test_training_steps_reuse_freed_memory_instead_of_faulting_in_pages():
    """A hand-written loop, as a port from PyTorch has, that never calls mc.tune_cpu(): its first
    optimizer step applies it, glibc then keeps freed blocks (minicnn.cpu_tuning), and a LeNet-5
    step writes to no fresh page (without it: up to ~1,900 page faults a step here)."""
    kept, faults = _kept_and_faults(FAULTS_SCRIPT)
    assert kept and faults < 10, faults
    assert _kept_and_faults(FAULTS_SCRIPT, MINICNN_KEEP_MEMORY="0")[0] is False


NO_SIDE_EFFECT_SCRIPT = """
import sys
import numpy as np
import minicnn as mc
import minicnn.functional as F
from minicnn import cpu_tuning
def flags():
    return (cpu_tuning._heap_kept, cpu_tuning._blas_warm)
w = mc.tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)
x = mc.tensor(np.ones((2, 3, 8, 8), np.float32))
F.conv2d(x, w).sum().backward()
after_ops = flags()
model = mc.nn.Sequential(mc.nn.Flatten(), mc.nn.Linear(192, 2))
opt = mc.optim.SGD(model.parameters(), lr=0.1)
if sys.argv[1] == "fit":
    mc.fit(model, (np.ones((4, 3, 8, 8), np.float32), np.array([0, 1, 0, 1])), optimizer=opt, verbose=0)
else:
    model(x).sum().backward()
    opt.step()
print(after_ops, flags())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc setting is glibc's")
@pytest.mark.parametrize("by", ["fit", "optimizer step"])
def test_ops_leave_the_process_alone_and_training_tunes_it(by):
    """Process-wide settings come from mc.tune_cpu(), which fit and the first optimizer step call;
    no op, forward or backward, applies them on its own."""
    out = subprocess.run([sys.executable, "-c", NO_SIDE_EFFECT_SCRIPT, by], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(False, False) (True, True)", out.stdout + out.stderr


BIG_BLOCK_SCRIPT = """
import resource
import numpy as np
from minicnn.cpu_tuning import keep_freed_memory
kept = keep_freed_memory()
np.ones(50 << 20, dtype=np.float32)                 # 200 MB, freed at once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    np.ones(50 << 20, dtype=np.float32)
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc setting is glibc's")
def test_a_freed_block_of_hundreds_of_megabytes_is_reused():
    """VGG-16's first fully connected layer makes a 411 MB weight gradient every step; glibc would
    mmap it afresh each time (209 ms to allocate and fill here, 65 ms reused)."""
    kept, faults = _kept_and_faults(BIG_BLOCK_SCRIPT)
    assert kept and faults < 10, faults
    kept, faults = _kept_and_faults(BIG_BLOCK_SCRIPT, MINICNN_KEEP_MEMORY="0")
    assert not kept and faults >= 3 * 50, faults    # 200 MB: 100 huge pages or 51,200 small ones, each time


@pytest.mark.parametrize("batch", [2, 16])
def test_parameter_gradients_are_contiguous(batch):
    """The optimizer reads each gradient flat, in the weight's order; a transposed gradient would
    cost it a transposing copy per step (16 ms for one 512 x 4608 conv weight here)."""
    from minicnn.models import resnet18
    model = resnet18(num_classes=10)
    x = mc.tensor(np.random.default_rng(0).random((batch, 3, 32, 32), dtype=np.float32))
    mc.functional.cross_entropy(model(x), np.arange(batch) % 10).backward()
    bad = [name for name, p in model.named_parameters() if not p.grad.array.flags.c_contiguous]
    assert not bad, bad
