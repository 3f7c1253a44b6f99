"""Data-parallel training over MPI (mpi4py), and over NCCL between GPUs through CuPy.

Launch N copies of the same script; each is a *rank* with its own shard of every batch:

    mpiexec -n 2 python -m minicnn train            # or any script that calls mc.fit

One step of data-parallel SGD, on every rank r of N, with n_r samples in its shard:

    loss_r = mean of the loss over the rank's n_r samples
    g_r    = d loss_r / d w                          (backward, as usual)
    g      = sum_r n_r g_r / sum_r n_r               (average_gradients: one allreduce per bucket)
    w     <- optimizer step with g                   (identical on every rank: the weights stay equal)

g is exactly the gradient of the mean loss over all sum_r n_r samples, so N processes at batch B
take the steps one process takes at batch N*B (tests/test_distributed.py checks it to 1e-5).

Collectives used, with their cost on a ring of N ranks moving ``bytes`` each:
  allreduce (sum, in place)   2 (N-1)/N * bytes over the slowest link
  broadcast (from rank 0)     the initial weights and buffers, once
Gradients go in a few flat buckets of ``bucket_mb`` (25 MB, as PyTorch's DDP) instead of one call per
tensor: a call costs a fixed latency (RESULTS.md, "Data-parallel scaling", has the allreduce timings)
however small it is.

Randomness: every rank shuffles with the same seed (the DataLoader broadcasts rank 0's), but draws
dropout masks and augmentation from a stream of its own (rank r > 0 seeds with (seed, r); rank 0 draws
what a single process would); training checkpoints keep every rank's stream.

Without a launcher (plain ``python``), or with mpiexec -n 1, the world is one process and every
function here does nothing; mpi4py is imported only when the process was started by an MPI launcher.

What joining a world of several changes for the whole process, and gives back: :func:`init` sets
sys.excepthook and sys.exit (below), BLAS's thread count, OMP_NUM_THREADS and config.threads (each
rank's share of the cores) and the rank's random stream; :func:`shutdown`, or the end of a
``with distributed.init() as world:`` block, puts each back as it found it. A world of one changes
nothing.

Failure: in a world of more than one, an exception that escapes on any rank prints that rank's
traceback and calls MPI_Abort, which makes mpiexec end every rank at once (an MPI job would otherwise
hang in its next collective). A rank that dies outright is reported by mpiexec, which ends the others.
A rank that stops answering (stuck, not dead) is found by the timeout of the MPI collectives:
after ``timeout`` seconds in one (TIMEOUT_S = 1800 by default, as PyTorch's; MINICNN_DIST_TIMEOUT or
init(timeout=...) set it), the ranks that waited report to rank 0, which ends the job naming the
ranks that never came. (NCCL's GPU collectives have no such timeout.)

Agreement: as PyTorch's DDP checks at its start, broadcast_parameters first checks that every rank
has the same parameter and buffer names, shapes and dtypes, and a sharded DataLoader that every rank
has as many samples; the command line checks the class list too. A difference ends the job with a
message naming it and the ranks, instead of training on (or MPI's "Message truncated").
"""
import os
import socket
import sys
import time
import traceback

import numpy as np

from . import backend, workspace

# Environment variables that MPI launchers set in the processes they start (MPICH's hydra and Slurm's
# PMI, Open MPI, PMIx, MVAPICH).
LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")
BUCKET_MB = 25
TIMEOUT_S = 1800.0               # PyTorch's default for its process groups
GRACE_S = 5.0                    # how long rank 0 listens for the ranks that timed out too
_TAG_WAITED = 7701

_world = None
_undo = []                       # how to put back what init changed for the process, newest last
BUCKETS = workspace.Slot("allreduce buckets")      # one buffer per bucket layout: grads stay views of it


