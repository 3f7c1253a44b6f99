"""The training loop: fit / evaluate / predict, History, callbacks and training checkpoints.

One training step, the whole of it::

    out = model(x)                      # forward, recording the graph
    loss = loss_fn(out, y)
    optimizer.zero_grad()
    loss.backward()                     # gradients into every parameter's .grad
    average_gradients(params, len(x))   # under MPI only: the mean over every rank's samples
    cb.after_backward(step, loss)       # the NaN guard: stop before a NaN/Inf reaches the weights
    optimizer.step()                    # update the weights in place

``fit`` wraps that in epochs with a progress bar and a Keras-style History;
``evaluate`` and ``predict`` always run in eval() mode under no_grad().
"""
import math
import os
import time

import numpy as np

from . import backend, distributed
from . import functional as F
from .autograd import no_grad
from .cpu_tuning import tune_cpu
from .serialization import load, save
from .tensor import Tensor

ALIASES = {"acc": "accuracy", "val_acc": "val_accuracy"}


class _HistoryDict(dict):
    """Keras' history dict; 'acc' and 'val_acc' are accepted for 'accuracy' and 'val_accuracy'."""

    def __getitem__(self, key):
        return super().__getitem__(ALIASES.get(key, key))

    def __contains__(self, key):
        return super().__contains__(ALIASES.get(key, key))

    def get(self, key, default=None):
        return super().get(ALIASES.get(key, key), default)


class History:
    """What fit returns: ``history.history["loss"]`` etc., one value per epoch; ``history.epoch``."""

    def __init__(self, history=None, epoch=None):
        self.history = _HistoryDict(history or {})
        self.epoch = list(epoch or [])

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def state(self):
        return {"history": dict(self.history), "epoch": self.epoch}


class NonFiniteError(RuntimeError):
    """Training stopped because a loss, gradient or optimizer setting was NaN or infinite; the weights were
    left untouched. ``after_update``: the rare case of an update that overflowed from finite values,
    caught just after the step -- the weights of that step are lost (the caller reloads a checkpoint)."""

    def __init__(self, message, step, layer=None, history=None, after_update=False):
        super().__init__(message)
        self.step, self.layer, self.history, self.after_update = step, layer, history, after_update


# ---------------------------------------------------------------- callbacks
class Callback:
    """Hooks called by fit: override the ones you need. Set ``self.stop_training = True`` to stop."""

    model = None
    stop_training = False

    def on_train_begin(self): pass
    def on_epoch_begin(self, epoch): pass
    def before_forward(self, step): pass
    def after_backward(self, step, loss): pass
    def after_last_step(self, step): pass
    def on_epoch_end(self, epoch, logs): pass
    def on_train_end(self, logs): pass


