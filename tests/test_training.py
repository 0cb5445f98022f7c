"""fit, evaluate and predict: Keras's contract, the progress text, determinism and parity.

What the course's labs rely on (COURSE_API items 6, 9, 19, 28): History and its keys,
label shapes and dtypes, batching and shuffling, callbacks in Keras's order,
``stop_training``, sample and class weights, argument checking, the ``Epoch k/N`` and
bar lines, evaluate's and predict's return values, reproducibility under
``tf.random.set_seed`` across fresh processes, and a float64 parity check of one
training run against the same network written out by hand in NumPy.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import glassnet as tf
from glassnet import backend
from glassnet.keras.callbacks import Callback
from glassnet.keras.layers import Dense

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def blobs(n=40, features=2, seed=0):
    """Two separable clusters: x (n, features) float64 and y (n,) int64 in {0, 1}."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, features)) + 2.0 * (2 * y[:, None] - 1)
    return x, y


def binary_model(features=2, optimizer="adam", metrics=None, seed=0):
    tf.random.set_seed(seed)
    model = tf.keras.Sequential([tf.keras.Input(shape=(features,)), Dense(3, activation="relu"),
                                 Dense(1, activation="sigmoid")])
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=optimizer, metrics=metrics)
    return model


class Recorder(Callback):
    """Records every hook call as (hook, argument, logs)."""

    def __init__(self):
        super().__init__()
        self.calls: list = []

    def _record(self, hook, *args):
        self.calls.append((hook,) + args)

    def on_train_begin(self, logs=None):
        self._record("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._record("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._record("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._record("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._record("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._record("on_train_batch_end", batch, logs)


def record_batches(model):
    """Wrap ``model.train_step`` so each call's x batch is kept; returns the list."""
    seen: list = []
    step = model.train_step

    def recording(x, y, sample_weight=None):
        seen.append(np.array(x, copy=True))
        return step(x, y, sample_weight)

    model.train_step = recording
    return seen


# ----- History (COURSE_API item 28) -----------------------------------------------------

HISTORY_KEYS = [
    ("no metrics", {}, {}, ["loss"]),
    ("accuracy", {"metrics": ["accuracy"]}, {}, ["loss", "accuracy"]),
    ("validation_split", {}, {"validation_split": 0.25}, ["loss", "val_loss"]),
    ("accuracy + validation_split", {"metrics": ["accuracy"]}, {"validation_split": 0.25},
     ["loss", "accuracy", "val_loss", "val_accuracy"]),
    ("accuracy + validation_data", {"metrics": ["accuracy"]}, {"validation_data": "self"},
     ["loss", "accuracy", "val_loss", "val_accuracy"]),
    ("two metrics", {"metrics": ["accuracy", "mse"]}, {}, ["loss", "accuracy", "mse"]),
]


@pytest.mark.parametrize("label, compile_kwargs, fit_kwargs, keys", HISTORY_KEYS,
                         ids=[h[0] for h in HISTORY_KEYS])
def test_history_keys_and_epochs(label, compile_kwargs, fit_kwargs, keys):
    x, y = blobs()
    model = binary_model(**compile_kwargs)
    if fit_kwargs.get("validation_data") == "self":
        fit_kwargs = {"validation_data": (x[:8], y[:8])}
    history = model.fit(x, y, epochs=3, verbose=0, **fit_kwargs)
    assert isinstance(history, tf.keras.callbacks.History)
    assert list(history.history) == keys
    assert history.epoch == [0, 1, 2]
    for values in history.history.values():
        assert len(values) == 3 and all(type(v) is float and np.isfinite(v) for v in values)
    assert model.history is history


def test_training_lowers_the_loss():
    x, y = blobs()
    model = binary_model(optimizer=tf.keras.optimizers.Adam(0.05))
    losses = model.fit(x, y, epochs=20, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_zero_epochs_trains_nothing():
    x, y = blobs()
    model = binary_model()
    before = model.get_weights()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {} and history.epoch == []
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_initial_epoch_counts_from_there(capsys):
    x, y = blobs()
    history = binary_model().fit(x, y, epochs=4, initial_epoch=2)
    assert history.epoch == [2, 3]
    out = capsys.readouterr().out
    assert re.findall(r"^Epoch \d+/\d+$", out, flags=re.M) == ["Epoch 3/4", "Epoch 4/4"]


# ----- labels and inputs (COURSE_API item 9) -------------------------------------------------

LABELS = [
    # (label, loss, output units, y from the int64 (n,) labels)
    ("(n,1) uint8 BCE", "binary_crossentropy", 1, lambda y: y.astype(np.uint8).reshape(-1, 1)),
    ("(n,1) float64 BCE", "binary_crossentropy", 1, lambda y: y.astype(np.float64).reshape(-1, 1)),
    ("(n,) float32 BCE", "binary_crossentropy", 1, lambda y: y.astype(np.float32)),
    ("(n,) int64 SCCE", "sparse_categorical_crossentropy", 2, lambda y: y.astype(np.int64)),
    ("(n,1) int32 SCCE", "sparse_categorical_crossentropy", 2, lambda y: y.astype(np.int32).reshape(-1, 1)),
    ("(n,) uint8 SCCE", "sparse_categorical_crossentropy", 2, lambda y: y.astype(np.uint8)),
    ("list SCCE", "sparse_categorical_crossentropy", 2, lambda y: y.tolist()),
    ("(n,1) float64 MSE", "mse", 1, lambda y: y.astype(np.float64).reshape(-1, 1)),
]


@pytest.mark.parametrize("label, loss, units, make_y", LABELS, ids=[l[0] for l in LABELS])
def test_label_shapes_and_dtypes(label, loss, units, make_y):
    x, y = blobs()
    activation = {"binary_crossentropy": "sigmoid", "sparse_categorical_crossentropy": "softmax"}.get(loss, "linear")
    tf.random.set_seed(0)
    model = tf.keras.Sequential([Dense(4, activation="relu"), Dense(units, activation=activation)])
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(0.05), metrics=["accuracy"])
    history = model.fit(x, make_y(y), epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    if loss != "mse":
        assert history.history["accuracy"][-1] > 0.8


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_inputs_are_cast_and_weights_stay_float32(dtype):
    x, y = blobs()
    model = binary_model()
    model.fit((x * 4).astype(dtype), y.reshape(-1, 1), epochs=2, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert all(v.data.dtype == np.float32 for v in model.weights)
    assert model.predict(x.astype(dtype)).dtype == np.float32


def test_inputs_as_tensors_and_lists():
    x, y = blobs(n=8)
    model = binary_model()
    history = model.fit(tf.tensor(x), tf.tensor(y.reshape(-1, 1).astype(np.float32)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    history = model.fit(x.tolist(), y.tolist(), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ----- batching and shuffling ---------------------------------------------------------------


@pytest.mark.parametrize("n, batch_size, sizes", [
    (70, None, [32, 32, 6]),
    (64, None, [32, 32]),
    (5, None, [5]),
    (10, 4, [4, 4, 2]),
    (10, 10, [10]),
    (3, 100, [3]),
])
def test_batch_sizes_default_32(n, batch_size, sizes):
    x, y = blobs(n=n)
    model = binary_model()
    recorder = Recorder()
    seen = record_batches(model)
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[recorder])
    assert [len(b) for b in seen] == sizes
    assert sum(call[0] == "on_train_batch_begin" for call in recorder.calls) == len(sizes)
    assert recorder.params["steps"] == len(sizes)


def test_shuffle_false_gives_the_same_batches_in_order():
    x, y = blobs(n=20)
    model = binary_model()
    seen = record_batches(model)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    expected = [x[0:8], x[8:16], x[16:20]] * 2
    assert len(seen) == len(expected)
    for got, want in zip(seen, expected):
        np.testing.assert_array_equal(got, want.astype(np.float32))


def test_shuffle_true_reorders_each_epoch_and_keeps_every_sample():
    x, y = blobs(n=20)
    model = binary_model()
    seen = record_batches(model)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    first, second = np.concatenate(seen[:3]), np.concatenate(seen[3:])
    ordered = x.astype(np.float32)
    for epoch in (first, second):
        assert not np.array_equal(epoch, ordered)
        np.testing.assert_array_equal(np.sort(epoch, axis=0), np.sort(ordered, axis=0))
    assert not np.array_equal(first, second)


def test_validation_split_holds_out_the_last_samples_before_shuffling():
    x, y = blobs(n=20)
    model = binary_model()
    seen = record_batches(model)
    model.fit(x, y, batch_size=32, epochs=1, validation_split=0.25, verbose=0)
    (batch,) = seen
    np.testing.assert_array_equal(np.sort(batch, axis=0), np.sort(x[:15].astype(np.float32), axis=0))


# ----- callbacks ------------------------------------------------------------------------------


def test_callback_hooks_come_in_keras_order_with_logs():
    x, y = blobs(n=5)
    model = binary_model()
    recorder = Recorder()
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[recorder])
    hooks = [call[:2] if call[0] not in ("on_train_begin", "on_train_end") else call[:1]
             for call in recorder.calls]
    batches = [c for b in range(3) for c in (("on_train_batch_begin", b), ("on_train_batch_end", b))]
    expected = ([("on_train_begin",)]
                + [("on_epoch_begin", 0)] + batches + [("on_epoch_end", 0)]
                + [("on_epoch_begin", 1)] + batches + [("on_epoch_end", 1)]
                + [("on_train_end",)])
    assert hooks == expected
    for call in recorder.calls:
        if call[0] in ("on_train_batch_end", "on_epoch_end"):
            assert set(call[2]) == {"loss"} and np.isfinite(call[2]["loss"])
    epoch_ends = [call[2]["loss"] for call in recorder.calls if call[0] == "on_epoch_end"]
    assert epoch_ends == model.history.history["loss"]
    assert recorder.model is model
    assert recorder.params["epochs"] == 2 and recorder.params["steps"] == 3


def test_the_last_batch_logs_equal_the_epoch_logs():
    x, y = blobs(n=10)
    model = binary_model(metrics=["accuracy"])
    recorder = Recorder()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[recorder])
    last_batch = [c for c in recorder.calls if c[0] == "on_train_batch_end"][-1][2]
    epoch = [c for c in recorder.calls if c[0] == "on_epoch_end"][-1][2]
    assert last_batch == pytest.approx(epoch)


class StopAt(Callback):
    def __init__(self, hook, at):
        super().__init__()
        self.hook, self.at = hook, at

    def on_epoch_end(self, epoch, logs=None):
        if self.hook == "epoch" and epoch == self.at:
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        if self.hook == "batch" and batch == self.at:
            self.model.stop_training = True


@pytest.mark.parametrize("hook, at, epochs_run, batches_run", [
    ("epoch", 0, [0], 3),
    ("epoch", 1, [0, 1], 6),
    ("batch", 0, [0], 1),
    ("batch", 1, [0], 2),
])
def test_stop_training_stops_after_that_epoch_or_batch(hook, at, epochs_run, batches_run):
    x, y = blobs(n=12)
    model = binary_model()
    seen = record_batches(model)
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[StopAt(hook, at)])
    assert history.epoch == epochs_run
    assert len(seen) == batches_run
    # the next fit starts afresh
    assert model.fit(x, y, batch_size=4, epochs=2, verbose=0).epoch == [0, 1]


def test_callbacks_must_be_callback_instances():
    x, y = blobs(n=4)
    with pytest.raises(TypeError, match="Callback"):
        binary_model().fit(x, y, verbose=0, callbacks=[lambda: None])


# ----- sample_weight and class_weight ---------------------------------------------------------


def _bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


WEIGHTS = [
    # (label, fit kwargs, per-sample weight from y)
    ("none", {}, lambda y: np.ones(len(y))),
    ("sample_weight", {"sample_weight": np.arange(1.0, 9.0)}, lambda y: np.arange(1.0, 9.0)),
    ("class_weight", {"class_weight": {0: 1.0, 1: 3.0}}, lambda y: np.where(y == 1, 3.0, 1.0)),
    ("class_weight zero", {"class_weight": {0: 0.0, 1: 1.0}}, lambda y: (y == 1).astype(float)),
    ("both", {"sample_weight": np.arange(1.0, 9.0), "class_weight": {0: 2.0, 1: 0.5}},
     lambda y: np.arange(1.0, 9.0) * np.where(y == 1, 0.5, 2.0)),
]


@pytest.mark.parametrize("label, kwargs, weight_of", WEIGHTS, ids=[w[0] for w in WEIGHTS])
def test_weights_scale_each_sample_loss(label, kwargs, weight_of):
    x, y = blobs(n=8)
    y[:4] = [0, 1, 0, 1]  # both classes present
    model = binary_model(optimizer=tf.keras.optimizers.SGD(learning_rate=0.0))  # weights frozen
    p = model.predict(x)[:, 0].astype(np.float64)
    per_sample = _bce(y, p)
    expected = np.sum(per_sample * weight_of(y)) / len(y)  # Keras: sum(l * w) / batch size
    history = model.fit(x, y.reshape(-1, 1), batch_size=4, epochs=1, verbose=0, **kwargs)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    if "class_weight" not in kwargs:
        got = model.evaluate(x, y.reshape(-1, 1), verbose=0, **kwargs)
        assert got == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kwargs, val_weight", [
    ({}, np.ones(4)),
    ({"class_weight": {0: 0.0, 1: 5.0}}, np.ones(4)),  # class weights shape training only
    ({"sample_weight": np.arange(1.0, 9.0)}, np.arange(5.0, 9.0)),  # sample weights are split too
])
def test_validation_split_loss_weights(kwargs, val_weight):
    x, y = blobs(n=8)
    y[4:] = [0, 1, 0, 1]
    model = binary_model(optimizer=tf.keras.optimizers.SGD(learning_rate=0.0))
    p = model.predict(x)[:, 0].astype(np.float64)
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.5, **kwargs)
    expected = np.sum(_bce(y[4:], p[4:]) * val_weight) / 4
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)


