"""Nothing is kept alive across training steps: memory stays flat (tracemalloc sees NumPy's allocations)."""
import gc
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