class NonFiniteGuard(Callback):
    """Stops training before a NaN/Inf loss or gradient reaches the weights; names the step and the first layer.

    The forward pass of the failing step has already moved the buffers (batch norm's running
    statistics): the guard keeps a copy of every buffer from before each forward and puts it back,
    so the whole model -- parameters, buffers, and the optimizer's state, which step() never
    touched -- is that of the last good step."""

    def __init__(self, optimizer=None):
        self.optimizer = optimizer

    def on_train_begin(self):
        self._saved = None

    def _bad_setting(self):
        """The first optimizer setting that is not a finite number, as (name, value): an update made with it
        (lr=nan, momentum=inf) would put NaN or Inf into every weight, however finite the gradients."""
        for group in getattr(self.optimizer, "param_groups", ()):
            for k, v in group.items():
                for x in (v if isinstance(v, tuple) else (v,)):
                    if isinstance(x, float) and not math.isfinite(x):
                        return k, x
        return None

    def before_forward(self, step):
        buffers = [b for _, b in self.model.named_buffers() if b is not None]
        if self._saved is None or len(self._saved) != len(buffers):
            self._saved = [backend.get_array_module(b).empty_like(b) for b in buffers]
        for keep, b in zip(self._saved, buffers):
            keep[...] = b

    def restore(self):
        """Put back the buffers as they were before the failing step's forward."""
        if self._saved is None:
            return
        for keep, b in zip(self._saved, (b for _, b in self.model.named_buffers() if b is not None)):
            b[...] = keep

    def after_backward(self, step, loss):
        # One device read a step: a NaN or Inf anywhere makes the sum of the loss and every gradient's
        # sum non-finite (a finite sum that overflows only sends us to the exact check below).
        total = loss.array.astype("float64")
        for p in self.model.parameters():
            if p.grad is not None:
                total = total + p.grad.array.sum()
        if bool(backend.get_array_module(total).isfinite(total)):
            bad = self._bad_setting()
            if bad is not None:
                self.restore()
                raise NonFiniteError(f"training stopped at step {step}: the optimizer's {bad[0]} is {bad[1]}, which "
                                     "would make the weights NaN or infinite; the model (weights and buffers) is "
                                     f"that after step {step - 1} (give a finite {bad[0]})", step, "optimizer")
            return
        self.check_weights(step - 1)
        value = float(loss.item())
        if not math.isfinite(value):
            self.restore()
            raise NonFiniteError(f"training stopped at step {step}: the loss is {value}; the model (weights and "
                                 f"buffers) is that after step {step - 1}", step)
        for name, p in self.model.named_parameters():
            if p.grad is None:
                continue
            g = p.grad.array
            xp = backend.get_array_module(g)
            if not bool(xp.isfinite(g).all()):
                layer = name.rsplit(".", 1)[0] if "." in name else name
                self.restore()
                raise NonFiniteError(f"training stopped at step {step}: the gradient of layer '{layer}' ({name}) "
                                     f"is not finite; the model (weights and buffers) is that after step {step - 1} "
                                     "(lower the learning rate, or check the input data?)", step, layer)

    def after_last_step(self, step):
        self.check_weights(step)

    def check_weights(self, step):
        """Finite gradients and settings can still overflow in an update (lr=1e38). Such weights make the
        next step's loss or gradients non-finite, where after_backward looks here first; the last update
        of an epoch is checked after the epoch's last step (after_last_step): no step pays for it."""
        total = 0.0
        for p in self.model.parameters():
            total = total + p.array.sum()
        if bool(backend.get_array_module(total).isfinite(total)):   # one device read when all is well
            return
        for name, p in self.model.named_parameters():
            if not bool(backend.get_array_module(p.array).isfinite(p.array).all()):
                layer = name.rsplit(".", 1)[0] if "." in name else name
                raise NonFiniteError(f"training stopped after step {step}: its update made the weights of layer "
                                     f"'{layer}' ({name}) non-finite although the loss, every gradient and every "
                                     "optimizer setting were finite (a learning rate too large for float32?); "
                                     "these weights are lost: reload the last checkpoint", step, layer,
                                     after_update=True)


def _improved(mode, value, best, min_delta=0.0):
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _mode_for(monitor, mode):
    if mode != "auto":
        return mode
    return "max" if "acc" in monitor else "min"


