"""keras.callbacks on minicnn's training loop: Keras's names, arguments and monitor names (val_loss,
val_accuracy, or the TF2-era val_acc), and Keras's meaning for each.

    EarlyStopping       stop when ``monitor`` stopped improving for ``patience`` epochs
    ModelCheckpoint     model.save (or save_weights) after each epoch, or only when ``monitor`` improved;
                        ``filepath`` is formatted with the epoch and the logs, as Keras: 'w-{epoch:02d}.keras'
    ReduceLROnPlateau   multiply the learning rate by ``factor`` after ``patience`` epochs without improvement
    CSVLogger           one row per epoch: epoch, then each logged value
"""
import csv
import math
import os

from ..train import ALIASES, Callback as _EngineCallback


class Callback(_EngineCallback):
    """Keras's base class: override on_epoch_end(self, epoch, logs=None), on_train_begin(self, logs=None), ..."""

    def set_model(self, model):
        self.model = model


def _logs(logs):
    """The logs as Keras names them (without minicnn's lr and time)."""
    return {k: v for k, v in logs.items() if k not in ("lr", "time")}


def _better(mode, monitor):
    if mode == "auto":
        mode = "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return (lambda a, b: a < b) if mode == "min" else (lambda a, b: a > b)


class EarlyStopping(Callback):
    """EarlyStopping(monitor='val_loss', min_delta=0, patience=0, mode='auto', restore_best_weights=False),
    Keras's rule: after each epoch the wait grows by one and goes back to 0 on an improvement (by more than
    min_delta); training stops once the wait reaches ``patience``; the best weights are put back at the end."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        self.monitor, self.min_delta, self.patience = ALIASES.get(monitor, monitor), abs(min_delta), patience
        self.verbose, self.baseline, self.restore_best_weights = verbose, baseline, restore_best_weights
        self.start_from_epoch, self.better = start_from_epoch, _better(mode, monitor)
        self.maximize = self.better(1, 0)

    def on_train_begin(self, logs=None):
        self.wait, self.best, self.best_weights, self.best_epoch, self.stopped_epoch = 0, None, None, 0, 0

    def _improved(self, value, reference):
        if reference is None:
            return True
        return self.better(value - self.min_delta if self.maximize else value + self.min_delta, reference)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"EarlyStopping: '{self.monitor}' is not among the logged values {sorted(_logs(logs or {}))}")
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch, self.stop_training = epoch, True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """ModelCheckpoint(filepath, monitor='val_loss', save_best_only=False, save_weights_only=False, mode='auto')."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        if save_freq != "epoch":
            raise NotImplementedError("ModelCheckpoint: minicnn.keras saves once an epoch (save_freq='epoch')")
        self.filepath, self.monitor = os.fspath(filepath), ALIASES.get(monitor, monitor)
        self.verbose, self.save_best_only, self.save_weights_only = verbose, save_best_only, save_weights_only
        self.better, self.best = _better(mode, monitor), initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        logs = _logs(logs or {})
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                raise KeyError(f"ModelCheckpoint: '{self.monitor}' is not among the logged values {sorted(logs)}; "
                               "pass validation_data to fit to have val_loss")
            if self.best is not None and not self.better(value, self.best):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved to {value:.5f}, saving model to {path}")
            self.best = value
        (self.model.save_weights if self.save_weights_only else self.model.save)(path)


class ReduceLROnPlateau(Callback):
    """ReduceLROnPlateau(monitor='val_loss', factor=0.1, patience=10, mode='auto', min_delta=1e-4, cooldown=0,
    min_lr=0.0)."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        self.monitor, self.factor, self.patience, self.verbose = ALIASES.get(monitor, monitor), factor, patience, verbose
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr
        self.mode = "max" if (mode == "auto" and "acc" in monitor) or mode == "max" else "min"
        self.best, self.wait, self.cooling = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"ReduceLROnPlateau: '{self.monitor}' is not among the logged values {sorted(logs or {})}")
        if self.cooling:
            self.cooling -= 1
            self.wait = 0
        improved = self.best is None or (value < self.best - self.min_delta if self.mode == "min"
                                         else value > self.best + self.min_delta)
        if improved:
            self.best, self.wait = value, 0
        elif not self.cooling:
            self.wait += 1
            if self.wait >= self.patience:
                opt = self.model.optimizer
                new = max(opt.learning_rate * self.factor, self.min_lr)
                if new < opt.learning_rate:
                    opt.learning_rate = new
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                self.cooling, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """CSVLogger(filename, separator=',', append=False): a header, then one row per epoch."""

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys = None

    def on_train_begin(self, logs=None):
        self.keys = None
        if not self.append and os.path.exists(self.filename):
            os.remove(self.filename)

    def on_epoch_end(self, epoch, logs=None):
        logs = _logs(logs or {})
        new = not os.path.exists(self.filename) or os.path.getsize(self.filename) == 0
        if self.keys is None:
            self.keys = sorted(logs)
        with open(self.filename, "a", newline="") as f:
            w = csv.writer(f, delimiter=self.separator)
            if new:
                w.writerow(["epoch"] + self.keys)
            w.writerow([epoch] + [logs.get(k, math.nan) for k in self.keys])


def __getattr__(name):
    """A Keras name this module does not offer: an error naming it and what there is instead."""
    raise AttributeError(f"keras.callbacks.{name} is not offered by minicnn.keras; it has: Callback, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger")
