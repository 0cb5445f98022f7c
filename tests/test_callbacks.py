"""The callback library against Keras 3's semantics.

Two kinds of check, each a table where the cases share a shape:

* synthetic: a sequence of logged values fed straight to the hooks of a callback
  attached to a :class:`FakeModel` whose "weights" are the index of the epoch they
  were set at, so a restored weight names the epoch it came from;
* real: tiny ``Sequential`` models trained for a few epochs with ``verbose=0``.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest

import glassnet as tf
from glassnet import training
from glassnet.models import Model
from glassnet.optimizers import SGD
from glassnet.training import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from glassnet.training.monitor import Monitor


class FakeModel:
    """Just what callbacks touch; the one weight is the epoch index it was set at."""

    def __init__(self, lr=1.0, metrics=()):
        self.stop_training = False
        self.optimizer = SGD(lr)
        self.compiled_metrics = list(metrics)
        self.metrics_names = ["loss"]
        self.weight = None
        self.saved: list = []

    def get_weights(self):
        return [np.array(self.weight)]

    def set_weights(self, weights):
        self.weight = int(weights[0])

    def save(self, path):
        self.saved.append(("save", path))

    def save_weights(self, path):
        self.saved.append(("save_weights", path))


def run_epochs(callback, values, key="val_loss", model=None):
    """Feed ``values`` as ``{key: value}`` epoch logs (None: key absent) until stop_training.

    Returns (model, epochs run, the logs dicts as the callback left them).
    """
    model = model or FakeModel()
    callback.set_model(model)
    callback.set_params({"epochs": len(values), "steps": 1, "verbose": 0})
    callback.on_train_begin({})
    epochs, all_logs = [], []
    for epoch, value in enumerate(values):
        model.weight = epoch
        callback.on_epoch_begin(epoch, {})
        logs = {} if value is None else {key: value}
        callback.on_epoch_end(epoch, logs)
        epochs.append(epoch)
        all_logs.append(logs)
        if model.stop_training:
            break
    callback.on_train_end({})
    return model, epochs, all_logs


def blobs(n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + 2.0 * (2 * y[:, None] - 1)
    return x, y


def small_model(loss="binary_crossentropy", optimizer="sgd", metrics=None, seed=0):
    tf.random.set_seed(seed)
    activation = "sigmoid" if loss == "binary_crossentropy" else None
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(3, activation="relu"),
                                 tf.keras.layers.Dense(1, activation=activation)])
    model.compile(loss=loss, optimizer=optimizer, metrics=metrics)
    return model


# ----- the public names --------------------------------------------------------------------

NAMES = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
         "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN", "CSVLogger", "LambdaCallback"]


@pytest.mark.parametrize("name", NAMES)
def test_keras_callbacks_names_are_the_training_classes(name):
    assert getattr(tf.keras.callbacks, name) is getattr(training, name)


# ----- which direction is better -------------------------------------------------------------

class Score:
    """A custom metric that says which way is better, as Keras 3 metrics do."""

    name = "score"
    _direction = "up"


DIRECTIONS = [
    ("loss", (), "min"),
    ("val_loss", (), "min"),
    ("accuracy", (), "max"),
    ("val_accuracy", (), "max"),
    ("val_binary_accuracy", (), "max"),
    ("val_auc", (), "max"),
    ("precision", (), "max"),
    ("mean_squared_error", (), "min"),
    ("val_mse", (), "min"),
    ("val_mae", (), "min"),
    ("val_score", (Score(),), "max"),
    ("val_score", (), None),
]


@pytest.mark.parametrize("monitor, metrics, direction", DIRECTIONS)
def test_auto_mode_reads_the_direction(monitor, metrics, direction):
    for callback in (EarlyStopping(monitor=monitor), ModelCheckpoint("m.keras", monitor=monitor, save_best_only=True)):
        if direction is None:  # Keras 3 asks for mode= when it cannot tell
            with pytest.raises(ValueError, match="mode='max'"):
                run_epochs(callback, [1.0], key=monitor, model=FakeModel(metrics=metrics))
        else:
            run_epochs(callback, [1.0], key=monitor, model=FakeModel(metrics=metrics))
            assert callback._monitor.direction == direction
    plateau = ReduceLROnPlateau(monitor=monitor)  # minimises what it cannot read
    run_epochs(plateau, [1.0], key=monitor, model=FakeModel(metrics=metrics))
    assert plateau._monitor.direction == (direction or "min")


IMPROVEMENTS = [
    # mode, min_delta, current, reference, improvement?
    ("min", 0.0, 0.5, 1.0, True),
    ("min", 0.0, 1.0, 1.0, False),       # a tie is no improvement
    ("min", 0.25, 0.875, 1.0, False),    # better, but by less than min_delta
    ("min", 0.25, 0.75, 1.0, False),     # by exactly min_delta: not more than it
    ("min", 0.25, 0.5, 1.0, True),
    ("min", -0.25, 0.875, 1.0, False),   # the sign of min_delta is ignored
    ("max", 0.0, 1.0, 0.5, True),
    ("max", 0.25, 0.625, 0.5, False),
    ("max", -0.25, 1.0, 0.5, True),
    ("min", 0.0, math.nan, 1.0, False),  # NaN never improves
    ("max", 0.0, math.nan, 0.5, False),
]


@pytest.mark.parametrize("mode, min_delta, current, reference, expected", IMPROVEMENTS)
def test_improvement_rule(mode, min_delta, current, reference, expected):
    assert Monitor("x", mode, min_delta).is_improvement(current, reference) is expected


# ----- EarlyStopping on synthetic logs -----------------------------------------------------

EARLY_STOPPING = [
    # label, kwargs, monitored values, epochs run, weight at the end (epoch index)
    ("patience 0 stops at the first worse epoch", {}, [1.0, 0.5, 0.625, 0.25], [0, 1, 2], 2),
    ("patience 2", {"patience": 2}, [1.0, 0.75, 0.875, 0.8125, 0.5], [0, 1, 2, 3], 3),
    ("a tie is no improvement", {}, [0.5, 0.5, 0.25], [0, 1], 1),
    ("never stops at epoch 0", {"baseline": 0.1}, [1.0, 2.0, 0.5], [0, 1], 1),
    ("min_delta: too small a gain", {"min_delta": 0.25, "patience": 1}, [1.0, 0.875, 0.5], [0, 1], 1),
    ("min_delta: gain exactly min_delta", {"min_delta": 0.25}, [1.0, 0.75, 0.5], [0, 1], 1),
    ("min_delta: a real gain resets", {"min_delta": 0.25, "patience": 2}, [1.0, 0.875, 0.5, 0.5], [0, 1, 2, 3], 3),
    ("negative min_delta acts as positive", {"min_delta": -0.25, "patience": 1}, [1.0, 0.875, 0.5], [0, 1], 1),
    ("mode max", {"mode": "max"}, [1.0, 2.0, 1.5, 3.0], [0, 1, 2], 2),
    ("auto: val_accuracy is maximised", {"monitor": "val_accuracy"}, [0.5, 0.75, 0.5, 1.0], [0, 1, 2], 2),
    ("start_from_epoch ignores the warm-up", {"start_from_epoch": 2}, [1.0, 2.0, 3.0, 4.0, 0.5], [0, 1, 2, 3], 3),
    ("baseline: improving but above it never stops", {"baseline": 0.5, "patience": 2},
     [1.0, 0.9, 0.8, 0.7], [0, 1, 2, 3], 3),
    ("baseline: stuck above it stops after patience", {"baseline": 0.5, "patience": 2}, [1.0, 1.0, 1.0], [0, 1], 1),
    ("baseline: beaten, then patience counts", {"baseline": 0.5, "patience": 2},
     [1.0, 0.4, 0.45, 0.45, 0.45], [0, 1, 2, 3], 3),
    # restore_best_weights: the weights of the best epoch, whatever ended training
    ("restore after stopping", {"patience": 2, "restore_best_weights": True}, [1.0, 0.5, 0.625, 0.75, 0.25], [0, 1, 2, 3], 1),
    ("restore when the budget ends first", {"patience": 5, "restore_best_weights": True},
     [1.0, 0.5, 0.625], [0, 1, 2], 1),
    ("restore: best is the last epoch", {"patience": 5, "restore_best_weights": True}, [1.0, 0.5, 0.25], [0, 1, 2], 2),
    ("restore the best even above baseline", {"baseline": 0.1, "patience": 2, "restore_best_weights": True},
     [1.0, 0.9, 0.95, 0.25], [0, 1, 2], 1),
    ("restore only from watched epochs", {"start_from_epoch": 2, "patience": 5, "restore_best_weights": True},
     [0.1, 0.1, 1.0, 0.5, 0.75], [0, 1, 2, 3, 4], 3),
    ("restore: a tie keeps the first", {"patience": 5, "restore_best_weights": True}, [1.0, 0.5, 0.5], [0, 1, 2], 1),
    ("restore_best_weights=False keeps the last", {"patience": 5}, [1.0, 0.5, 0.625], [0, 1, 2], 2),
]


@pytest.mark.parametrize("label, kwargs, values, epochs_run, weight", EARLY_STOPPING,
                         ids=[row[0] for row in EARLY_STOPPING])
def test_early_stopping_on_logged_values(label, kwargs, values, epochs_run, weight):
    kwargs = dict(kwargs)
    key = kwargs.setdefault("monitor", "val_loss")
    callback = EarlyStopping(**kwargs)
    model, epochs, _ = run_epochs(callback, values, key=key)
    assert epochs == epochs_run
    assert model.weight == weight
    stopped = len(epochs_run) < len(values)
    assert callback.stopped_epoch == (epochs_run[-1] if stopped else 0)


def test_early_stopping_warns_when_the_key_is_missing_and_goes_on():
    callback = EarlyStopping(monitor="val_loss", restore_best_weights=True)
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available. Available metrics are: loss"):
        model, epochs, _ = run_epochs(callback, [1.0, 2.0, 3.0], key="loss")
    assert epochs == [0, 1, 2] and model.weight == 2  # nothing watched: nothing restored


def test_early_stopping_is_reset_by_each_fit():
    callback = EarlyStopping(monitor="loss", patience=1)
    run_epochs(callback, [1.0, 2.0, 3.0], key="loss")
    _, epochs, _ = run_epochs(callback, [5.0, 4.0, 3.0], key="loss")  # worse than the old best
    assert epochs == [0, 1, 2] and callback.stopped_epoch == 0


def test_early_stopping_verbose_messages(capsys):
    run_epochs(EarlyStopping(patience=1, verbose=1, restore_best_weights=True), [1.0, 0.5, 0.75, 0.875])
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 3: early stopping", "Restoring model weights from the end of the best epoch: 2."]


# ----- EarlyStopping in fit ------------------------------------------------------------------

def fit_with_snapshots(stop, epochs):
    """Fit a small model with ``stop``; returns (model, history, weights at each epoch's end)."""
    x, y = blobs()
    model = small_model()
    snapshots = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    history = model.fit(x, y, epochs=epochs, batch_size=8, validation_data=(x[:8], y[:8]), verbose=0,
                        callbacks=[keep, stop])
    return model, history, snapshots


# The training loss falls every epoch, so in 'max' mode the first epoch stays the best.
@pytest.mark.parametrize("patience, epochs_run, stopped_epoch", [(2, [0, 1, 2], 2), (100, [0, 1, 2, 3], 0)],
                         ids=["stopped by patience", "budget ends first"])
def test_early_stopping_in_fit_restores_the_best_weights(patience, epochs_run, stopped_epoch):
    stop = EarlyStopping(monitor="loss", mode="max", patience=patience, restore_best_weights=True)
    model, history, snapshots = fit_with_snapshots(stop, epochs=4)
    assert history.epoch == epochs_run and stop.stopped_epoch == stopped_epoch and stop.best_epoch == 0
    assert history.history["loss"] == sorted(history.history["loss"], reverse=True)
    assert not np.array_equal(snapshots[0][0], snapshots[-1][0])
    for restored, expected in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(restored, expected)


def test_early_stopping_in_fit_on_val_loss():
    stop = EarlyStopping(patience=100, restore_best_weights=True)
    model, history, snapshots = fit_with_snapshots(stop, epochs=3)
    best = int(np.argmin(history.history["val_loss"]))
    assert stop.best_epoch == best and history.epoch == [0, 1, 2]
    for restored, expected in zip(model.get_weights(), snapshots[best]):
        np.testing.assert_array_equal(restored, expected)


def test_early_stopping_without_validation_warns_in_fit():
    x, y = blobs()
    with pytest.warns(UserWarning, match="val_loss"):
        history = small_model().fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    assert history.epoch == [0, 1]


# ----- ModelCheckpoint -------------------------------------------------------------------------

FILE_NAMES = [
    # filepath, 0-based epoch, logs, 0-based batch, expected
    ("model.keras", 0, {"loss": 0.5}, None, "model.keras"),
    ("{epoch:02d}.keras", 0, {}, None, "01.keras"),
    ("{epoch:02d}-{val_loss:.2f}.keras", 2, {"val_loss": 0.41234}, None, "03-0.41.keras"),
    ("w.{epoch:03d}-{loss:.3f}-{accuracy:.2f}.weights.h5", 9, {"loss": 0.12345, "accuracy": 0.875}, None,
     "w.010-0.123-0.88.weights.h5"),
    ("ckpt/e{epoch}-b{batch}.keras", 1, {"loss": 1.0}, 4, "ckpt/e2-b5.keras"),
]


@pytest.mark.parametrize("filepath, epoch, logs, batch, expected", FILE_NAMES)
def test_checkpoint_file_names(filepath, epoch, logs, batch, expected):
    weights_only = filepath.endswith(".weights.h5")
    assert ModelCheckpoint(filepath, save_weights_only=weights_only).format_path(epoch, logs, batch) == expected


def test_checkpoint_file_name_with_a_missing_key():
    with pytest.raises(KeyError, match=r"Failed to format this callback filepath.*val_loss"):
        ModelCheckpoint("{val_loss:.2f}.keras").format_path(0, {"loss": 0.5})


SAVE_DECISIONS = [
    # label, kwargs, monitored values, epochs saved (1-based in the name)
    ("every epoch", {}, [1.0, 2.0, 0.5], [1, 2, 3]),
    ("best only, min", {"save_best_only": True}, [1.0, 2.0, 0.5, 0.5], [1, 3]),
    ("best only, max", {"save_best_only": True, "mode": "max"}, [1.0, 2.0, 0.5, 3.0], [1, 2, 4]),
    ("best only, auto accuracy", {"save_best_only": True, "monitor": "val_accuracy"}, [0.5, 0.25, 0.75], [1, 3]),
    ("initial_value_threshold", {"save_best_only": True, "initial_value_threshold": 0.75}, [1.0, 0.875, 0.5, 0.625],
     [3]),
    ("NaN is never best", {"save_best_only": True}, [1.0, math.nan, 0.5], [1, 3]),
]


@pytest.mark.parametrize("label, kwargs, values, saved", SAVE_DECISIONS, ids=[row[0] for row in SAVE_DECISIONS])
@pytest.mark.parametrize("weights_only", [False, True])
def test_checkpoint_save_decisions(label, kwargs, values, saved, weights_only):
    kwargs = dict(kwargs)
    key = kwargs.setdefault("monitor", "val_loss")
    path = "e{epoch}.weights.h5" if weights_only else "e{epoch}.keras"
    model, _, _ = run_epochs(ModelCheckpoint(path, save_weights_only=weights_only, **kwargs), values, key=key)
    method = "save_weights" if weights_only else "save"
    assert model.saved == [(method, path.format(epoch=e)) for e in saved]


def test_checkpoint_best_is_kept_across_fits():
    callback = ModelCheckpoint("m.keras", monitor="loss", save_best_only=True)
    model, _, _ = run_epochs(callback, [1.0, 0.5], key="loss")
    run_epochs(callback, [0.75, 0.25], key="loss", model=model)
    assert [path for _, path in model.saved] == ["m.keras"] * 3 and callback.best == 0.25


def test_checkpoint_missing_monitor_warns_and_saves():
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        model, _, _ = run_epochs(ModelCheckpoint("m.keras", save_best_only=True), [1.0], key="loss")
    assert model.saved == [("save", "m.keras")]


def test_checkpoint_verbose_messages(capsys):
    run_epochs(ModelCheckpoint("m.keras", save_best_only=True, verbose=1), [1.0, 2.0])
    out = [line for line in capsys.readouterr().out.splitlines() if line]
    assert out == ["Epoch 1: val_loss improved from inf to 1.00000, saving model to m.keras",
                   "Epoch 2: val_loss did not improve from 1.00000"]


def test_checkpoint_every_few_batches_counts_across_epochs():
    model = FakeModel()
    callback = ModelCheckpoint("e{epoch}b{batch}.keras", save_freq=3)
    callback.set_model(model)
    for epoch in range(2):
        callback.on_epoch_begin(epoch, {})
        for batch in range(4):
            callback.on_train_batch_end(batch, {"loss": 1.0})
        callback.on_epoch_end(epoch, {"loss": 1.0})
    assert [path for _, path in model.saved] == ["e1b3.keras", "e2b2.keras"]


def test_checkpoint_creates_the_folder(tmp_path):
    path = str(tmp_path / "deep" / "er" / "{epoch}.keras")
    model, _, _ = run_epochs(ModelCheckpoint(path), [1.0])
    assert (tmp_path / "deep" / "er").is_dir() and model.saved == [("save", path.format(epoch=1))]


def test_checkpoint_in_fit_with_recorded_saves(tmp_path):
    x, y = blobs()
    model = small_model()
    calls = []
    model.save_weights = lambda path: calls.append(path)
    path = str(tmp_path / "{epoch:02d}-{val_loss:.2f}.weights.h5")
    checkpoint = ModelCheckpoint(path, save_weights_only=True, save_best_only=True, mode="min")
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[checkpoint])
    losses = history.history["val_loss"]
    best_so_far = [e for e, v in enumerate(losses) if v < min(losses[:e], default=math.inf)]
    assert calls == [path.format(epoch=e + 1, val_loss=losses[e]) for e in best_so_far]


