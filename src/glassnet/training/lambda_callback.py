"""``LambdaCallback``: a callback made of plain functions, one per hook."""

from __future__ import annotations

from .callbacks import _HOOKS, Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """Call the given functions at the named hooks; every other hook does nothing.

    The functions take the hook's positional arguments: ``on_epoch_begin`` and
    ``on_epoch_end`` get ``(epoch, logs)``; ``on_train_begin`` and ``on_train_end`` get
    ``(logs)``; the batch hooks get ``(batch, logs)``.

    Args:
        on_epoch_begin, on_epoch_end, on_train_begin, on_train_end,
        on_train_batch_begin, on_train_batch_end: functions, or None.
        **hooks: any other hook of :class:`Callback` by name, e.g.
            ``on_test_end=fn``. An unknown name raises TypeError (Keras accepts
            and ignores it).

    Example:
        >>> import numpy as np
        >>> import glassnet as tf
        >>> model = tf.keras.Sequential([tf.keras.Input(shape=(1,)), tf.keras.layers.Dense(1)])
        >>> model.compile(loss="mse", optimizer="sgd")
        >>> print_epoch = tf.keras.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: print("epoch", epoch, sorted(logs)))
        >>> _ = model.fit(np.ones((4, 1)), np.ones(4), epochs=2, verbose=0, callbacks=[print_epoch])
        epoch 0 ['loss']
        epoch 1 ['loss']
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **hooks):
        super().__init__()
        unknown = sorted(set(hooks) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks {unknown}; hooks are {_HOOKS}. "
                            f"Received: {', '.join(f'{name}={hooks[name]!r}' for name in unknown)}")
        hooks.update(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is not None and not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function or None. Received: {name}={function!r}")
        self.functions = {name: function for name, function in hooks.items() if function is not None}

    def _call(self, hook, *args):
        function = self.functions.get(hook)
        if function is not None:
            function(*args)

    # The hooks are defined on the class (not set per instance, as Keras does) because
    # CallbackList looks hooks up on the class to skip the ones nobody overrides.
    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._call("on_predict_batch_end", batch, logs)
