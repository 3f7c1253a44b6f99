"""minicnn/threads.py: NumPy work shared among threads gives the same bits as one thread."""
import threading
import time

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import threads
from minicnn.functional.conv_algorithms.im2col import ConvGeometry, im2col_batch_last, im2col_fast
from conftest import rand


@pytest.fixture
def many():
    """Four threads, and every array big enough to share: the threaded paths run on test-sized data."""
    with mc.using_config(thread_min_elements=16):
        old = threads.set_count(4)
        yield
        threads.set_count(old)


def pool_calls(monkeypatch):
    """A list that grows each time work is handed to the pool (to show a test's work was threaded)."""
    calls, executor = [], threads._executor

    def counted():
        calls.append(1)
        return executor()
    monkeypatch.setattr(threads, "_executor", counted)
    return calls


def one_and_many(fn):
    """fn() on one thread and on four; returns both results."""
    old = threads.set_count(1)
    try:
        one = fn()
    finally:
        threads.set_count(4)
    try:
        return one, fn()
    finally:
        threads.set_count(old)


def test_count_follows_the_environment_then_the_configuration(monkeypatch):
    from minicnn.configuration import Config
    monkeypatch.setenv("MINICNN_THREADS", "3")
    assert Config().threads == 3
    monkeypatch.delenv("MINICNN_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert Config().threads == 5
    before = threads.count()
    with mc.using_config(threads=7):
        assert threads.count() == 7
    assert threads.count() == before


def test_map_runs_keeps_item_order_and_uses_the_pool(many):
    seen = set()

    def fn(run):
        seen.add(threading.current_thread().name)
        time.sleep(0.02)                                            # long enough that each worker takes one run
        return [i * i for i in run]
    assert threads.map_runs(fn, list(range(10))) == [i * i for i in range(10)]
    assert len(seen) == 4 and any(name.startswith("minicnn") for name in seen)


def test_small_work_stays_on_the_callers_thread(monkeypatch):
    old = threads.set_count(4)
    try:
        seen = set()
        threads.map_runs(lambda run: seen.add(threading.current_thread().name) or [], [1, 2, 3],
                         elements=mc.config.thread_min_elements)
        assert seen == {threading.current_thread().name}
    finally:
        threads.set_count(old)


def test_elementwise_runs_by_blocks_and_falls_back_on_mixed_layouts(many, config):
    config(thread_block=7)
    x = rand(3, 4, 5, 6, seed=1)
    y = np.empty_like(x)
    threads.elementwise(lambda y, x: np.multiply(x, 2, out=y), [y], [x])
    np.testing.assert_array_equal(y, x * 2)
    xt = x.transpose(3, 1, 2, 0)                                    # another memory order than y's
    y2 = np.empty(xt.shape, np.float32)
    threads.elementwise(lambda y, x: np.multiply(x, 2, out=y), [y2], [xt])
    np.testing.assert_array_equal(y2, xt * 2)


@pytest.mark.parametrize("shape", [(5, 3, 7), (1, 2, 9, 4), (3, 1, 1, 40)])
def test_copy_splits_along_an_axis_long_enough(many, shape):
    src = rand(*shape, seed=2).transpose(*reversed(range(len(shape))))
    dst = np.empty(src.shape, np.float32)
    threads.copy(dst, src)
    np.testing.assert_array_equal(dst, src)


@pytest.mark.parametrize("n", [3, 17])
def test_im2col_threaded_is_bit_identical(many, monkeypatch, n):
    x = rand(n, 3, 9, 8, seed=3)
    g = ConvGeometry(x.shape, (3, 3), (1, 1), (1, 1, 1, 1))
    for fn in (im2col_fast, im2col_batch_last):
        calls = pool_calls(monkeypatch)
        one, more = one_and_many(lambda: fn(x, g).copy())
        assert calls
        np.testing.assert_array_equal(one, more)


@pytest.mark.parametrize("n", [3, 17])                             # NCHW and batch-last
def test_a_threaded_block_is_bit_identical(many, monkeypatch, config, n):
    config(thread_block=16)                                         # 4 blocks < the ReLU's size: blocks

    def step():
        x = mc.tensor(rand(n, 4, 6, 5, seed=4), requires_grad=True)
        w = mc.tensor(rand(4, seed=5) + 1, requires_grad=True)
        b = mc.tensor(rand(4, seed=6), requires_grad=True)
        h = F.conv2d(x, mc.tensor(rand(4, 4, 3, 3, seed=7)), padding=1)
        y = F.relu(F.batch_norm(h, None, None, w, b, training=True))
        y.backward(mc.tensor(rand(*y.shape, seed=8)))
        return [y.array.copy(), x.grad.array.copy(), w.grad.array.copy(), b.grad.array.copy()]
    calls = pool_calls(monkeypatch)
    one, more = one_and_many(step)
    assert calls                                                    # the ReLU and im2col work was threaded
    for a, c in zip(one, more):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("make", [lambda p: mc.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2, nesterov=True),
                                  lambda p: mc.optim.Adam(p, lr=1e-2, weight_decay=1e-2)])