@pytest.mark.skipif(not hasattr(Model, "save"), reason="model.save is not written yet (glassnet.saving)")
@pytest.mark.parametrize("weights_only, name", [(False, "{epoch:02d}.keras"), (True, "{epoch:02d}.weights.h5")])
def test_checkpoint_writes_real_files(tmp_path, weights_only, name):
    x, y = blobs()
    checkpoint = ModelCheckpoint(str(tmp_path / name), save_weights_only=weights_only)
    small_model().fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == [name.format(epoch=1), name.format(epoch=2)]


# ----- ReduceLROnPlateau -----------------------------------------------------------------------

PLATEAU = [
    # label, kwargs, monitored values, learning rate after each epoch (starting at 1.0)
    ("patience 1", {"patience": 1}, [1.0, 1.0, 1.0], [1.0, 0.5, 0.25]),
    ("patience 2", {"patience": 2}, [1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.25]),
    ("an improvement resets wait", {"patience": 2}, [1.0, 1.0, 0.5, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0, 0.5]),
    ("patience 0 reduces at once", {"patience": 0}, [1.0, 1.0], [1.0, 0.5]),
    ("cooldown 2", {"patience": 1, "cooldown": 2}, [1.0] * 5, [1.0, 0.5, 0.5, 0.25, 0.25]),
    ("cooldown 1 waits no longer (Keras)", {"patience": 1, "cooldown": 1}, [1.0] * 4, [1.0, 0.5, 0.25, 0.125]),
    ("improvement during cooldown", {"patience": 1, "cooldown": 3}, [1.0, 1.0, 0.5, 0.5, 0.5, 0.5],
     [1.0, 0.5, 0.5, 0.5, 0.25, 0.25]),
    ("min_lr floors the rate", {"patience": 1, "min_lr": 0.3}, [1.0] * 4, [1.0, 0.5, 0.3, 0.3]),
    ("min_delta", {"patience": 1, "min_delta": 0.25}, [1.0, 0.875, 0.5], [1.0, 0.5, 0.5]),
    ("factor", {"patience": 1, "factor": 0.25}, [1.0, 1.0], [1.0, 0.25]),
    ("mode max", {"patience": 1, "mode": "max"}, [1.0, 0.5, 2.0, 2.0], [1.0, 0.5, 0.5, 0.25]),
    ("auto: accuracy is maximised", {"patience": 1, "monitor": "val_accuracy"}, [0.5, 0.25], [1.0, 0.5]),
]