class Communicator:
    """A world of one process: every collective is the identity. The base of the real ones."""

    name = "self"
    rank, size, local_rank, local_size = 0, 1, 0, 1

    def allreduce(self, buf):
        """Sum ``buf`` (a NumPy or CuPy array) over all ranks, in place; returns it."""
        return buf

    def broadcast(self, buf, root=0):
        """Overwrite ``buf`` on every rank with rank ``root``'s, in place; returns it."""
        return buf

    def bcast_object(self, obj, root=0):
        """A small Python object (a seed, a path, a flag) from rank ``root`` to every rank."""
        return obj

    def gather_object(self, obj, root=0):
        """Every rank's small Python object, as a list on rank ``root`` (None on the others)."""
        return [obj]

    def barrier(self):
        pass

    def abort(self, code=1):
        os._exit(code)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        """The end of ``with distributed.init() as world:``: :func:`shutdown`."""
        shutdown()
        return False

    def __repr__(self):
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"


class MPICommunicator(Communicator):
    """Collectives over mpi4py; CuPy arrays go through host copies (works with any MPI build)."""

    name = "mpi"

    def __init__(self, comm, timeout=TIMEOUT_S):
        from mpi4py import MPI
        self.MPI, self.comm, self.timeout = MPI, comm, timeout
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        local = comm.Split_type(MPI.COMM_TYPE_SHARED)                        # the ranks on this machine
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.control = comm.Dup()                       # the timeout's reports, apart from the data

    def _wait(self, request, what):
        """Wait for a non-blocking collective, at most ``timeout`` seconds (polling, as MPI's own Wait)."""
        if self.timeout is None:
            request.Wait()
            return
        deadline = time.monotonic() + self.timeout
        while not request.Test():
            if time.monotonic() > deadline:
                self._timed_out(what)

    def _timed_out(self, what):
        """Raise on this rank naming who never came: the ranks that waited tell rank 0, which names the rest;
        a rank that hears nothing from rank 0 within the grace period names rank 0."""
        told = f"waited {self.timeout:g} s in {what}; set the limit with MINICNN_DIST_TIMEOUT (seconds)"
        if self.rank != 0:
            self.control.isend(self.rank, dest=0, tag=_TAG_WAITED)
            time.sleep(2 * GRACE_S)                     # rank 0, if it waits too, ends the job meanwhile
            raise TimeoutError(f"rank 0 stopped answering: rank {self.rank} {told}")
        waited, deadline = {0}, time.monotonic() + GRACE_S
        while len(waited) < self.size and time.monotonic() < deadline:
            if self.control.iprobe(source=self.MPI.ANY_SOURCE, tag=_TAG_WAITED):
                waited.add(self.control.recv(source=self.MPI.ANY_SOURCE, tag=_TAG_WAITED))
            else:
                time.sleep(0.01)
        missing = [r for r in range(self.size) if r not in waited]
        raise TimeoutError(f"rank{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} stopped "
                           f"answering: rank{'s' if len(waited) > 1 else ''} {', '.join(map(str, sorted(waited)))} "
                           f"{told}")

    def allreduce(self, buf):
        host = buf.get() if backend.device_of(buf) == "cuda" else buf
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, host, op=self.MPI.SUM), "an allreduce")
        if host is not buf:
            buf.set(host)
        return buf

    def broadcast(self, buf, root=0):
        host = buf.get() if backend.device_of(buf) == "cuda" else buf
        self._wait(self.comm.Ibcast(host, root=root), "a broadcast")
        if host is not buf:
            buf.set(host)
        return buf

    def bcast_object(self, obj, root=0):
        return self.comm.bcast(obj, root=root)

    def gather_object(self, obj, root=0):
        return self.comm.gather(obj, root=root)

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code=1):
        self.comm.Abort(code)


