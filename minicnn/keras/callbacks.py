"""keras.callbacks: Keras's EarlyStopping on minicnn's (the monitor names are Keras's: val_loss,
val_accuracy, or the TF2-era val_acc)."""
from ..train import Callback, EarlyStopping as _EarlyStopping


class EarlyStopping(_EarlyStopping):
    """EarlyStopping(monitor='val_loss', min_delta=0, patience=0, mode='auto', restore_best_weights=False)."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        if baseline is not None or start_from_epoch:
            raise NotImplementedError("EarlyStopping: baseline and start_from_epoch are not supported by minicnn.keras")
        super().__init__(monitor=monitor, patience=patience, min_delta=min_delta, mode=mode,
                         restore_best_weights=restore_best_weights)


__all__ = ["Callback", "EarlyStopping"]