@pytest.mark.parametrize("label, kwargs, values, rates", PLATEAU, ids=[row[0] for row in PLATEAU])
def test_reduce_lr_on_plateau(label, kwargs, values, rates):
    kwargs = {"factor": 0.5, **kwargs}
    key = kwargs.setdefault("monitor", "val_loss")
    model = FakeModel(lr=1.0)
    callback = ReduceLROnPlateau(**kwargs)
    callback.set_model(model)
    callback.on_train_begin({})
    seen, logged = [], []
    for epoch, value in enumerate(values):
        logs = {key: value}
        callback.on_epoch_end(epoch, logs)
        seen.append(model.optimizer.learning_rate)
        logged.append(logs["learning_rate"])
    assert seen == pytest.approx(rates)
    assert logged == pytest.approx([1.0] + rates[:-1])  # the rate the epoch ran with


def test_reduce_lr_on_plateau_warns_when_the_key_is_missing():
    model = FakeModel(lr=1.0)
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric `val_loss`"):
        run_epochs(ReduceLROnPlateau(patience=0), [1.0, 1.0], key="loss", model=model)
    assert model.optimizer.learning_rate == 1.0


def test_reduce_lr_on_plateau_in_fit_logs_the_rate():
    x, y = blobs()
    model = small_model(optimizer=SGD(0.1))
    # the loss falls by far less than min_delta each epoch: a plateau every epoch
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[reduce])
    # logged: the rate each epoch ran with; the first epoch always improves on +inf
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.0125)