# ----- argument checking ------------------------------------------------------------------------

X8, Y8 = blobs(n=8)
BAD_FIT_ARGUMENTS = [
    ("batch_size 0", {"batch_size": 0}, ValueError, "batch_size"),
    ("batch_size -1", {"batch_size": -1}, ValueError, "batch_size"),
    ("batch_size 2.5", {"batch_size": 2.5}, ValueError, "batch_size"),
    ("epochs -1", {"epochs": -1}, ValueError, "epochs"),
    ("epochs 1.5", {"epochs": 1.5}, ValueError, "epochs"),
    ("initial_epoch -1", {"initial_epoch": -1}, ValueError, "initial_epoch"),
    ("validation_split 1", {"validation_split": 1.0}, ValueError, "validation_split"),
    ("validation_split -0.1", {"validation_split": -0.1}, ValueError, "validation_split"),
    ("validation_split 2", {"validation_split": 2}, ValueError, "validation_split"),
    ("verbose 3", {"verbose": 3}, ValueError, "verbose"),
    ("sample counts", {"x": X8[:5]}, ValueError, "same number of samples"),
    ("NaN in x", {"x": np.where(np.eye(8, 2) == 1, np.nan, X8)}, ValueError, "x contains NaN"),
    ("Inf in x", {"x": np.where(np.eye(8, 2) == 1, np.inf, X8)}, ValueError, "x contains Inf"),
    ("string x", {"x": X8.astype(str)}, TypeError, "x must hold numbers"),
    ("string y", {"y": Y8.astype(str)}, TypeError, "y must hold numbers"),
    ("object x", {"x": np.array([None] * 8)}, TypeError, "x"),
    ("y None", {"y": None}, ValueError, "y"),
    ("empty x", {"x": np.zeros((0, 2)), "y": np.zeros(0)}, ValueError, "x is empty"),
    ("sample_weight shape", {"sample_weight": np.ones(3)}, ValueError, "sample_weight"),
    ("class_weight list", {"class_weight": [1.0, 2.0]}, TypeError, "class_weight"),
    ("validation_data", {"validation_data": X8}, ValueError, "validation_data"),
    ("x feature count", {"x": np.zeros((8, 3))}, ValueError, "expected axis -1"),
]