class ModelCheckpoint(Callback):
    """Save the model's state_dict (mc.save, .npz) after each epoch, or only when ``monitor`` improved."""

    def __init__(self, filepath, monitor="val_loss", save_best_only=True, mode="auto", verbose=0):
        self.filepath, self.monitor, self.save_best_only = str(filepath), ALIASES.get(monitor, monitor), save_best_only
        self.mode, self.verbose, self.best = _mode_for(monitor, mode), verbose, None

    def on_train_begin(self):
        """A resumed fit (``history`` given) starts from the best value already reached, so a worse epoch
        after the resume does not overwrite the best file."""
        past = self.history.history.get(self.monitor) if getattr(self, "history", None) is not None else None
        if past and self.best is None:
            self.best = (min if self.mode == "min" else max)(past)

    def on_epoch_end(self, epoch, logs):
        value = logs.get(self.monitor)
        if self.save_best_only and value is None:
            raise KeyError(f"ModelCheckpoint: '{self.monitor}' is not among the logged values {sorted(logs)}")
        if not self.save_best_only or _improved(self.mode, value, self.best):
            if self.save_best_only:
                self.best = value
            path = self.filepath.format(epoch=epoch + 1, **logs)
            if not distributed.is_main_process():
                return                              # every rank holds the same weights; rank 0 writes
            save(self.model.state_dict(), path)
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} = {value:.4f}, saved {path}")


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto", restore_best_weights=False):
        self.monitor, self.patience, self.min_delta = ALIASES.get(monitor, monitor), patience, min_delta
        self.mode, self.restore = _mode_for(monitor, mode), restore_best_weights
        self.best, self.wait, self.best_weights = None, 0, None

    def on_epoch_end(self, epoch, logs):
        value = logs[self.monitor]
        if _improved(self.mode, value, self.best, self.min_delta):
            self.best, self.wait = value, 0
            if self.restore:
                self.best_weights = {k: v.copy() for k, v in self.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait > self.patience:
                self.stop_training = True
                if self.restore and self.best_weights is not None:
                    self.model.load_state_dict(self.best_weights)


class TrainingCheckpoint(Callback):
    """Write a full training checkpoint (save_checkpoint) after every epoch, for --resume."""

    def __init__(self, path, optimizer, scheduler=None, loader=None, extra=None):
        self.path, self.optimizer, self.scheduler, self.loader, self.extra = path, optimizer, scheduler, loader, extra

    def on_epoch_end(self, epoch, logs):
        rank_rng = distributed.gather_object(backend.get_rng_state())     # every rank's random stream
        if distributed.is_main_process():
            save_checkpoint(self.path, self.model, self.optimizer, epoch + 1, self.scheduler, self.loader,
                            self.history, self.extra, rank_rng=rank_rng if len(rank_rng) > 1 else None)


class DiagnosticsCallback(Callback):
    """Run mc.diagnose on a fixed batch after every ``every`` epochs; print what it finds and keep the reports."""

    def __init__(self, x, y, every=1, loss=F.cross_entropy, verbose=1):
        self.x, self.y, self.every, self.loss, self.verbose = x, y, every, loss, verbose
        self.reports = []

    def on_epoch_end(self, epoch, logs):
        if (epoch + 1) % self.every:
            return
        from .diagnostics import diagnose
        report = diagnose(self.model, self.x, self.y, loss_fn=self.loss, print_fn=None)
        report["epoch"] = epoch + 1
        self.reports.append(report)
        if self.verbose and report["findings"]:
            print(f"diagnostics after epoch {epoch + 1}:\n" + "\n".join(f"  - {f}" for f in report["findings"]))


# ---------------------------------------------------------------- helpers
def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _total_loss(outs, y, loss_fn, loss_weights):
    if len(outs) == 1:
        return loss_fn(outs[0], y)
    weights = loss_weights or [1.0] * len(outs)
    total = None
    for w, o in zip(weights, outs):
        term = loss_fn(o, y) * float(w)
        total = term if total is None else total + term
    return total


def _correct(logits, y):
    """Number of correct predictions, as a 0-d array on the logits' device (read it when it is needed:
    on a GPU each read waits for the GPU): argmax for (N, C) logits, sign for one binary logit."""
    z = logits.array
    t = y.array
    xp = backend.get_array_module(z)
    if z.ndim == 2 and z.shape[1] == 1:
        pred = (z[:, 0] > 0).astype(xp.int64)
        t = t.reshape(-1)
    else:
        pred = z.argmax(axis=1)
        if t.ndim == 2:
            t = t.argmax(axis=1)
    return (pred == t).sum()


# the progress bar reads the running loss and accuracy from the device every this many steps
SHOW_EVERY = 10


def _first_nonfinite_layer(model, x):
    """The first layer (in call order) whose output holds a NaN or Inf for the batch ``x``, or None.
    Runs the forward again without gradients; the buffers it moves are put back by the caller."""
    from .nn import module as module_mod
    found = []

    def hook(layer, args, out):
        if not found and isinstance(out, Tensor) and out.array.size:
            xp = backend.get_array_module(out.array)
            if not bool(xp.isfinite(out.array).all()):
                found.append(layer)

    with no_grad(), module_mod.register_module_forward_hook(hook):
        model(x)
    if not found:
        return None
    return next((name for name, m in model.named_modules() if m is found[0] and name), type(found[0]).__name__)


def _nonfinite_input(x):
    xp = backend.get_array_module(x.array)
    return x.array.dtype.kind == "f" and not bool(xp.isfinite(x.array).all())


def _as_batches(data, batch_size=256, shuffle=False, device="cpu"):
    """A DataLoader, a (x, y) pair of arrays or tensors, or an iterable of (x, y) batches -> iterable of
    tensor batches (on ``device``, the model's, for a pair)."""
    if isinstance(data, tuple) and len(data) == 2 and all(hasattr(d, "shape") for d in data):
        from .data import ArrayDataset, DataLoader
        return DataLoader(ArrayDataset(*data), batch_size=batch_size, shuffle=shuffle, device=device)
    return data


# ---------------------------------------------------------------- fit / evaluate / predict
def fit(model, train_data, epochs=1, optimizer=None, loss=F.cross_entropy, validation_data=None,
        scheduler=None, callbacks=(), loss_weights=None, initial_epoch=0, verbose=1, guard=True, history=None,
        batch_size=32, metric=None):
    """Train ``model`` for ``epochs`` (Keras' fit, written as a plain PyTorch loop).

    train_data: a DataLoader (or any iterable of (x, y) tensor batches), or an (x, y) pair of
      arrays, read in shuffled batches of ``batch_size`` as Keras' fit(x, y) does.
    validation_data: a DataLoader or an (x, y) pair of arrays, evaluated after each epoch.
    scheduler: stepped once per epoch (ReduceLROnPlateau gets val_loss, or loss without validation).
    loss_weights: for models that return several outputs (GoogLeNet with auxiliary classifiers),
      the loss is sum(w_i * loss(out_i, y)); accuracy is measured on the first output.
    guard: stop with NonFiniteError before a NaN/Inf loss or gradient reaches the weights.
    verbose: 1 = a progress bar per epoch and a line after it, 2 = the line only, 0 = silent.
    metric: correct(output, y) -> the number of right predictions in the batch, for "accuracy"
      (default: the argmax of the logits, or a positive logit for one output; minicnn.keras gives Keras's).
    Returns a History; ``history`` continues an earlier one (resuming).

    Under MPI with several ranks (minicnn.distributed): rank 0's weights and buffers are broadcast
    first, gradients are averaged over the ranks after every backward (weighted by shard size),
    the logged loss and accuracy are those of all ranks together, and only rank 0 prints.
    """
    if model.device == "cpu":
        tune_cpu()                                  # process-wide settings, before the first step
    if optimizer is None:
        raise ValueError("fit: an optimizer is required, e.g. mc.optim.Adam(model.parameters())")
    comm = distributed.world()
    if comm.size > 1:
        distributed.broadcast_parameters(model)
        verbose = verbose if comm.rank == 0 else 0
    history = history or History()
    train_data = _as_batches(train_data, batch_size, shuffle=True, device=model.device)
    validation_data = _as_batches(validation_data, device=model.device)
    callbacks = list(callbacks) + ([NonFiniteGuard(optimizer)] if guard else [])
    for cb in callbacks:
        cb.model, cb.history, cb.stop_training = model, history, False
        cb.on_train_begin()
    step, logs = 0, {}
    for epoch in range(initial_epoch, epochs):
        for cb in callbacks:
            cb.on_epoch_begin(epoch)
        t0 = time.perf_counter()
        try:
            logs, step = _train_epoch(model, train_data, optimizer, loss, loss_weights, callbacks, step,
                                      f"Epoch {epoch + 1}/{epochs}", verbose, metric or _correct)
            for cb in callbacks:
                cb.after_last_step(step)            # before validation and the checkpoints
        except NonFiniteError as err:
            err.history = history
            raise
        if validation_data is not None:
            val = evaluate(model, validation_data, loss=loss, loss_weights=loss_weights, metric=metric)
            logs.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
        logs["lr"] = optimizer.param_groups[0]["lr"]
        logs["time"] = time.perf_counter() - t0
        if scheduler is not None and hasattr(scheduler, "best"):    # ReduceLROnPlateau watches a metric
            scheduler.step(logs.get("val_loss", logs["loss"]))
        elif scheduler is not None:
            scheduler.step()
        history.append(epoch, logs)
        if verbose:
            shown = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k not in ("lr", "time"))
            print(f"Epoch {epoch + 1}/{epochs} - {logs['time']:.1f}s - {shown}", flush=True)
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs)
        if any(cb.stop_training for cb in callbacks):
            break
    for cb in callbacks:
        cb.on_train_end(logs)
    return history