# ----- LearningRateScheduler -------------------------------------------------------------------

class HalveEachEpoch:
    def __call__(self, epoch, lr):
        return lr / 2


def one_argument(epoch):
    return 0.1 / (epoch + 1)


def lr_with_default(epoch, lr=None):
    return 0.5 if lr is None else lr * 0.5


SCHEDULES = [
    # label, schedule, learning rate used in each epoch (starting at 0.1)
    ("schedule(epoch)", one_argument, [0.1, 0.05, 0.1 / 3]),
    ("schedule(epoch, lr)", lambda epoch, lr: lr * 0.5, [0.05, 0.025, 0.0125]),
    ("lr with a default", lr_with_default, [0.05, 0.025, 0.0125]),
    ("callable object", HalveEachEpoch(), [0.05, 0.025, 0.0125]),
    ("an int", lambda epoch: 1, [1.0, 1.0, 1.0]),
    ("a NumPy scalar", lambda epoch, lr: np.float32(0.25), [0.25, 0.25, 0.25]),
    ("a 0-d array", lambda epoch, lr: np.array(0.5), [0.5, 0.5, 0.5]),
]


@pytest.mark.parametrize("label, schedule, rates", SCHEDULES, ids=[row[0] for row in SCHEDULES])
def test_learning_rate_scheduler_forms(label, schedule, rates):
    model = FakeModel(lr=0.1)
    callback = LearningRateScheduler(schedule)
    callback.set_model(model)
    seen, logged = [], []
    for epoch in range(3):
        callback.on_epoch_begin(epoch, {})
        seen.append(model.optimizer.learning_rate)
        logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    assert seen == pytest.approx(rates) and logged == pytest.approx(rates)


