"""Data-parallel training over MPI: N ranks at batch B train as one process at batch N*B; failures end the job.

The multi-process tests launch tests/mpi/worker.py (or the CLI) with mpiexec from the `mpich` package
(installed with mpi4py by the test extra) and compare with the same script run as one plain process.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
import minicnn.nn as nn
from minicnn import distributed
from minicnn.data import ArrayDataset, DataLoader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "mpi", "worker.py")
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))


def _has_mpi4py():
    try:
        import mpi4py  # noqa: F401
        return True
    except ImportError:
        return False


needs_mpi = pytest.mark.skipif(MPIEXEC is None or not _has_mpi4py(),
                               reason="needs mpi4py and mpiexec (pip install minicnn[dist])")
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")     # 2 ranks on 2 cores


# a guard against a hung MPI job (the failure these tests look for), far above any busy machine's time
HANG_S = 900


def run(cmd, timeout=HANG_S):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT)


def mpirun(n, *args, timeout=HANG_S):
    return run([MPIEXEC, "-n", str(n), sys.executable, *args], timeout=timeout)


def train_worker(tmp_path, name, n, *args):
    out = tmp_path / f"{name}.npz"
    cmd = [WORKER, *args, "--out", str(out)]
    res = mpirun(n, *cmd) if n > 1 else run([sys.executable, *cmd])
    assert res.returncode == 0, res.stderr
    return mc.load(out)


def weights_differ(a, b):
    """max over tensors of ||a - b|| / max(||a||, 0.1): relative, with near-zero tensors (a batch-norm shift
    that training leaves at 0.003) judged against 0.1 rather than against their own float32 noise."""
    return max(np.linalg.norm(np.asarray(a[k], np.float64) - b[k]) / max(np.linalg.norm(a[k]), 0.1)
               for k in a if not k.startswith("_"))


@needs_mpi
def test_two_ranks_at_batch_16_take_the_steps_of_one_process_at_batch_32(tmp_path):
    one = train_worker(tmp_path, "one", 1, "--batch", "32")
    two = train_worker(tmp_path, "two", 2, "--batch", "16")
    assert int(one["_steps"]) == int(two["_steps"]) == 20                     # 640 samples, 20 SGD steps
    assert weights_differ(one, two) < 1e-5
    assert float(two["_loss"]) == pytest.approx(float(one["_loss"]), rel=1e-6)   # the logged loss: all ranks'


@needs_mpi
def test_synchronized_batch_norm_matches_one_process_even_with_an_uneven_last_batch(tmp_path):
    """645 samples: 20 steps of 16 + 16, then 5 samples split 3 + 2 across the ranks."""
    one = train_worker(tmp_path, "one", 1, "--batch", "32", "--model", "bn", "--samples", "645")
    synced = train_worker(tmp_path, "sync", 2, "--batch", "16", "--model", "bn", "--samples", "645", "--sync-bn")
    per_rank = train_worker(tmp_path, "local", 2, "--batch", "16", "--model", "bn", "--samples", "645")
    assert int(one["_steps"]) == int(synced["_steps"]) == 21
    assert weights_differ(one, synced) < 1e-5                                  # running statistics included
    assert weights_differ(one, per_rank) > 1e-2                                # per-rank statistics differ


@needs_mpi
@pytest.mark.parametrize("how", ["raise", "kill", "exit"])
def test_a_failing_rank_ends_the_job_with_its_error(tmp_path, how):
    res = mpirun(2, WORKER, "--batch", "16", "--fail", "1", "5", how)     # a hang would meet HANG_S
    assert res.returncode != 0
    if how == "raise":
        assert "[minicnn rank 1 of 2] RuntimeError: rank 1 failed on purpose at step 5" in res.stderr
    elif how == "exit":                 # sys.exit(3) in a user's script: once it hung the other rank for ever
        assert "[minicnn rank 1 of 2] sys.exit(3): aborting every rank" in res.stderr
    else:                       # a rank that vanishes: mpiexec reports its pid, which minicnn's first line maps
        import re
        pid = re.search(r"rank 1 = pid (\d+)", res.stderr).group(1)
        assert re.search(rf"PID {pid}\b.*\n.*EXIT CODE: 9", res.stdout + res.stderr), res.stdout + res.stderr


@needs_mpi
@pytest.mark.parametrize("differ,message", [
    ("model", "the model differs between ranks: 2.weight is (10, 6) float32 on rank 0 and (10, 4) float32 on rank 1"),
    ("samples", "the number of samples in the DataLoader's data set differs between ranks: rank 0 has 640, rank 1 "
                "has 639")])
def test_ranks_that_disagree_end_the_job_naming_the_difference(differ, message):
    """Once these trained on and exited 0 (models of other shapes), or failed in MPI's own words."""
    res = mpirun(2, WORKER, "--batch", "16", "--differ", differ)
    assert res.returncode != 0 and message in res.stderr, res.stderr[-2000:]