class NCCLCommunicator(Communicator):
    """GPU arrays over NCCL (cupy.cuda.nccl), one GPU per rank; MPI starts it and carries host arrays.

    ``host``: the MPICommunicator that hands out NCCL's id and moves host arrays and objects, or None
    for a world of one without MPI. init(device="cuda") has each rank use the GPU numbered by its rank
    within the machine; NCCL needs a GPU of its own per rank: ranks sharing a GPU must use MPI.
    """

    name = "nccl"

    def __init__(self, host=None):
        self.host = host if host is not None else Communicator()
        self.rank, self.size = self.host.rank, self.host.size
        self.local_rank, self.local_size = self.host.local_rank, self.host.local_size
        cp = backend.cupy_module()
        if not _nccl_available():
            raise RuntimeError("NCCL is not available to CuPy here (cupy.cuda.nccl.available is False: the CuPy "
                               "wheel's NCCL library is missing, e.g. install nvidia-nccl-cu13 for cupy-cuda13x); "
                               "use dist_backend='mpi' instead")
        from cupy.cuda import nccl
        self.cp, self.nccl = cp, nccl
        uid = self.host.bcast_object(nccl.get_unique_id() if self.rank == 0 else None)
        self.nccl_comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self.types = {np.dtype(np.float32): nccl.NCCL_FLOAT32, np.dtype(np.float64): nccl.NCCL_FLOAT64,
                      np.dtype(np.int64): nccl.NCCL_INT64, np.dtype(np.int32): nccl.NCCL_INT32}

    def _nccl_type(self, buf):
        if buf.dtype not in self.types:
            raise TypeError(f"NCCLCommunicator: no NCCL type for {buf.dtype}")
        if not buf.flags.c_contiguous:
            raise ValueError("NCCLCommunicator: buffers must be C-contiguous")
        return self.types[buf.dtype]

    def allreduce(self, buf):
        if backend.device_of(buf) != "cuda":
            return self.host.allreduce(buf)
        stream = self.cp.cuda.get_current_stream()
        self.nccl_comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._nccl_type(buf), self.nccl.NCCL_SUM,
                                 stream.ptr)
        stream.synchronize()
        return buf

    def broadcast(self, buf, root=0):
        if backend.device_of(buf) != "cuda":
            return self.host.broadcast(buf, root)
        stream = self.cp.cuda.get_current_stream()
        self.nccl_comm.bcast(buf.data.ptr, buf.size, self._nccl_type(buf), root, stream.ptr)
        stream.synchronize()
        return buf

    def bcast_object(self, obj, root=0):
        return self.host.bcast_object(obj, root)

    def gather_object(self, obj, root=0):
        return self.host.gather_object(obj, root)

    def barrier(self):
        self.host.barrier()

    def abort(self, code=1):
        self.nccl_comm.abort()
        self.host.abort(code)


def _launcher_size():
    """The number of processes the launcher says it started, or None when it does not say."""
    for v in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_NTASKS"):
        if os.environ.get(v, "").isdigit():
            return int(os.environ[v])
    return None


def launched_by_mpi():
    """True when an MPI launcher (mpiexec, mpirun, srun) started this process."""
    return any(v in os.environ for v in LAUNCHER_VARIABLES)


def init(backend_name="auto", device="cpu", timeout=None):
    """Join the MPI world (once; later calls return the same communicator).

    backend_name: "auto" (a world of one without a launcher or with one process; NCCL when ``device``
      is "cuda", CuPy has NCCL and this machine has a GPU per rank; MPI otherwise), "mpi", "nccl"
      (also in a world of one: it still runs its collectives), or "self".
    device: "cuda" also makes each rank use the GPU numbered by its rank on this machine.
    timeout: seconds an MPI collective may wait for the other ranks before the job ends naming the
      ranks that stopped answering (default: MINICNN_DIST_TIMEOUT, else TIMEOUT_S; None: no limit).
    """
    global _world
    if _world is not None:
        return _world
    if backend_name not in ("auto", "mpi", "nccl", "self"):
        raise ValueError(f"distributed.init: backend must be 'auto', 'mpi', 'nccl' or 'self', got {backend_name!r}")
    if backend_name == "self" or (backend_name == "auto" and not launched_by_mpi()):
        _world = Communicator()
        return _world
    if backend_name == "nccl" and not launched_by_mpi():       # NCCL in a world of one, no MPI needed
        _world = NCCLCommunicator(None)
        return _world
    try:
        from mpi4py import MPI
    except ImportError as err:
        if _launcher_size() == 1:                       # e.g. a single srun task: nothing to join
            _world = Communicator()
            return _world
        raise ImportError(f"this process was started by an MPI launcher but mpi4py cannot be imported ({err}); "
                          "install it with: pip install minicnn[dist]  (mpi4py, and MPICH from the mpich "
                          "package when the system has no MPI)") from None
    comm = MPI.COMM_WORLD
    if backend_name == "auto" and comm.Get_size() == 1:
        _world = Communicator()
        return _world
    if timeout is None:
        from .environment import count
        timeout = count("MINICNN_DIST_TIMEOUT") or TIMEOUT_S
    host = MPICommunicator(comm, timeout=float(timeout))
    if device == "cuda":                                # one GPU per rank of this machine, shared when fewer
        cp = backend.cupy_module()
        gpus = cp.cuda.runtime.getDeviceCount()
        cp.cuda.Device(host.local_rank % gpus).use()
        if backend_name == "auto":
            backend_name = "nccl" if _nccl_available() and host.local_size <= gpus else "mpi"
    _world = NCCLCommunicator(host) if backend_name == "nccl" else host
    if _world.size > 1:
        _take_over_process(_world)
        threads = _share_cores(_world.local_size)
        # One line naming every rank's process, so that a rank mpiexec reports dead ("PID ... KILLED BY
        # SIGNAL") can be told by its pid.
        ranks = _world.gather_object((socket.gethostname(), os.getpid()))
        if _world.rank == 0:
            sys.stderr.write(f"minicnn: {_world.size} ranks over {_world.name}{threads}: "
                             + ", ".join(f"rank {r} = pid {pid} on {host}" for r, (host, pid) in enumerate(ranks))
                             + "\n")
            sys.stderr.flush()
    return _world