def test_optimizer_slices_on_threads_are_bit_identical(many, monkeypatch, make):
    """A parameter of several slices (SLICE elements each) is updated slice by slice on every thread."""
    def steps():
        w = mc.nn.Parameter(rand(300, 700, seed=9))                     # 210,000 elements: 4 slices
        opt = make([w])
        for i in range(3):
            w.grad = mc.tensor(rand(300, 700, seed=10 + i))
            opt.step()
        return [w.array.copy()]
    calls = pool_calls(monkeypatch)
    one, more = one_and_many(steps)
    assert calls
    np.testing.assert_array_equal(one[0], more[0])


def test_work_handed_out_from_a_worker_runs_there(many):
    """A pool thread that asks for more threads runs the work itself: it must never wait on the pool."""
    def outer(run):
        return [threads.map_runs(lambda inner: [threading.current_thread().name for _ in inner], [1, 2, 3])
                for _ in run]
    names = threads.map_runs(outer, list(range(8)))
    workers = [inner for inner in names if inner[0].startswith("minicnn")]
    assert workers and all(len(set(inner)) == 1 for inner in workers)


def test_settings_are_scoped_checked_and_put_back_after_an_error():
    """using_config sets for a block and puts back what held, also when the block raises; a bad value or
    an unknown name is refused before anything changes."""
    before = (mc.config.threads, mc.config.cuda_kernels)
    with pytest.raises(RuntimeError, match="inside"):
        with mc.using_config(threads=2, cuda_kernels=False) as cfg:
            assert (cfg.threads, cfg.cuda_kernels) == (2, False) and threads.count() == 2
            raise RuntimeError("inside")
    assert (mc.config.threads, mc.config.cuda_kernels) == before
    with pytest.raises(ValueError, match=r"config.threads must be a whole number of 1 or more, got 0"):
        with mc.using_config(threads=0):
            pass
    with pytest.raises(AttributeError, match=r"no setting 'thread'; the settings are threads, cuda_kernels"):
        with mc.using_config(threads=3, thread=2):
            pass
    with pytest.raises(ValueError, match=r"config.offline is a switch: True or False, got 'yes'"):
        mc.config.offline = "yes"
    for tuning in ("thread_min_elements", "thread_block", "norm_block"):
        with pytest.raises(ValueError, match=rf"config.{tuning} must be a whole number of 1 or more, got 0.5"):
            setattr(mc.config, tuning, 0.5)
    with pytest.raises(ValueError, match=r"config.fit_numpy_buffer is a switch"):
        mc.config.fit_numpy_buffer = 1
    assert (mc.config.threads, mc.config.cuda_kernels) == before
    assert repr(mc.config).startswith("Config(threads=")