@needs_mpi
def test_ranks_whose_image_folders_hold_other_classes_end_the_job(tmp_path):
    from PIL import Image
    for folder, classes in (("a", ("ants", "bees")), ("b", ("ants", "wasps"))):
        for cls in classes:
            (tmp_path / folder / cls).mkdir(parents=True)
            for i in range(4):
                Image.fromarray(np.full((8, 8, 3), 30 * i, np.uint8)).save(tmp_path / folder / cls / f"{i}.png")
    common = ["--image-size", "28", "--epochs", "1", "--batch-size", "2", "--quiet", "--out", str(tmp_path / "out")]
    res = run([MPIEXEC, "-n", "1", sys.executable, "-m", "minicnn", "train", "--dataset", str(tmp_path / "a"), *common,
               ":", "-n", "1", sys.executable, "-m", "minicnn", "train", "--dataset", str(tmp_path / "b"), *common])
    assert res.returncode != 0
    assert "the class list (of --dataset) differs between ranks: rank 0 has ['ants', 'bees'], rank 1 has " \
           "['ants', 'wasps']" in res.stderr, res.stderr[-2000:]


@needs_mpi
def test_a_rank_that_stops_answering_ends_the_job_by_the_timeout():
    env = ENV | {"MINICNN_DIST_TIMEOUT": "3"}
    res = subprocess.run([MPIEXEC, "-n", "2", sys.executable, WORKER, "--batch", "16", "--fail", "1", "3", "hang"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=HANG_S)
    assert res.returncode != 0, res.stderr
    assert "[minicnn rank 0 of 2] TimeoutError: rank 1 stopped answering: rank 0 waited 3 s in an allreduce" \
        in res.stderr, res.stderr[-2000:]


@needs_mpi
@pytest.mark.skipif(not os.path.exists("/usr/share/datasets/fashion-mnist"), reason="needs dataset-fashion-mnist")
def test_cli_under_mpiexec_rank_0_writes_and_resume_restores_every_rank(tmp_path):
    """`mpiexec -n 2 python -m minicnn train` on an image folder: rank 0 alone writes the run's files; 2 epochs
    in one go equal 1 epoch + --resume + 1 epoch, bit for bit (augmentation included: every rank's random
    stream is saved and restored)."""
    from PIL import Image
    rs = np.random.default_rng(0)
    for c, level in (("dark", 60), ("light", 190)):
        (tmp_path / "pics" / c).mkdir(parents=True)
        for i in range(40):
            img = np.clip(rs.normal(level, 40, (28, 28, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(tmp_path / "pics" / c / f"{i}.png")
    base = ["-m", "minicnn", "train", "--dataset", str(tmp_path / "pics"), "--image-size", "28", "--model",
            "lenet5", "--batch-size", "8", "--quiet", "--augment"]      # random crops and flips: per-rank streams
    res = mpirun(2, *base, "--epochs", "2", "--out", str(tmp_path / "straight"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("Epoch 2/2") == 1 and "per process x 2 processes (mpi)" in res.stdout
    for name in ("history.json", "curves.png", "best.npz", "checkpoint.npz", "metrics.json", "config.json"):
        assert (tmp_path / "straight" / name).exists(), name
    assert json.loads((tmp_path / "straight" / "config.json").read_text())["processes"] == 2
    res = mpirun(2, *base, "--epochs", "1", "--out", str(tmp_path / "resumed"))
    assert res.returncode == 0, res.stderr
    res = mpirun(2, *base, "--epochs", "2", "--resume", str(tmp_path / "resumed" / "checkpoint.npz"))
    assert res.returncode == 0, res.stderr
    a, b = mc.load(tmp_path / "straight" / "best.npz"), mc.load(tmp_path / "resumed" / "best.npz")
    straight = json.loads((tmp_path / "straight" / "history.json").read_text())
    resumed = json.loads((tmp_path / "resumed" / "history.json").read_text())
    assert straight["loss"] == resumed["loss"] and straight["val_accuracy"] == resumed["val_accuracy"]
    assert all(np.array_equal(a[k], b[k]) for k in a)


@needs_mpi
def test_each_rank_draws_its_own_random_stream_and_rank_0_the_single_process_one():
    code = ("import minicnn as mc; from mpi4py import MPI; mc.manual_seed(5); mc.distributed.init(); "
            "v = MPI.COMM_WORLD.gather(mc.backend.rng().random()); print('draws', v) if v else None")
    res = run([MPIEXEC, "-n", "3", sys.executable, "-c", code])
    assert res.returncode == 0, res.stderr
    draws = eval(res.stdout.split("draws ")[1])
    mc.manual_seed(5)
    assert draws[0] == mc.backend.rng().random() and len(set(draws)) == 3


@needs_mpi
def test_ranks_sharing_a_machine_share_its_cores():
    """Without OMP_NUM_THREADS, 2 ranks on this machine get cores // 2 BLAS threads each (a thread per core
    in each rank made LeNet-5 steps 11x slower); a thread count set by the user is kept."""
    code = ("import os, minicnn as mc; from mpi4py import MPI; from threadpoolctl import threadpool_info; "
            "blas = lambda: max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'); "
            "before = (blas(), mc.config.threads); mc.distributed.init(); n = blas(); import sys; "
            "counts = MPI.COMM_WORLD.gather(n); sys.stdout.write(f'threads {counts}\\n') if counts else None; "
            "mc.distributed.shutdown(); sys.stdout.write(f'given back {(blas(), mc.config.threads) == before} "
            "{\"OMP_NUM_THREADS\" in os.environ}\\n')")     # one write a line: the ranks' lines must not interleave
    env = {k: v for k, v in os.environ.items() if k not in distributed.THREAD_VARIABLES}
    res = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=HANG_S, env=env)
    assert res.returncode == 0, res.stderr
    share = max(1, len(os.sched_getaffinity(0)) // 2)
    assert f"threads [{share}, {share}]" in res.stdout and f"{share} BLAS thread" in res.stderr
    assert res.stdout.count("given back True False") == 2                # shutdown restores both counts
    mine = 1 if share > 1 else 2
    res = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=HANG_S, env=env | {"OMP_NUM_THREADS": str(mine)})
    assert f"threads [{mine}, {mine}]" in res.stdout and "BLAS thread" not in res.stderr


# ---------------------------------------------------------------- a world of one (no MPI needed)
class FakeRank(distributed.Communicator):
    """Rank ``rank`` of ``size`` whose collectives act as if every rank held this rank's values."""

    def __init__(self, rank, size):
        self.rank, self.size = rank, size

    def allreduce(self, buf):
        buf *= self.size
        return buf


def test_shutdown_gives_back_what_joining_a_world_of_several_took(monkeypatch):
    """A rank of several takes the exit and exception hooks and a random stream of its own for the
    process; shutdown -- or leaving ``with distributed.init() as world:`` -- puts them back."""
    hook, exit_ = sys.excepthook, sys.exit
    mc.manual_seed(4)
    single = mc.backend.rng().random()
    world = FakeRank(1, 2)
    monkeypatch.setattr(distributed, "_world", world)
    with world:
        distributed._take_over_process(world)
        assert sys.exit is not exit_ and sys.excepthook is not hook
        mc.manual_seed(4)
        assert mc.backend.rng().random() != single                   # rank 1 draws its own numbers
    assert (sys.exit, sys.excepthook, distributed._world, distributed._undo) == (exit_, hook, None, [])
    mc.manual_seed(4)
    assert mc.backend.rng().random() == single


def test_sharded_loader_gives_each_rank_its_part_of_the_global_batch(monkeypatch):
    ds = ArrayDataset(np.arange(23, dtype=np.float32).reshape(23, 1), np.arange(23))
    single = [y.numpy() for _, y in DataLoader(ds, batch_size=6, shuffle=True, seed=3)]
    shards = []
    for rank in range(3):
        monkeypatch.setattr(distributed, "_world", FakeRank(rank, 3))
        loader = DataLoader(ds, batch_size=2, shuffle=True, seed=3)
        assert (loader.num_replicas, loader.rank, loader.global_batch_size, len(loader)) == (3, rank, 6, 4)
        shards.append([y.numpy() for _, y in loader])
    monkeypatch.setattr(distributed, "_world", None)
    for b, whole in enumerate(single):                  # 23 = 3 batches of 6 + 5 (split 2, 2, 1)
        np.testing.assert_array_equal(np.concatenate([s[b] for s in shards]), whole)
    assert [len(s[3]) for s in shards] == [2, 2, 1]
    assert len(DataLoader(ds, batch_size=2, shard=False)) == 12


def test_sharded_loader_drops_a_last_batch_smaller_than_the_world(monkeypatch):
    ds = ArrayDataset(np.zeros((13, 1), np.float32), np.arange(13))
    monkeypatch.setattr(distributed, "_world", FakeRank(0, 4))
    loader = DataLoader(ds, batch_size=3)                # 12 in one global batch; 1 left for 4 ranks
    assert len(loader) == 1 and [len(y) for _, y in loader] == [3]


def test_gradient_average_weights_ranks_by_their_samples(monkeypatch):
    p = nn.Parameter(np.zeros(3, np.float32))
    p.grad = np.array([1.0, 2.0, 3.0], np.float32)
    frozen = nn.Parameter(np.zeros(2, np.float32), requires_grad=False)
    monkeypatch.setattr(distributed, "_world", FakeRank(1, 2))
    total = distributed.average_gradients([p, frozen], count=5)
    assert total == 10 and frozen.grad is None          # the count rode along: 5 on each of the 2 ranks
    np.testing.assert_allclose(p.grad, [1.0, 2.0, 3.0])  # identical ranks average to the same gradient
    assert distributed.all_reduce_sum(1.5, 2) == (3.0, 4.0)


def test_world_of_one_changes_nothing():
    assert distributed.world().size == 1 and distributed.is_main_process()
    p = nn.Parameter(np.ones(2, np.float32))
    p.grad = np.array([0.5, -1.0], np.float32)
    assert distributed.average_gradients([p], count=7) == 7
    np.testing.assert_array_equal(p.grad, [0.5, -1.0])
    x = mc.tensor(np.random.default_rng(0).standard_normal((4, 3, 5, 5)).astype(np.float32), requires_grad=True)
    plain, synced = nn.BatchNorm2d(3), nn.SyncBatchNorm(3)
    gy = np.random.default_rng(1).standard_normal((4, 3, 5, 5)).astype(np.float32)
    (plain(x) * mc.tensor(gy)).sum().backward()
    g1, x.grad = x.grad.array.copy(), None
    (synced(x) * mc.tensor(gy)).sum().backward()
    np.testing.assert_array_equal(x.grad, g1)
    np.testing.assert_array_equal(synced.running_var, plain.running_var)


def test_convert_sync_batchnorm_keeps_weights_and_statistics():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 8),
                          nn.BatchNorm1d(8))
    model[1].running_mean[...] = 0.5
    before = {k: v.copy() for k, v in model.state_dict().items()}
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and isinstance(converted[5], nn.SyncBatchNorm)
    assert all(np.array_equal(before[k], v) for k, v in converted.state_dict().items())
    with pytest.raises(ValueError, match="C=4"):
        converted[1](mc.tensor(np.zeros((2, 3, 5, 5), np.float32)))


def test_sync_batch_norm_gradients_over_a_fake_world_of_identical_ranks(monkeypatch):
    """With every rank holding the same shard, synchronized statistics equal the local ones, so the
    gradient (checked in float64 against finite differences) is that of plain batch norm."""
    monkeypatch.setattr(distributed, "_world", FakeRank(0, 2))
    x = mc.tensor(np.random.default_rng(2).standard_normal((3, 2, 4, 4)), dtype=np.float64, requires_grad=True)
    w = mc.tensor([1.5, -0.5], dtype=np.float64, requires_grad=True)
    b = mc.tensor([0.1, 0.2], dtype=np.float64, requires_grad=True)
    comm = distributed.world()
    assert mc.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, comm=comm), [x, w, b])


@pytest.mark.gpu
def test_nccl_in_a_world_of_one_runs_its_collectives_on_the_gpu():
    """The NCCL path with one rank (NCCL needs a GPU per rank): allreduce and broadcast go through
    ncclAllReduce / ncclBcast on device buffers and leave the values; host arrays take the host path."""
    import cupy as cp
    if not distributed._nccl_available():
        with pytest.raises(RuntimeError, match="NCCL is not available"):
            distributed.NCCLCommunicator(None)
        pytest.skip("this CuPy has no NCCL (the error above says so)")
    comm = distributed.NCCLCommunicator(None)
    assert (comm.name, comm.rank, comm.size) == ("nccl", 0, 1)
    buf = cp.arange(6, dtype=cp.float32)
    cp.testing.assert_array_equal(comm.allreduce(buf), cp.arange(6, dtype=cp.float32))
    cp.testing.assert_array_equal(comm.broadcast(cp.ones(3, cp.float64)), cp.ones(3))
    np.testing.assert_array_equal(comm.allreduce(np.ones(2)), np.ones(2))
    with pytest.raises(TypeError, match="no NCCL type"):
        comm.allreduce(cp.ones(2, cp.float16))


def test_a_one_process_launch_without_mpi4py_is_a_world_of_one(tmp_path):
    """A single task started by a launcher (srun sets PMI variables) trains without mpi4py installed;
    more than one task without mpi4py is an error that says what to install."""
    (tmp_path / "mpi4py").mkdir()
    (tmp_path / "mpi4py" / "__init__.py").write_text("raise ImportError('no mpi4py here')\n")
    code = "import minicnn as mc; print('world', mc.distributed.world().size)"
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + ROOT, PMI_RANK="0", PMI_SIZE="1")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=HANG_S)
    assert res.returncode == 0 and "world 1" in res.stdout, res.stderr
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_S,
                         env=env | {"PMI_SIZE": "2"})
    assert res.returncode != 0 and "pip install minicnn[dist]" in res.stderr