def _train_epoch(model, train_data, optimizer, loss, loss_weights, callbacks, step, title, verbose, metric):
    """One pass over train_data: forward, loss, backward, (average over ranks), the callbacks, step.
    Returns ({"loss", "accuracy"} over the epoch and every rank, the step count so far)."""
    from tqdm.auto import tqdm
    comm = distributed.world()
    params = list(model.parameters()) if comm.size > 1 else None
    model.train()
    total = len(train_data) if hasattr(train_data, "__len__") else None
    bar = tqdm(total=total, desc=title, unit="step", disable=verbose != 1, leave=True, dynamic_ncols=True)
    # running sums stay on the device: a step reads nothing from it but the NaN guard's one value
    loss_sum, correct, seen, done, t0 = 0.0, 0, 0, 0, time.perf_counter()
    try:
        for x, y in train_data:
            step += 1
            for cb in callbacks:
                cb.before_forward(step)
            outs = _outputs(model(x))
            batch_loss = _total_loss(outs, y, loss, loss_weights)
            optimizer.zero_grad()
            batch_loss.backward()
            if params is not None:
                distributed.average_gradients(params, count=len(x))
            for cb in callbacks:
                cb.after_backward(step, batch_loss)
            optimizer.step()
            n = len(x)
            loss_sum = loss_sum + batch_loss.array * n
            correct = correct + metric(outs[0], y)
            seen += n
            done += 1
            bar.update(1)
            if verbose == 1 and (done % SHOW_EVERY == 0 or done == total):
                bar.set_postfix(loss=f"{float(loss_sum) / seen:.4f}", accuracy=f"{int(correct) / seen:.4f}",
                                ms_step=f"{(time.perf_counter() - t0) * 1e3 / done:.1f}", refresh=False)
    except NonFiniteError as err:
        if err.layer is None:                       # the loss itself: find where it went wrong
            _locate_nonfinite(err, model, x, callbacks)
        raise
    finally:
        bar.close()
    loss_sum, correct = float(loss_sum), int(correct)
    if params is not None:
        loss_sum, correct, seen = distributed.all_reduce_sum(loss_sum, correct, seen)
    if not seen:
        raise ValueError(f"fit: the training data gave no batch in {title.lower()}: an empty data set, or "
                         "drop_last=True with fewer samples than batch_size")
    return {"loss": loss_sum / seen, "accuracy": correct / seen}, step