def _take_over_process(world):
    """A rank of a world of several: an error anywhere ends every rank (sys.excepthook, sys.exit), and
    the rank draws from a random stream of its own; each change is noted in _undo for shutdown."""
    hook, exit_ = sys.excepthook, sys.exit
    sys.excepthook, sys.exit = _abort_on_exception, _exit_aborting

    def undo():
        sys.excepthook, sys.exit = hook, exit_
        backend.set_rng_stream(0)
    _undo.append(undo)
    backend.set_rng_stream(world.rank)                       # own dropout masks and augmentation per rank


def shutdown():
    """Leave the world: put back what :func:`init` changed for the process (the exit and exception
    hooks, the thread counts, the random stream), newest first; the next init joins afresh."""
    global _world
    while _undo:
        _undo.pop()()
    _world = None


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _share_cores(local_ranks):
    """Give each of the ``local_ranks`` processes on this machine its share of the cores for BLAS.

    Each process's BLAS would otherwise start a thread per core: 2 ranks on 2 cores ran 4 spinning
    threads, and steps took many times longer (RESULTS.md, "ranks sharing cores"). A thread count set in the
    environment is left as it is. Returns a note for the start-up line.
    """
    if local_ranks < 2 or any(v in os.environ for v in THREAD_VARIABLES):
        return ""
    from .configuration import config, cores as count_cores
    cores = count_cores()
    threads = max(1, cores // local_ranks)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if _world.rank == 0:
            sys.stderr.write(f"minicnn: {local_ranks} ranks share this machine's {cores} cores; install threadpoolctl "
                             f"(pip install minicnn[dist]) or set OMP_NUM_THREADS={threads}, or each rank's BLAS "
                             "will run a thread per core and training will crawl\n")
        return ""
    limits = threadpool_limits(threads, user_api="blas")
    before = config.threads
    config.threads = threads                                 # minicnn's own threads share the cores too
    os.environ["OMP_NUM_THREADS"] = str(threads)            # for anything started later

    def undo():
        limits.restore_original_limits()
        os.environ.pop("OMP_NUM_THREADS", None)              # none of THREAD_VARIABLES was set before
        config.threads = before
    _undo.append(undo)
    return f" ({local_ranks} on this machine, {threads} BLAS thread{'s' * (threads > 1)} each)"


def _nccl_available():
    try:
        backend.cupy_module()
        from cupy.cuda import nccl  # noqa: F401
        return nccl.available if hasattr(nccl, "available") else True
    except Exception:
        return False


def world():
    """The current communicator (joining the world on first use)."""
    return _world if _world is not None else init()


def get_rank():
    """This process's rank in the MPI world (0 without MPI)."""
    return world().rank


def get_world_size():
    """The number of processes in the MPI world (1 without MPI)."""
    return world().size


def is_main_process():
    """Rank 0: the one that prints progress and writes files."""
    return world().rank == 0


def _abort_on_exception(exc_type, exc, tb):
    comm = _world
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"[minicnn rank {comm.rank} of {comm.size}] {exc_type.__name__}: {exc}\n{text}"
                     f"[minicnn rank {comm.rank}] aborting every rank\n")
    sys.stderr.flush()
    # the message is in the pipe to mpiexec's I/O proxy, which MPI_Abort can tear down before it has
    # forwarded it (seen once in CI: the job ended without its error); give the proxy a moment
    time.sleep(0.5)
    comm.abort(1)