@pytest.mark.parametrize("label, kwargs, error, match", BAD_FIT_ARGUMENTS, ids=[b[0] for b in BAD_FIT_ARGUMENTS])
def test_bad_fit_arguments_name_themselves(label, kwargs, error, match):
    model = binary_model()
    arguments = {"x": X8, "y": Y8, "epochs": 1, "verbose": 0}
    arguments.update(kwargs)
    before = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(**arguments)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call, kwargs, error, match", [
    ("evaluate", {"batch_size": 0}, ValueError, "batch_size"),
    ("evaluate", {"y": Y8[:3]}, ValueError, "same number of samples"),
    ("predict", {"batch_size": -2}, ValueError, "batch_size"),
    ("predict", {"x": np.array([["a", "b"]])}, TypeError, "x must hold numbers"),
    ("predict", {"x": np.array([[np.nan, 1.0]])}, ValueError, "NaN"),
])
def test_bad_evaluate_and_predict_arguments(call, kwargs, error, match):
    model = binary_model()
    arguments = {"x": X8, "verbose": 0}
    if call == "evaluate":
        arguments["y"] = Y8
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        getattr(model, call)(**arguments)


# ----- progress output ------------------------------------------------------------------------

VALUE = r"(?:\d+\.\d{4}|\d\.\d{4}e[+-]\d\d)"  # Keras: %.4f above 1e-3, else %.4e
BAR = re.compile(rf"^(\d+)/\1 \[={{30}}\] - \d+s \d+(us|ms|s)/step - loss: {VALUE}( - \w+: {VALUE})*$")
EPOCH_LINE = re.compile(
    rf"^(\d+)/\1 - \d+s - loss: {VALUE}( - \w+: {VALUE})* - \d+(us|ms|s)/epoch - \d+(us|ms|s)/step$"
)