def _locate_nonfinite(err, model, x, callbacks):
    """Name in ``err`` where a non-finite loss came from: the input batch, the first layer whose output
    is non-finite, or (every layer finite) the targets."""
    if _nonfinite_input(x):
        err.layer = "input"
        err.args = (err.args[0] + "; the input batch itself holds NaN or Inf (check the data "
                    "and its normalization)",)
        return
    err.layer = _first_nonfinite_layer(model, x)
    for cb in callbacks:
        if isinstance(cb, NonFiniteGuard):
            cb.restore()                            # the diagnostic forward moved the buffers again
    if err.layer is not None:
        err.args = (err.args[0] + f"; the first layer with a non-finite output is '{err.layer}' "
                    "(lower the learning rate?)",)
    else:
        err.args = (err.args[0] + "; every layer's output is finite: check the targets (on a GPU "
                    "a class index out of range gives a NaN loss)",)


def evaluate(model, data, loss=F.cross_entropy, loss_weights=None, batch_size=256, metric=None):
    """Mean loss and accuracy over ``data`` in eval() mode under no_grad(); the model's mode is restored.
    A DataLoader sharded over MPI ranks gives the figures of the whole data set on every rank."""
    if model.device == "cpu":
        tune_cpu()
    was_training = model.training
    model.eval()
    loss_sum, correct, seen = 0.0, 0, 0
    data = _as_batches(data, batch_size, device=model.device)
    try:
        with no_grad():
            for x, y in data:
                outs = _outputs(model(x))
                n = len(x)
                loss_sum = loss_sum + _total_loss(outs[:1], y, loss, None).array * n    # on the device until the end
                correct = correct + (metric or _correct)(outs[0], y)
                seen += n
    finally:
        model.train(was_training)
    loss_sum, correct = float(loss_sum), int(correct)
    if getattr(data, "num_replicas", 1) > 1:
        loss_sum, correct, seen = distributed.all_reduce_sum(loss_sum, correct, seen)
    if not seen:
        raise ValueError("evaluate: the data holds no samples (an empty data set or loader), so there is no "
                         "loss or accuracy to give")
    return {"loss": loss_sum / seen, "accuracy": correct / seen}