BAD_SCHEDULES = [
    ("a string", lambda epoch: "0.1", ValueError, "should be a float"),
    ("None", lambda epoch: None, ValueError, "should be a float"),
    ("a bool", lambda epoch: True, ValueError, "should be a float"),
    ("NaN", lambda epoch: math.nan, ValueError, "should be a float"),
    ("negative", lambda epoch: -0.1, ValueError, "learning_rate"),
]


@pytest.mark.parametrize("label, schedule, error, match", BAD_SCHEDULES, ids=[row[0] for row in BAD_SCHEDULES])
def test_learning_rate_scheduler_rejects_bad_outputs(label, schedule, error, match):
    callback = LearningRateScheduler(schedule)
    callback.set_model(FakeModel())
    with pytest.raises(error, match=match):
        callback.on_epoch_begin(0, {})


def test_a_type_error_inside_a_two_argument_schedule_is_not_retried():
    def broken(epoch, lr):
        raise TypeError("inside the schedule")

    callback = LearningRateScheduler(broken)
    callback.set_model(FakeModel())
    with pytest.raises(TypeError, match="inside the schedule"):
        callback.on_epoch_begin(0, {})


def test_learning_rate_scheduler_in_fit(capsys):
    x, y = blobs()
    model = small_model(optimizer=SGD(0.1))
    history = model.fit(x, y, epochs=3, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch, verbose=1)])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.025." in capsys.readouterr().out


