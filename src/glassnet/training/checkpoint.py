"""``ModelCheckpoint``: save the model, or only its weights, while ``fit`` runs."""

from __future__ import annotations

import numbers
import os
import warnings

from .monitor import Monitor, MonitoringCallback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitoringCallback):
    """Save the model (``model.save``) or its weights (``model.save_weights``) during training.

    ``filepath`` may hold ``str.format`` fields filled from ``epoch`` (counted from 1),
    ``batch`` (from 1, when saving every few batches) and any logs key:
    ``'ckpt/{epoch:02d}-{val_loss:.2f}.keras'`` becomes ``'ckpt/03-0.41.keras'``.
    Missing folders are created.

    Args:
        filepath: where to save: ending in '.weights.h5' when ``save_weights_only``,
            else in '.keras' (or '.h5'), as Keras 3 requires.
        monitor: the logs key that decides what "best" is (default 'val_loss').
        verbose: 1 prints a line at each decision.
        save_best_only: save only when ``monitor`` improves on the best seen (by this
            callback, across ``fit`` calls); when ``monitor`` is missing from the logs,
            warn and save anyway, as Keras does.
        save_weights_only: call ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: 'auto' (read from the name), 'min' or 'max'.
        save_freq: 'epoch' (at each epoch's end) or an integer: every that many batches,
            counted across epochs.
        initial_value_threshold: the starting "best" for ``save_best_only``.

    Differences from Keras: an unknown ``mode`` raises ValueError (Keras warns and uses
    'auto'); ``model.save``/``save_weights`` are called with the path only.

    Example:
        >>> from glassnet.training import ModelCheckpoint
        >>> checkpoint = ModelCheckpoint("ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5",
        ...                              save_weights_only=True)
        >>> checkpoint.format_path(epoch=2, logs={"loss": 0.5, "val_loss": 0.4123})
        'ckpt/03-0.41.weights.h5'
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise ValueError(f"ModelCheckpoint: filepath must be a string or path. Received: filepath={filepath!r}")
        self.filepath = os.fspath(filepath)
        self.save_weights_only = bool(save_weights_only)
        if self.save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must "
                f"end in `.weights.h5`. Received: filepath={self.filepath}"
            )
        if not self.save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(f"The filepath provided must end in `.keras`. Received: filepath={self.filepath}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral)
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer. "
                             f"Received: save_freq={save_freq!r}")
        if initial_value_threshold is not None and not isinstance(initial_value_threshold, numbers.Real):
            raise ValueError("ModelCheckpoint: initial_value_threshold must be a number or None. "
                             f"Received: initial_value_threshold={initial_value_threshold!r}")
        self._monitor = Monitor(monitor, mode, 0.0, owner="ModelCheckpoint")
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_freq = save_freq
        self.best = None if initial_value_threshold is None else float(initial_value_threshold)
        self._epoch = 0
        self._batches_since_save = 0

    def format_path(self, epoch, logs=None, batch=None) -> str:
        """The file name for 0-based ``epoch`` (and ``batch``): fields filled as described above."""
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {error}. Available keys: {sorted(fields)}") from None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, logs, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs)

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        current = float(current)
        self._monitor.resolve(self.model)
        if self.best is None:
            self.best = self._monitor.worst
        best_text = f"{self.best:.5f}"
        if self._monitor.is_improvement(current, self.best):  # NaN never improves
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _save(self, epoch, logs, batch=None) -> None:
        filepath = self.format_path(epoch, logs, batch)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for ModelCheckpoint. "
                                    f"Filepath used is an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