_real_exit = sys.exit


def _exit_aborting(status=None):
    """sys.exit on a rank of a world of several: an error status ends every rank at once (MPI_Abort),
    as an uncaught exception does; otherwise the others would wait for this rank in a collective
    for ever. (A SystemExit raised directly is not seen; the command line catches those too.)"""
    comm = _world
    if status not in (None, 0) and comm is not None and comm.size > 1:
        sys.stderr.write(f"[minicnn rank {comm.rank} of {comm.size}] sys.exit({status!r}): aborting every rank\n")
        sys.stderr.flush()
        time.sleep(0.5)                                     # let mpiexec's I/O proxy forward the line
        comm.abort(status if isinstance(status, int) and 0 < status < 256 else 1)
    _real_exit(status)


class abort_on_error:
    """Context manager: an exception, or sys.exit with an error, inside the block ends every rank at once
    (MPI_Abort) with this rank's message, instead of leaving the others waiting in a collective."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        comm = world()
        if exc_type is None or comm.size == 1:
            return False
        if exc_type is SystemExit and exc.code in (None, 0):
            return False
        _abort_on_exception(exc_type, exc, tb)
        return False


# ---------------------------------------------------------------- flat buckets
def _buckets(arrays, bucket_bytes):
    """Group arrays of one dtype and device, in order, into runs of at most bucket_bytes (one array can
    exceed it)."""
    groups, current, size, key = [], [], 0, None
    for a in arrays:
        k = (a.dtype, backend.device_of(a))
        if current and (k != key or size + a.nbytes > bucket_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(a)
        size, key = size + a.nbytes, k
    if current:
        groups.append(current)
    return groups


def _pack(group, buf, scale=None):
    offset = 0
    for a in group:
        view = buf[offset:offset + a.size].reshape(a.shape)
        if scale is None:
            view[...] = a
        else:
            backend.get_array_module(a).multiply(a, scale, out=view)
        offset += a.size
    return offset


def _unpack(buf, group):
    offset = 0
    for a in group:
        a[...] = buf[offset:offset + a.size].reshape(a.shape)
        offset += a.size


def check_same(what, value, describe=None):
    """Raise RuntimeError on every rank unless ``value`` (a small picklable object) is the same on all,
    naming the first rank that differs from rank 0 and how (``describe(value0, value_r)``, or both values)."""
    comm = world()
    if comm.size == 1:
        return
    values, verdict = comm.gather_object(value), None
    if comm.rank == 0:
        for r, v in enumerate(values[1:], 1):
            if v != values[0]:
                how = describe(values[0], v) if describe else f"rank 0 has {values[0]!r}, rank {r} has {v!r}"
                verdict = f"{what} differs between ranks: {how.replace('RANK', str(r))}"
                break
    verdict = comm.bcast_object(verdict)
    if verdict:
        raise RuntimeError(verdict)


def _first_difference(a, b):
    """The first (name, shape, dtype) entry where two ranks' models differ, in words (rank r as RANK)."""
    for x, y in zip(a, b):
        if x != y:
            return (f"{x[0]} is {x[1]} {x[2]} on rank 0" + (f", {y[0]} is {y[1]} {y[2]} on rank RANK" if y[0] != x[0]
                                                            else f" and {y[1]} {y[2]} on rank RANK"))
    longer, n = ("rank 0", len(a)) if len(a) > len(b) else ("rank RANK", len(b))
    return f"{longer} has {abs(len(a) - len(b))} more tensor(s) ({n} in all; the first {min(len(a), len(b))} agree)"