# ----- TerminateOnNaN --------------------------------------------------------------------------

@pytest.mark.parametrize("bad_batch, batch_size", [(0, 4), (1, 4), (3, 4), (6, 2)])
def test_terminate_on_nan_stops_at_that_batch(capsys, bad_batch, batch_size):
    x, y = blobs(n=16)  # fit refuses NaN inputs, so the weights turn NaN before bad_batch
    model = small_model(loss="mse")

    def poison(batch, logs):
        if batch == bad_batch:
            model.set_weights([w * np.nan for w in model.get_weights()])

    batches = []
    watch = LambdaCallback(on_train_batch_begin=poison, on_train_batch_end=lambda batch, logs: batches.append(batch))
    history = model.fit(x, y, epochs=3, batch_size=batch_size, verbose=0, callbacks=[watch, TerminateOnNaN()])
    assert batches == list(range(bad_batch + 1))
    assert history.epoch == [0] and math.isnan(history.history["loss"][0])
    assert capsys.readouterr().out == f"Batch {bad_batch}: Invalid loss, terminating training\n"


@pytest.mark.parametrize("logs, stops", [
    ({"loss": math.inf}, True), ({"loss": -math.inf}, True), ({"loss": math.nan}, True),
    ({"loss": 1e30}, False), ({"accuracy": math.nan}, False), ({}, False), (None, False),
])
def test_terminate_on_nan_reads_the_batch_loss(capsys, logs, stops):
    model = FakeModel()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(3, logs)
    assert model.stop_training is stops