def predict(model, x, batch_size=256):
    """The model's (first) output for every sample of ``x`` (array, Tensor or DataLoader), as a NumPy array.
    Under MPI a DataLoader shards by default, so pass one made with shard=False to get every sample."""
    if model.device == "cpu":
        tune_cpu()
    was_training = model.training
    model.eval()
    parts = []
    try:
        with no_grad():
            if hasattr(x, "__iter__") and not hasattr(x, "shape"):
                batches = (xb for xb, _ in x)
            else:
                arr = x.array if isinstance(x, Tensor) else x
                arr = arr if backend.device_of(arr) == "cuda" else np.asarray(arr)
                batches = (Tensor(arr[i:i + batch_size]).to(model.device) for i in range(0, len(arr), batch_size))
            for xb in batches:
                parts.append(_outputs(model(xb))[0].numpy())
    finally:
        model.train(was_training)
    return np.concatenate(parts) if parts else np.zeros((0,))


# ---------------------------------------------------------------- training checkpoints
def save_checkpoint(path, model, optimizer, epoch, scheduler=None, loader=None, history=None, extra=None,
                    rank_rng=None):
    """Everything needed to resume bit-identically: weights, optimizer, scheduler, epoch, every RNG state.
    rank_rng: under MPI, every rank's RNG state (distributed.gather_object), restored rank by rank."""
    state = {"model": dict(model.state_dict()), "optimizer": optimizer.state_dict(), "epoch": int(epoch),
             "rng": backend.get_rng_state()}
    if rank_rng:
        state["rng_ranks"] = list(rank_rng)
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if loader is not None:
        state["loader"] = loader.state_dict()
    if history is not None:
        state["history"] = history.state()
    if extra:
        state["extra"] = extra
    save(state, path)


def load_checkpoint(path, model, optimizer=None, scheduler=None, loader=None):
    """Restore what save_checkpoint wrote into fresh objects; returns {"epoch", "history", "extra"}.
    ``path`` may also be the checkpoint already read with mc.load."""
    if isinstance(path, dict):
        state = path
    else:
        if not os.path.exists(path):
            raise FileNotFoundError(f"no checkpoint at {path}")
        state = load(path)
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        raise ValueError(f"{path if not isinstance(path, dict) else 'the state'} is not a training checkpoint "
                         "(written by save_checkpoint / TrainingCheckpoint)")
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    if loader is not None and "loader" in state:
        loader.load_state_dict(state["loader"])
    comm, ranks = distributed.world(), state.get("rng_ranks")
    backend.set_rng_state(ranks[comm.rank] if ranks and len(ranks) == comm.size else state["rng"])
    hist = state.get("history")
    return {"epoch": state["epoch"], "extra": state.get("extra"),
            "history": History(hist["history"], hist["epoch"]) if hist else History()}
