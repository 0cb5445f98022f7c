"""Callbacks: code that runs at fixed points of ``fit``, with Keras's hook names.

Subclass :class:`Callback` and override any hook; ``self.model`` is the model being
trained and ``self.params`` holds ``epochs``, ``steps`` and ``verbose``.

Example:
    >>> from glassnet.training.callbacks import Callback
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
"""

from __future__ import annotations

__all__ = ["Callback", "CallbackList", "History"]


class Callback:
    """Base class of callbacks; every hook does nothing unless overridden."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


class CallbackList:
    """Calls a hook on every callback in order; hooks nobody overrides are skipped."""

    def __init__(self, callbacks, model, params: dict):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be glassnet Callback instances. Received: {type(callback).__name__}"
                )
            callback.set_model(model)
            callback.set_params(params)
        # Per hook, only the bound methods someone overrode: the batch hooks run every step.
        self._active = {
            hook: [getattr(c, hook) for c in self.callbacks if getattr(type(c), hook) is not getattr(Callback, hook)]
            for hook in _HOOKS
        }

    def wants(self, hook: str) -> bool:
        return bool(self._active[hook])

    def call(self, hook: str, *args) -> None:
        for method in self._active[hook]:
            method(*args)


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` and ``history.epoch``.

    ``fit`` returns it; it is also kept as ``model.history``.
    """

    def __init__(self):
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
