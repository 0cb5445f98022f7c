"""Callbacks that end training early: ``EarlyStopping`` and ``TerminateOnNaN``.

Both ask the loop to stop by setting ``model.stop_training = True``; ``fit`` checks it
after every batch and every epoch, then still calls ``on_train_end`` on every callback.
"""

from __future__ import annotations

import math
import numbers

from .callbacks import Callback
from .monitor import Monitor, MonitoringCallback, check_non_negative_int

__all__ = ["EarlyStopping", "TerminateOnNaN"]


class EarlyStopping(MonitoringCallback):
    """Stop training when a monitored quantity has stopped improving (Keras 3's rules).

    At the end of each epoch (from ``start_from_epoch`` on) the monitored value is
    compared with the best so far: an improvement beats it by more than ``|min_delta|``
    (see :mod:`glassnet.training.monitor`). ``wait`` counts the epochs since the last
    improvement; training stops once ``wait >= patience`` (never at epoch 0).

    Args:
        monitor: the logs key to watch (default 'val_loss'). When it is missing from
            the logs, a warning names the keys there and the epoch is skipped.
        min_delta: the least change that counts as an improvement (default 0; the sign
            is ignored).
        patience: epochs without improvement before stopping (default 0).
        verbose: 1 prints a line when training stops and when weights are restored.
        mode: 'auto' (read from the name), 'min' or 'max'.
        baseline: a value to reach; an epoch that improves on the best so far but not
            on ``baseline`` does not reset ``wait``, so training stops after
            ``patience`` epochs unless ``baseline`` is beaten.
        restore_best_weights: at the end of training, whatever ended it (this
            callback, another, or the last epoch of the budget), set the weights from
            the epoch with the best monitored value (Keras 3; Keras 2 restored only when
            this callback stopped training).
        start_from_epoch: epochs to ignore at the start (a warm-up).

    Attributes:
        best, best_epoch, best_weights, wait, stopped_epoch: as in Keras
        (``stopped_epoch`` is 0 when this callback did not stop training).

    Differences from Keras: an unknown ``mode`` or a negative ``patience`` raises
    ValueError (Keras warns and falls back to 'auto'); ``best`` is reset by each ``fit``.

    Example:
        >>> import numpy as np
        >>> import glassnet as tf
        >>> tf.random.set_seed(0)
        >>> model = tf.keras.Sequential([tf.keras.Input(shape=(20,)), tf.keras.layers.Dense(10)])
        >>> model.compile(tf.keras.optimizers.SGD(), loss="mse")
        >>> callback = tf.keras.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> history = model.fit(np.arange(100.0).reshape(5, 20) / 5, np.zeros((5, 10)), epochs=10,
        ...                     batch_size=1, callbacks=[callback], verbose=0)
        >>> len(history.history["loss"])  # the loss grows: best at the 1st epoch, stop at the 4th
        4
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self._monitor = Monitor(monitor, mode, min_delta, owner="EarlyStopping")
        self.patience = check_non_negative_int("EarlyStopping", "patience", patience)
        self.start_from_epoch = check_non_negative_int("EarlyStopping", "start_from_epoch", start_from_epoch)
        if baseline is not None and (isinstance(baseline, bool) or not isinstance(baseline, numbers.Real)):
            raise ValueError(f"EarlyStopping: baseline must be a number or None. Received: baseline={baseline!r}")
        self.baseline = baseline
        self.verbose = verbose
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.best is None:
            self._monitor.resolve(self.model)
            self.best = self._monitor.worst
        current = self._monitor.value(logs, "Early stopping conditioned")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # the first watched epoch is the best until one improves on it
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._monitor.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._monitor.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite.

    It reads ``logs['loss']`` in ``on_train_batch_end`` (the running mean of the epoch,
    so it turns NaN at the first bad batch), prints ``Batch k: Invalid loss, terminating
    training`` and sets ``model.stop_training``; the epoch then ends and
    ``on_epoch_end`` / ``on_train_end`` still run.

    Args:
        raise_error: raise a RuntimeError at once instead (no ``on_train_end``), as in
            recent Keras 3.

    Example:
        >>> import math
        >>> from types import SimpleNamespace
        >>> from glassnet.training import TerminateOnNaN
        >>> callback = TerminateOnNaN()
        >>> callback.set_model(SimpleNamespace(stop_training=False))
        >>> callback.on_train_batch_end(0, {"loss": 0.5})
        >>> callback.on_train_batch_end(1, {"loss": math.nan})
        Batch 1: Invalid loss, terminating training
        >>> callback.model.stop_training
        True
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