LOG_TEXT = [
    ({"loss": 0.12344}, "loss: 0.1234"),
    ({"loss": 2.5, "accuracy": 0.95}, "loss: 2.5000 - accuracy: 0.9500"),
    ({"loss": 0.0011}, "loss: 0.0011"),
    ({"loss": 0.001}, "loss: 1.0000e-03"),  # Keras switches to %.4e at 1e-3 and below
    ({"loss": 0.00012345}, "loss: 1.2345e-04"),
    ({"accuracy": 0.0}, "accuracy: 0.0000e+00"),
    ({}, ""),
]


@pytest.mark.parametrize("logs, text", LOG_TEXT)
def test_log_values_are_formatted_as_keras_does(logs, text):
    from glassnet.training.progress import format_logs

    assert format_logs(logs) == text


@pytest.mark.parametrize("verbose", [1, "auto"])
def test_verbose_1_off_a_terminal_prints_one_bar_line_per_epoch(capsys, verbose):
    x, y = blobs(n=40)
    model = binary_model()
    model.fit(x, y, epochs=2, verbose=verbose)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    for line, loss in zip(lines[1::2], model.history.history["loss"]):
        assert BAR.match(line), line
        assert line.startswith("2/2 [==============================] - ")
        assert line.endswith(f"loss: {loss:.4f}")


