"""The one training loop behind ``fit``, ``evaluate`` and ``predict``.

``fit`` validates its arguments once, builds the batch iterator and the callback
list, then for each epoch and each batch calls ``model.train_step``; after each
epoch it evaluates on the validation data, tells the callbacks, and stops early when
``model.stop_training`` is set. ``evaluate`` and ``predict`` reuse the same
iterator and run the model with ``training=False``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .. import memory, parallel
from ..autograd import no_grad
from . import numerics
from .callbacks import CallbackList, History
from .data import (BatchIterator, check_batch_size, check_input_shape, prepare_arrays, sample_weights_for,
                   split_validation)
from .progress import ProgbarLogger, bar_line

__all__ = ["evaluate", "fit", "predict"]


class RunningMean:
    """The mean of per-batch values weighted by batch size (how Keras reports the epoch loss)."""

    def __init__(self):
        self.total = 0.0
        self.count = 0

    def add(self, value: float, weight: int) -> None:
        self.total += value * weight
        self.count += weight

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


def _check_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool):  # verbose=False / True work in Keras
        return int(verbose)
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


def _check_epochs(epochs, initial_epoch) -> tuple[int, int]:
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer. Received: {name}={value!r}")
    return int(epochs), int(initial_epoch)


def _check_x(model, x, argument="x") -> None:
    """x against the model's input shape, when the model knows it (built, or given an Input)."""
    try:
        expected = model.input_shape
    except AttributeError:  # not built yet: the first batch builds it
        return
    check_input_shape(x, expected, argument)


def _epoch_logs(model, loss_mean: RunningMean, prefix: str = "") -> dict:
    logs = {f"{prefix}loss": loss_mean.result()}
    for metric in model.compiled_metrics:
        logs[f"{prefix}{metric.name}"] = float(metric.result())
    return logs


def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, on_nonfinite=None):
    """Train ``model`` (see :meth:`glassnet.models.Model.fit` for the arguments).

    Every argument and all the data are checked before the first step, so a bad one
    raises with the model unchanged. A batch whose loss or gradient is NaN or Inf is
    handled as ``on_nonfinite`` says (:mod:`glassnet.training.numerics`).
    """
    model.require_compiled("fit")
    memory.keep_freed_memory()  # steps reuse freed memory instead of faulting it in (glassnet.memory)
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks: expected a list of Callback instances, received {type(callbacks).__name__}"
        )
    verbose = _check_verbose(verbose)
    epochs, initial_epoch = _check_epochs(epochs, initial_epoch)
    batch_size = check_batch_size(batch_size)
    policy = numerics.resolve_policy(on_nonfinite, callbacks or [])
    x, y = prepare_arrays(x, y, dtype=model.input_dtype)
    _check_x(model, x)
    weights = sample_weights_for(y, sample_weight)
    (x, y, weights), validation = split_validation(x, y, weights, validation_split)
    if class_weight is not None:  # training samples only, as in Keras (sample weights split too)
        weights = sample_weights_for(y, weights, class_weight)
    if validation_data is not None:
        validation = _unpack_validation(model, validation_data)
    model.build_for_data(x)
    model.refresh_step_plans()  # first: the output shape the targets are checked against is kept with them
    model.check_targets(y, x[:1])
    y = model.cast_targets(y)  # once, not per batch
    if validation is not None:
        model.check_targets(validation[1], validation[0][:1], "validation y")
    model.prepare_metrics(y, x[:1])

    batches = BatchIterator(x, y, weights, batch_size=batch_size, shuffle=shuffle)
    history = History()
    # History after the user's callbacks (Keras 3's order), so keys they add to the epoch
    # logs, such as 'learning_rate' from LearningRateScheduler, are recorded too.
    all_callbacks = list(callbacks or []) + [history]
    if verbose and not any(isinstance(c, ProgbarLogger) for c in all_callbacks):
        all_callbacks.append(ProgbarLogger(verbose))
    params = {"epochs": epochs, "steps": batches.steps, "verbose": verbose}
    hooks = CallbackList(all_callbacks, model, params)
    batch_logs = hooks.wants("on_train_batch_end")
    batch_begin = hooks.wants("on_train_batch_begin")
    metrics = bool(model.compiled_metrics)
    train_step = model.make_train_function()

    guard = numerics.StepGuard(model, policy)
    guarded = guard.saves_state
    checking, model.check_finite_steps = model.check_finite_steps, policy != "ignore"
    model.stop_training = False
    try:
        with parallel.blas_on_one_thread():  # glassnet.parallel: no BLAS threads spinning beside ours
            hooks.call("on_train_begin", {})
            for epoch in range(initial_epoch, epochs):
                model.reset_metrics()
                loss_mean = RunningMean()
                fault = None
                hooks.call("on_epoch_begin", epoch, {})
                for step, (xb, yb, wb) in enumerate(batches.epoch()):
                    if batch_begin:
                        hooks.call("on_train_batch_begin", step, {})
                    if guarded:
                        guard.before_step()
                    try:
                        loss, y_pred = train_step(xb, yb, wb)
                    except numerics.NonFiniteError as err:  # the step was not applied
                        fault = guard.report(err, epoch=epoch, batch=step, epochs=epochs, steps=batches.steps,
                                             data=(xb, yb, wb))
                        break
                    loss_mean.add(loss, len(xb))
                    if metrics:
                        model.update_metrics(yb, y_pred, wb)
                    if batch_logs:
                        hooks.call("on_train_batch_end", step, _epoch_logs(model, loss_mean))
                    if model.stop_training:
                        break
                if fault is not None:  # History keeps the epochs that completed
                    model.history = history
                    if policy != "warn":
                        raise fault
                    warnings.warn(str(fault), numerics.NonFiniteWarning, stacklevel=3)
                    model.stop_training = True
                    break
                logs = _epoch_logs(model, loss_mean)
                if validation is not None:
                    logs.update(_run_evaluation(model, *validation, batch_size=batch_size, prefix="val_", hooks=hooks))
                hooks.call("on_epoch_end", epoch, logs)
                if model.stop_training:
                    break
    finally:
        model.check_finite_steps = checking
    hooks.call("on_train_end", {})
    model.history = history
    return history


