"""Callbacks that change ``model.optimizer.learning_rate`` between epochs.

``LearningRateScheduler`` sets it from a function of the epoch; ``ReduceLROnPlateau``
multiplies it by ``factor`` when a monitored quantity stalls. Both write the rate of
the epoch into ``logs['learning_rate']`` at its end, as Keras 3 does, so it shows in
``history.history`` and the progress line.

The optimizer's ``learning_rate`` must be a number: an optimizer built with a
``LearningRateSchedule`` refuses to have it set, with a message saying so.
"""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from .callbacks import Callback
from .monitor import Monitor, MonitoringCallback, check_non_negative_int

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


def _learning_rate(model) -> float:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute. '
                         f"Received: optimizer={optimizer!r}")
    return float(optimizer.learning_rate)


def _takes_two_arguments(schedule) -> bool:
    """Whether ``schedule(epoch, lr)`` can be called (else ``schedule(epoch)``)."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):  # some builtins: try the two-argument form
        return True
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from ``schedule``.

    Args:
        schedule: ``schedule(epoch, lr) -> new_lr`` (``epoch`` counted from 0, ``lr``
            the current rate as a float), or the older ``schedule(epoch) -> new_lr``.
            The form is read from the function's signature, so a TypeError raised
            inside ``schedule`` is not mistaken for the one-argument form (Keras
            retries on any TypeError).
        verbose: 1 prints the rate set at each epoch.

    The result must be a real number (Keras accepts only floats; ints are fine here)
    and at least 0.

    Example:
        >>> import math
        >>> import numpy as np
        >>> import glassnet as tf
        >>> def scheduler(epoch, lr):  # keep the rate for ten epochs, then decay it
        ...     return lr if epoch < 10 else lr * math.exp(-0.1)
        >>> model = tf.keras.Sequential([tf.keras.Input(shape=(20,)), tf.keras.layers.Dense(10)])
        >>> model.compile(tf.keras.optimizers.SGD(), loss="mse")
        >>> round(model.optimizer.learning_rate, 5)
        0.01
        >>> history = model.fit(np.arange(100.0).reshape(5, 20) / 100, np.zeros((5, 10)), epochs=15,
        ...                     callbacks=[tf.keras.callbacks.LearningRateScheduler(scheduler)], verbose=0)
        >>> round(model.optimizer.learning_rate, 5), round(history.history["learning_rate"][-1], 5)
        (0.00607, 0.00607)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be a function of the epoch. "
                             f"Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._two_arguments = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        lr = _learning_rate(self.model)
        new_lr = self.schedule(epoch, lr) if self._two_arguments else self.schedule(epoch)
        if isinstance(new_lr, np.ndarray) and new_lr.ndim == 0:
            new_lr = new_lr.item()
        if isinstance(new_lr, bool) or not isinstance(new_lr, numbers.Real) or math.isnan(new_lr):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {new_lr!r}")
        self.model.optimizer.learning_rate = float(new_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model)


class ReduceLROnPlateau(MonitoringCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    Each epoch end (Keras's order): the rate is logged; while cooling down the cooldown
    counter drops by one and ``wait`` is reset; an improvement (by more than
    ``|min_delta|``) becomes the new best and resets ``wait``; otherwise, unless still
    cooling down, ``wait`` grows and on reaching ``patience`` the rate becomes
    ``max(lr * factor, min_lr)`` (only if ``lr > min_lr``), after which ``cooldown``
    epochs start. As in Keras, the epoch on which the counter reaches 0 already counts
    towards ``wait``, so ``cooldown=1`` waits no longer than ``cooldown=0``.

    Args:
        monitor: the logs key to watch (default 'val_loss'); missing: a warning.
        factor: the multiplier, in [0, 1) (default 0.1).
        patience: epochs without improvement before reducing (default 10).
        verbose: 1 prints each reduction.
        mode: 'auto', 'min' or 'max'. 'auto' reads the name as EarlyStopping does and
            minimises names it does not know (Keras's rule here is: maximise only
            names containing 'acc').
        min_delta: the least change that counts as an improvement (default 1e-4;
            its sign is ignored).
        cooldown: epochs to wait after a reduction before counting again (default 0).
        min_lr: the rate is never reduced below this (default 0).

    Example:
        >>> from types import SimpleNamespace
        >>> from glassnet.optimizers import SGD
        >>> from glassnet.training import ReduceLROnPlateau
        >>> model = SimpleNamespace(optimizer=SGD(0.1), compiled_metrics=[])
        >>> callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.03)
        >>> callback.set_model(model)
        >>> callback.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0]):
        ...     logs = {"loss": loss}
        ...     callback.on_epoch_end(epoch, logs)
        ...     print(epoch, logs["learning_rate"], model.optimizer.learning_rate)
        0 0.1 0.1
        1 0.1 0.05
        2 0.05 0.03
        3 0.03 0.03
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0.0 <= factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor outside [0, 1). Received: factor={factor!r}")
        if isinstance(min_lr, bool) or not isinstance(min_lr, numbers.Real) or not min_lr >= 0.0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be a number >= 0. Received: min_lr={min_lr!r}")
        self._monitor = Monitor(monitor, mode, min_delta, owner="ReduceLROnPlateau", unknown="min")
        self.factor = float(factor)
        self.patience = check_non_negative_int("ReduceLROnPlateau", "patience", patience)
        self.cooldown = check_non_negative_int("ReduceLROnPlateau", "cooldown", cooldown)
        self.min_lr = float(min_lr)
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _learning_rate(self.model)
        current = self._monitor.value(logs, "Learning rate reduction is conditioned")
        if current is None:
            return
        if self.best is None:
            self._monitor.resolve(self.model)
            self.best = self._monitor.worst
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._monitor.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = _learning_rate(self.model)
        if old_lr > self.min_lr:
            new_lr = max(old_lr * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0