def test_terminate_on_nan_can_raise():
    callback = TerminateOnNaN(raise_error=True)
    callback.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        callback.on_train_batch_end(2, {"loss": math.nan})


# ----- CSVLogger ----------------------------------------------------------------------------------

def read_rows(path):
    with open(path, encoding="utf-8") as file:
        return [line.rstrip("\n") for line in file]


def test_csv_logger_in_fit_writes_the_history(tmp_path):
    x, y = blobs()
    path = tmp_path / "log.csv"
    history = small_model(metrics=["accuracy"]).fit(x, y, epochs=3, validation_split=0.25, verbose=0,
                                                   callbacks=[CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert len(rows) == 4
    for epoch, row in enumerate(rows[1:]):
        fields = row.split(",")
        assert int(fields[0]) == epoch
        assert [float(v) for v in fields[1:]] == [history.history[k][epoch]
                                                  for k in ("accuracy", "loss", "val_accuracy", "val_loss")]


CSV_CASES = [
    # label, kwargs, logs of the first run, logs of the second run, expected lines
    ("separator", {"separator": ";"}, [{"loss": 0.5, "mse": 0.25}], None, ["epoch;loss;mse", "0;0.5;0.25"]),
    ("missing key is NA, new key left out", {}, [{"loss": 0.5}, {"acc": 1.0}], None, ["epoch,loss", "0,0.5", "1,NA"]),
    ("append adds rows, one header", {"append": True}, [{"loss": 0.5}], [{"loss": 0.25}],
     ["epoch,loss", "0,0.5", "0,0.25"]),
    ("no append overwrites", {}, [{"loss": 0.5}], [{"loss": 0.25}], ["epoch,loss", "0,0.25"]),
]


@pytest.mark.parametrize("label, kwargs, first, second, lines", CSV_CASES, ids=[row[0] for row in CSV_CASES])
def test_csv_logger_content(tmp_path, label, kwargs, first, second, lines):
    path = tmp_path / "log.csv"
    logger = CSVLogger(str(path), **kwargs)
    logger.set_model(FakeModel())
    for run in (first, second):
        if run is None:
            continue
        logger.on_train_begin({})
        for epoch, logs in enumerate(run):
            logger.on_epoch_end(epoch, logs)
        logger.on_train_end({})
    assert read_rows(path) == lines


def test_csv_logger_flushes_each_epoch(tmp_path):
    x, y = blobs()
    path = tmp_path / "log.csv"
    lines_seen = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: lines_seen.append(len(read_rows(path))))
    small_model().fit(x, y, epochs=3, verbose=0, callbacks=[CSVLogger(path), peek])
    assert lines_seen == [2, 3, 4]


# ----- LambdaCallback ---------------------------------------------------------------------------

def test_lambda_callback_calls_each_hook_with_its_arguments():
    x, y = blobs(n=8)
    calls = []

    def record(name):
        return lambda *args: calls.append((name,) + tuple(a if not isinstance(a, dict) else sorted(a) for a in args))

    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end"]
    callback = LambdaCallback(**{name: record(name) for name in hooks})
    small_model().fit(x, y, epochs=1, batch_size=4, validation_data=(x[:3], y[:3]), verbose=0, callbacks=[callback])
    assert calls == [
        ("on_train_begin", []),
        ("on_epoch_begin", 0, []),
        ("on_train_batch_begin", 0, []), ("on_train_batch_end", 0, ["loss"]),
        ("on_train_batch_begin", 1, []), ("on_train_batch_end", 1, ["loss"]),
        ("on_test_begin", []),
        ("on_test_batch_begin", 0, []), ("on_test_batch_end", 0, ["loss"]),
        ("on_test_end", ["loss"]),
        ("on_epoch_end", 0, ["loss", "val_loss"]),
        ("on_train_end", []),
    ]


def test_lambda_callback_with_no_functions_does_nothing():
    x, y = blobs(n=8)
    assert small_model().fit(x, y, epochs=2, verbose=0, callbacks=[LambdaCallback()]).epoch == [0, 1]


def test_no_test_hooks_without_validation():
    x, y = blobs(n=8)
    calls = []
    callback = LambdaCallback(on_test_begin=lambda logs: calls.append("test"))
    small_model().fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert calls == []


def test_history_records_keys_added_by_callbacks():
    x, y = blobs(n=8)

    def add_key(epoch, logs):
        logs["extra"] = float(epoch)

    history = small_model().fit(x, y, epochs=2, verbose=0, callbacks=[LambdaCallback(on_epoch_end=add_key)])
    assert history.history["extra"] == [0.0, 1.0]


# ----- arguments checked at construction -------------------------------------------------------

BAD_ARGUMENTS = [
    (EarlyStopping, {"mode": "maximum"}, ValueError, r"mode must be one of .*Received: mode='maximum'"),
    (EarlyStopping, {"patience": -1}, ValueError, "Received: patience=-1"),
    (EarlyStopping, {"patience": 1.5}, ValueError, "Received: patience=1.5"),
    (EarlyStopping, {"start_from_epoch": -2}, ValueError, "Received: start_from_epoch=-2"),
    (EarlyStopping, {"min_delta": "0.1"}, ValueError, "Received: min_delta='0.1'"),
    (EarlyStopping, {"baseline": "low"}, ValueError, "Received: baseline='low'"),
    (EarlyStopping, {"monitor": ""}, ValueError, "Received: monitor=''"),
    (ReduceLROnPlateau, {"factor": 1.0}, ValueError, "factor=1.0"),
    (ReduceLROnPlateau, {"factor": -0.5}, ValueError, "factor=-0.5"),
    (ReduceLROnPlateau, {"min_lr": -1}, ValueError, "min_lr=-1"),
    (ReduceLROnPlateau, {"cooldown": -1}, ValueError, "cooldown=-1"),
    (ReduceLROnPlateau, {"mode": "up"}, ValueError, "mode='up'"),
    (ModelCheckpoint, {"filepath": "model.h6"}, ValueError, r"must end in `.keras`.*model.h6"),
    (ModelCheckpoint, {"filepath": "w.h5", "save_weights_only": True}, ValueError, r"must end in `.weights.h5`"),
    (ModelCheckpoint, {"filepath": "m.keras", "save_freq": 0}, ValueError, "save_freq=0"),
    (ModelCheckpoint, {"filepath": "m.keras", "save_freq": "batch"}, ValueError, "save_freq='batch'"),
    (ModelCheckpoint, {"filepath": "m.keras", "mode": "best"}, ValueError, "mode='best'"),
    (ModelCheckpoint, {"filepath": 3}, ValueError, "filepath=3"),
    (LearningRateScheduler, {"schedule": 0.1}, ValueError, "schedule=0.1"),
    (CSVLogger, {"filename": "log.csv", "separator": ";;"}, ValueError, "separator=';;'"),
    (LambdaCallback, {"on_epoch_ends": print}, TypeError, "on_epoch_ends"),
    (LambdaCallback, {"on_epoch_end": "print"}, TypeError, "on_epoch_end='print'"),
]


@pytest.mark.parametrize("cls, kwargs, error, match", BAD_ARGUMENTS,
                         ids=[f"{row[0].__name__}-{next(iter(row[1].items()))}" for row in BAD_ARGUMENTS])
def test_bad_arguments_fail_at_construction(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_every_library_callback_is_a_callback():
    for name in NAMES[2:]:
        assert issubclass(getattr(training, name), Callback)


def test_setting_the_rate_of_a_scheduled_optimizer_says_why():
    from glassnet.optimizers.schedules import ExponentialDecay

    model = FakeModel()
    model.optimizer = SGD(ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    callback = LearningRateScheduler(lambda epoch: 0.1)
    callback.set_model(model)
    with warnings.catch_warnings(), pytest.raises(TypeError, match="LearningRateSchedule"):
        callback.on_epoch_begin(0, {})