def _unpack_validation(model, validation_data):
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight). "
            f"Received: {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
        )
    x_val, y_val = prepare_arrays(validation_data[0], validation_data[1], dtype=model.input_dtype,
                                  names=("validation x", "validation y"))
    _check_x(model, x_val, "validation x")
    weights = sample_weights_for(y_val, validation_data[2]) if len(validation_data) == 3 else None
    return x_val, y_val, weights


def _run_evaluation(model, x, y, weights, *, batch_size, prefix="", hooks=None):
    """The loss and metrics on ``(x, y)``; with ``hooks``, the ``on_test_*`` hooks run (validation in fit)."""
    model.reset_metrics()
    loss_mean = RunningMean()
    if hooks is not None:
        hooks.call("on_test_begin", {})
    batch_logs = hooks is not None and hooks.wants("on_test_batch_end")
    for step, (xb, yb, wb) in enumerate(BatchIterator(x, y, weights, batch_size=batch_size, shuffle=False).epoch()):
        if hooks is not None:
            hooks.call("on_test_batch_begin", step, {})
        loss, y_pred = model.test_step(xb, yb, wb)
        loss_mean.add(loss, len(xb))
        model.update_metrics(yb, y_pred, wb)
        if batch_logs:
            hooks.call("on_test_batch_end", step, _epoch_logs(model, loss_mean))
    if hooks is not None:
        hooks.call("on_test_end", _epoch_logs(model, loss_mean))
    return _epoch_logs(model, loss_mean, prefix)


def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             return_dict=False):
    """Return the loss (and metrics) of ``model`` on ``(x, y)``, with ``training=False``.

    ``verbose=1`` prints Keras's final bar line, after a live bar on a terminal when the
    evaluation takes more than half a second; ``verbose=2`` prints one line.
    """
    import sys

    from .progress import epoch_line

    model.require_compiled("evaluate")
    verbose = _check_verbose(verbose)
    batch_size = check_batch_size(batch_size)
    x, y = prepare_arrays(x, y, dtype=model.input_dtype)
    _check_x(model, x)
    weights = sample_weights_for(y, sample_weight)
    model.build_for_data(x)
    model.refresh_step_plans()
    model.check_targets(y, x[:1])
    model.prepare_metrics(y, x[:1])
    steps = -(-len(x) // batch_size)
    start = time.perf_counter()
    isatty = getattr(sys.stdout, "isatty", None)
    bar = hooks = None
    try:
        if verbose == 1 and steps > 1 and isatty and isatty():
            from tqdm import tqdm

            from .lambda_callback import LambdaCallback
            from .progress import format_logs

            # a live bar with the running loss, drawn only after 0.5 s, cleared at the end
            bar = tqdm(total=steps, file=sys.stdout, ascii=".=", leave=False, delay=0.5, mininterval=0.1,
                       bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {elapsed}{desc}")

            def tick(step, batch_logs):
                bar.set_description_str(" - " + format_logs(batch_logs), refresh=False)
                bar.update(1)

            hooks = CallbackList([LambdaCallback(on_test_batch_end=tick)], model, {"steps": steps, "verbose": 1})
        with parallel.blas_on_one_thread():
            logs = _run_evaluation(model, x, y, weights, batch_size=batch_size, hooks=hooks)
    finally:
        if bar is not None:
            bar.close()
    if verbose:
        print((epoch_line if verbose == 2 else bar_line)(steps, time.perf_counter() - start, logs))
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size=None, verbose=0):
    """Return the model's outputs for ``x`` as a NumPy array (``training=False``, no graph).

    ``verbose=1`` prints Keras's final bar line, after a live bar on a terminal when the
    prediction takes more than half a second; ``verbose=2`` prints one line.
    """
    import sys

    from .progress import epoch_line

    verbose = _check_verbose(verbose)
    batch_size = check_batch_size(batch_size)
    x, _ = prepare_arrays(x, None, dtype=model.input_dtype, need_y=False)
    _check_x(model, x)
    model.build_for_data(x)
    steps = -(-len(x) // batch_size)
    start = time.perf_counter()
    with no_grad():
        if len(x) <= batch_size:  # the common single-call case: no batching machinery
            outputs = model.predict_step(x)
        else:
            batches = BatchIterator(x, batch_size=batch_size, shuffle=False).epoch()
            isatty = getattr(sys.stdout, "isatty", None)
            if verbose == 1 and isatty and isatty():
                from tqdm import tqdm

                # a live bar, drawn only after 0.5 s and cleared at the end
                batches = tqdm(batches, total=steps, file=sys.stdout, ascii=".=", leave=False,
                               delay=0.5, mininterval=0.1, bar_format="{n_fmt}/{total_fmt} [{bar:30}] - {elapsed}")
            with parallel.blas_on_one_thread():
                outputs = np.concatenate([model.predict_step(xb) for xb, _, _ in batches], axis=0)
    if verbose:
        print((epoch_line if verbose == 2 else bar_line)(steps, time.perf_counter() - start, {}))
    return outputs