def test_verbose_1_shows_metrics_and_validation_with_four_decimals(capsys):
    x, y = blobs(n=40)
    model = binary_model(metrics=["accuracy"])
    model.fit(x, y, epochs=1, validation_split=0.25)
    line = capsys.readouterr().out.splitlines()[1]
    assert BAR.match(line), line
    logs = {key: history[-1] for key, history in model.history.history.items()}
    assert line.endswith(" - ".join(f"{key}: {value:.4f}" for key, value in logs.items()))
    assert [key for key in logs] == ["loss", "accuracy", "val_loss", "val_accuracy"]


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = blobs(n=40)
    model = binary_model()
    model.fit(x, y, epochs=3, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert len(lines) == 6
    for line, loss in zip(lines[1::2], model.history.history["loss"]):
        assert EPOCH_LINE.match(line), line  # Keras 2: '2/2 - 0s - loss: 0.6931 - 5ms/epoch - 2ms/step'
        assert f" - loss: {loss:.4f} - " in line


@pytest.mark.parametrize("verbose", [0, False])
def test_verbose_0_prints_nothing(capsys, verbose):
    x, y = blobs(n=40)
    model = binary_model(metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=verbose, validation_split=0.2)
    model.evaluate(x, y, verbose=verbose)
    model.predict(x)
    assert capsys.readouterr().out == ""


def test_verbose_true_means_1(capsys):
    x, y = blobs(n=40)
    binary_model().fit(x, y, epochs=1, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/1" and BAR.match(lines[1])


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_1_on_a_terminal_ends_each_epoch_with_the_same_bar_line():
    x, y = blobs(n=40)
    model = binary_model(metrics=["accuracy"])
    stream = _Terminal()
    model.fit(x, y, epochs=2, callbacks=[tf.keras.callbacks.ProgbarLogger(1, stream=stream)])
    out = stream.getvalue()
    assert "\r" in out  # a live bar was drawn
    lines = out.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == ""
    for line, loss in zip(lines[1:4:2], model.history.history["loss"]):
        final = line.split("\r")[-1]  # what stays on screen once the bar is cleared
        assert BAR.match(final), final
        assert f"loss: {loss:.4f} - accuracy: " in final


def test_evaluate_verbose_prints_one_bar_line(capsys):
    x, y = blobs(n=40)
    model = binary_model()
    loss = model.evaluate(x, y)
    (line,) = capsys.readouterr().out.splitlines()
    assert BAR.match(line), line
    assert line.startswith("2/2 [==============================] - ")
    assert line.endswith(f"loss: {loss:.4f}")


# ----- evaluate and predict (COURSE_API item 6) -------------------------------------------------


def test_evaluate_return_forms():
    x, y = blobs()
    plain = binary_model()
    loss = plain.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model = binary_model(metrics=["accuracy"])
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 2
    assert values[0] == pytest.approx(loss)  # same seed, same weights
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and [logs["loss"], logs["accuracy"]] == values
    assert model.metrics_names == ["loss", "accuracy"]


def test_evaluate_equals_the_loss_computed_by_hand():
    x, y = blobs()
    model = binary_model()
    p = model.predict(x)[:, 0].astype(np.float64)
    assert model.evaluate(x, y, verbose=0, batch_size=7) == pytest.approx(_bce(y, p).mean(), rel=1e-5)


PREDICT_INPUTS = [
    ("float64 array", lambda x: x),
    ("float32 array", lambda x: x.astype(np.float32)),
    ("list", lambda x: x.tolist()),
    ("Tensor", lambda x: tf.tensor(x)),
    ("float64 Tensor", lambda x: tf.tensor(x, dtype="float64")),
]


@pytest.mark.parametrize("label, convert", PREDICT_INPUTS, ids=[p[0] for p in PREDICT_INPUTS])
def test_predict_accepts_arrays_lists_and_tensors(label, convert):
    x, _ = blobs(n=5)
    model = binary_model()
    out = model.predict(convert(x))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (5, 1)
    np.testing.assert_allclose(out, model(x.astype(np.float32)).numpy(), rtol=1e-6)


def test_predict_single_rows_match_the_batch():
    x, _ = blobs(n=6)
    model = binary_model()
    whole = model.predict(x)
    for i in range(len(x)):
        row = model.predict(x[i].reshape(1, 2))
        assert row.shape == (1, 1)
        np.testing.assert_allclose(row, whole[i:i + 1], rtol=1e-6)


@pytest.mark.parametrize("n, batch_size, calls", [(100, None, 4), (32, None, 1), (33, None, 2), (100, 50, 2)])
def test_predict_batches_equal_one_big_call(n, batch_size, calls):
    x, _ = blobs(n=n)
    model = binary_model()
    counted: list = []
    step = model.predict_step
    model.predict_step = lambda xb: counted.append(len(xb)) or step(xb)
    out = model.predict(x, batch_size=batch_size)
    assert len(counted) == calls and sum(counted) == n
    assert out.shape == (n, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6, atol=1e-7)


def test_predict_builds_an_unbuilt_model():
    model = tf.keras.Sequential([Dense(3, activation="relu"), Dense(4)])
    out = model.predict(np.ones((2, 5)))
    assert out.shape == (2, 4) and model.built


# ----- determinism (COURSE_API item 19) ---------------------------------------------------------

RUN = """
import hashlib
import numpy as np
import glassnet as tf

def run():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x.sum(axis=1) > 0).astype(np.uint8).reshape(-1, 1)
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=tf.keras.optimizers.Adam(0.01))
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(w.tobytes())
    digest.update(repr(history.history).encode())
    return digest.hexdigest()
"""


def _run_in_this_process(seed):
    namespace: dict = {}
    exec(RUN, namespace)  # noqa: S102 - the same text the child processes run
    if seed is not None:
        tf.random.set_seed(seed)
    return namespace["run"]()


def test_set_seed_reproduces_training_in_fresh_processes():
    env = dict(os.environ, PYTHONPATH=SRC)
    code = RUN + "\ntf.random.set_seed(1234)\nprint(run())\n"
    children = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
    digests = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        digests.append(out.strip())
    assert re.fullmatch(r"[0-9a-f]{64}", digests[0])
    assert digests[0] == digests[1]
    assert _run_in_this_process(1234) == digests[0]  # and this process agrees


def test_set_seed_before_each_run_repeats_it_in_one_process():
    first = _run_in_this_process(1234)
    second = _run_in_this_process(1234)
    assert first == second
    assert _run_in_this_process(None) != first  # without re-seeding the stream moves on
    assert _run_in_this_process(4321) != first


# ----- parity with a hand-written NumPy float64 network ----------------------------------------


def _reference_epochs(x, y, params, update, *, batch_size, epochs):
    """2 -> 4 relu -> 3 linear, softmax cross-entropy from logits, in float64 NumPy."""
    w1, b1, w2, b2 = (p.copy() for p in params)
    state: dict = {"t": 0}
    epoch_losses = []
    for _ in range(epochs):
        batch_losses = []
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            pre = xb @ w1 + b1
            h = np.maximum(pre, 0.0)
            z = h @ w2 + b2
            shifted = z - z.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            rows = np.arange(len(yb))
            batch_losses.append(-log_probs[rows, yb].mean())
            dz = np.exp(log_probs)
            dz[rows, yb] -= 1.0
            dz /= len(yb)                       # d mean(-log softmax[y]) / dz = (softmax - onehot) / B
            dw2, db2 = h.T @ dz, dz.sum(axis=0)
            dh = (dz @ w2.T) * (pre > 0)        # relu' = 1 where the input was positive
            dw1, db1 = xb.T @ dh, dh.sum(axis=0)
            state["t"] += 1
            w1, b1, w2, b2 = update([w1, b1, w2, b2], [dw1, db1, dw2, db2], state)
        epoch_losses.append(float(np.mean(batch_losses)))
    return [w1, b1, w2, b2], epoch_losses


def _sgd(lr):
    def update(weights, grads, state):
        return [w - lr * g for w, g in zip(weights, grads)]

    return update


def _adam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 3's Adam: bias corrections folded into the rate, epsilon added to sqrt(v)."""

    def update(weights, grads, state):
        t = state["t"]
        m = state.setdefault("m", [np.zeros_like(w) for w in weights])
        v = state.setdefault("v", [np.zeros_like(w) for w in weights])
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        new = []
        for i, (w, g) in enumerate(zip(weights, grads)):
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            new.append(w - alpha * m[i] / (np.sqrt(v[i]) + epsilon))
        return new

    return update


@pytest.fixture
def float64():
    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        yield
    finally:
        backend.set_floatx(previous)


PARITY = [
    ("SGD", lambda: tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.0), _sgd(0.1)),
    ("Adam", lambda: tf.keras.optimizers.Adam(0.01), _adam(0.01)),
    ("Adam defaults", lambda: tf.keras.optimizers.Adam(), _adam(0.001)),
]


@pytest.mark.parametrize("label, make_optimizer, update", PARITY, ids=[p[0] for p in PARITY])
def test_fit_matches_a_numpy_float64_reference(float64, label, make_optimizer, update):
    rng = np.random.default_rng(42)
    x = rng.normal(size=(40, 2))
    y = rng.integers(0, 3, 40)
    params = [rng.normal(size=(2, 4)), rng.normal(scale=0.1, size=4),
              rng.normal(size=(4, 3)), rng.normal(scale=0.1, size=3)]
    model = tf.keras.Sequential([Dense(4, activation="relu", input_dim=2, dtype="float64"),
                                 Dense(3, dtype="float64")])
    model.set_weights(params)
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=make_optimizer())
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    expected_weights, expected_losses = _reference_epochs(x, y, params, update, batch_size=8, epochs=2)
    got = model.get_weights()
    assert all(w.dtype == np.float64 for w in got)
    for g, e in zip(got, expected_weights):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(history.history["loss"], expected_losses, rtol=1e-6)
    assert not np.allclose(got[0], params[0])  # training moved the weights