def check_same_model(model):
    """Every rank's parameter and buffer names, shapes and dtypes must agree (as DDP checks at its start)."""
    entries = [(n, tuple(p.shape), str(p.array.dtype)) for n, p in model.named_parameters()]
    entries += [(n, tuple(b.shape), str(b.dtype)) for n, b in model.named_buffers() if b is not None]
    check_same("the model", entries, _first_difference)


def broadcast_parameters(model, root=0, bucket_mb=BUCKET_MB):
    """Make every rank's parameters and buffers equal to rank ``root``'s (call once, before training),
    after checking that the ranks' models agree (check_same_model)."""
    comm = world()
    if comm.size == 1:
        return model
    check_same_model(model)
    arrays = [p.array for p in model.parameters()] + [b for _, b in model.named_buffers() if b is not None]
    for group in _buckets(arrays, bucket_mb << 20):
        buf = backend.get_array_module(group[0]).empty(sum(a.size for a in group), dtype=group[0].dtype)  # once
        _pack(group, buf)
        comm.broadcast(buf, root)
        _unpack(buf, group)
    return model


def average_gradients(parameters, count=None, bucket_mb=BUCKET_MB):
    """Replace each parameter's gradient by its average over the ranks, weighted by ``count``.

    count: the number of samples behind this rank's gradient (its shard of the batch). With counts,
      the result is sum_r count_r g_r / sum_r count_r: the gradient of the mean loss over every rank's
      samples even when shards differ in size. Without, the plain mean over ranks.
    Parameters that are frozen (requires_grad False) are skipped; a trainable parameter without a
    gradient on this rank contributes zeros, and every rank ends with the same gradient for it.
    Returns the total count over the ranks (or the world size without counts).
    """
    comm = world()
    params = [p for p in parameters if p.requires_grad]
    if comm.size == 1:
        return count if count is not None else 1
    for p in params:
        if p.grad is None:
            p.grad = backend.get_array_module(p.array).zeros_like(p.array)
    weight = 1.0 if count is None else float(count)
    total = None
    groups = _buckets([p.grad.array for p in params], bucket_mb << 20)
    bufs = []
    for i, group in enumerate(groups):
        extra = 1 if i == 0 else 0
        # a slot per bucket shape: the gradients stay views of their bucket until the next call
        key = (extra,) + tuple((a.shape, a.dtype.str) for a in group)
        n = sum(a.size for a in group) + extra
        buf = BUCKETS.flat(backend.get_array_module(group[0]), n, group[0].dtype, key)[:n]
        end = _pack(group, buf, None if count is None else group[0].dtype.type(weight))
        if i == 0:
            buf[end] = weight                               # the counts ride along with the first bucket
        comm.allreduce(buf)
        if i == 0:
            total = float(buf[end])
        buf *= buf.dtype.type(1.0 / total)
        bufs.append(buf)
    # Each gradient becomes a view of its bucket: no new arrays each step. Safe because autograd and the
    # optimizers never write into .grad in place (accumulation makes a new array), each view is one
    # parameter's alone, and the next call packs every gradient before it overwrites the buckets.
    grads = iter(params)
    for group, buf in zip(groups, bufs):
        offset = 0
        for a in group:
            next(grads).grad = buf[offset:offset + a.size].reshape(a.shape)
            offset += a.size
    return total if total is not None else comm.size


def gather_object(obj, root=0):
    """A small Python object from every rank, as a list on rank ``root`` (None elsewhere)."""
    return world().gather_object(obj, root)


def all_reduce_sum(*values):
    """Sum Python numbers over the ranks (float64): e.g. loss_sum, correct, seen for an epoch's metrics."""
    comm = world()
    if comm.size == 1:
        return values if len(values) != 1 else values[0]
    buf = np.asarray(values, dtype=np.float64)
    comm.allreduce(buf)
    out = tuple(float(v) for v in buf)
    return out if len(out) != 1 else out[0]
