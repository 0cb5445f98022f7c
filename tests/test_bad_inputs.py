"""Malformed input at every boundary: one table row per mistake, each refused clearly, nothing changed.

The boundaries are ``fit``, ``evaluate``, ``predict``, a layer call, ``set_weights``,
``compile`` and constructors. Every row must raise a ValueError or TypeError whose
message names the argument, says what was expected and shows what was received;
the error must come from the boundary (the innermost frame is not in an op, the
autograd engine or NumPy), arrive within a time bound, and leave the model's
weights, its optimizer (the same object, the same state) and its loss as they were.
Targets are checked against the loss before the first step, so a bad label in the
last batch cannot stop ``fit`` half-way (row ``late_bad_label``).
"""

from __future__ import annotations

import re
import time
import traceback

import numpy as np
import pytest

import glassnet as tf
from glassnet.keras.layers import Activation, Dense, Dropout, Embedding

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 2))
Y = np.arange(8) % 3                      # sparse labels for 3 classes
ONE_HOT = np.eye(3)[Y]
Y_REG = RNG.normal(size=(8, 1))


def _with(array, index, value):
    array = np.array(array, dtype=np.float64)
    array[index] = value
    return array


def _model(kind):
    """A built, compiled model trained one epoch, so its optimizer has state to keep."""
    tf.random.set_seed(0)
    out = {"sparse": Dense(3), "cce": Dense(3, activation="softmax"), "mse": Dense(1),
           "bce": Dense(1, activation="sigmoid")}[kind]
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), Dense(4, activation="relu"), out])
    loss = {"sparse": tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "cce": "categorical_crossentropy", "mse": "mse", "bce": "binary_crossentropy"}[kind]
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"] if kind != "mse" else None)
    y = {"sparse": Y, "cce": ONE_HOT, "mse": Y_REG, "bce": (Y > 0).astype(float)}[kind]
    model.fit(X, y, batch_size=4, epochs=1, verbose=0)
    return model


def fit(**kwargs):
    arguments = {"x": X, "y": Y, "epochs": 1, "batch_size": 4, "verbose": 0, **kwargs}
    return lambda model: model.fit(**arguments)


def evaluate(**kwargs):
    arguments = {"x": X, "y": Y, "verbose": 0, **kwargs}
    return lambda model: model.evaluate(**arguments)


def predict(**kwargs):
    arguments = {"x": X, **kwargs}
    return lambda model: model.predict(**arguments)


def call_layer(inputs):
    return lambda model: model.layers[0](inputs)


def set_weights(change):
    def run(model):
        weights = model.get_weights()
        change(weights)
        model.set_weights(weights)
    return run


def _replace(index, value):
    return lambda weights: weights.__setitem__(index, value)


def compile_(**kwargs):
    arguments = {"optimizer": "adam", "loss": "mse", **kwargs}
    return lambda model: model.compile(**arguments)


def construct(factory):
    return lambda model: factory()


# (id, model kind, call, error type, argument named, expected (regex), received (regex))
ROWS = [
    # ----- fit: the data ------------------------------------------------------------------
    ("nan_x", "sparse", fit(x=_with(X, (3, 1), np.nan)), ValueError, "x", "finite numbers",
     r"NaN \(first at index \(3, 1\)\)"),
    ("inf_x", "sparse", fit(x=_with(X, (0, 0), np.inf)), ValueError, "x", "finite numbers", "Inf"),
    ("neg_inf_x", "sparse", fit(x=_with(X, (7, 1), -np.inf)), ValueError, "x", "finite numbers",
     r"Inf \(first at index \(7, 1\)\)"),
    ("nan_y", "mse", fit(y=_with(Y_REG, (2, 0), np.nan)), ValueError, "y", "finite numbers", "NaN"),
    ("inf_y", "mse", fit(y=_with(Y_REG, (5, 0), np.inf)), ValueError, "y", "finite numbers", "Inf"),
    ("string_x", "sparse", fit(x=X.astype(str)), TypeError, "x", "must hold numbers", "dtype <U"),
    ("string_y", "sparse", fit(y=Y.astype(str)), TypeError, "y", "must hold numbers", "dtype <U"),
    ("bytes_x", "sparse", fit(x=X.astype(bytes)), TypeError, "x", "must hold numbers", r"dtype \|S"),
    ("object_x", "sparse", fit(x=np.array([[None, 1.0]] * 8, dtype=object)), TypeError, "x", "must hold numbers",
     "dtype object"),
    ("complex_x", "sparse", fit(x=X + 1j), TypeError, "x", "must hold numbers", "complex128"),
    ("datetime_x", "sparse", fit(x=np.full((8, 2), "2020-01-01", dtype="datetime64[D]")), TypeError, "x",
     "must hold numbers", "datetime64"),
    ("dict_x", "sparse", fit(x={"a": X}), TypeError, "x", "must hold numbers", "dtype object"),
    ("ragged_x", "sparse", fit(x=[[1.0, 2.0], [3.0]] * 4), ValueError, "x", "rectangular array",
     "ragged data received"),
    ("ragged_y", "sparse", fit(y=[[1], [2, 0]] * 4), ValueError, "y", "rectangular array", "ragged data received"),
    ("x_none", "sparse", fit(x=None), ValueError, "x", "is required", "x=None"),
    ("y_none", "sparse", fit(y=None), ValueError, "y", "is required", "y=None"),
    ("scalar_x", "sparse", fit(x=3.0), ValueError, "x", "batch axis", r"shape \(\)"),
    ("x_1d", "sparse", fit(x=X[:, 0]), ValueError, "x", r"shape \(n, 2\)", r"received shape \(8,\)"),
    ("x_wrong_features", "sparse", fit(x=np.zeros((8, 3))), ValueError, "x", "axis -1 of the input to have size 2",
     r"received shape \(8, 3\)"),
    ("x_extra_axis", "sparse", fit(x=X[:, :, None]), ValueError, "x", r"shape \(n, 2\)", r"received shape \(8, 2, 1\)"),
    ("sample_counts", "sparse", fit(y=Y[:5]), ValueError, "y", "same number of samples", "y with 5"),
    ("empty_x_and_y", "sparse", fit(x=np.zeros((0, 2)), y=np.zeros(0)), ValueError, "x", "at least one sample",
     r"shape \(0, 2\)"),
    ("empty_y", "sparse", fit(y=np.zeros(0)), ValueError, "y", "same number of samples", "y with 0"),
    ("label_out_of_range", "sparse", fit(y=_with(Y, 4, 3).astype(int)), ValueError, "y", r"in \[0, 3\)", "label of 3"),
    ("label_negative", "sparse", fit(y=_with(Y, 0, -1).astype(int)), ValueError, "y", r"in \[0, 3\)", "label of -1"),
    ("label_fractional", "sparse", fit(y=_with(Y, 1, 1.5)), ValueError, "y", "integer class indices", "1.5"),
    ("late_bad_label", "sparse", fit(y=_with(Y, 7, 9).astype(int), shuffle=False), ValueError, "y", r"in \[0, 3\)",
     "label of 9"),
    ("one_hot_to_sparse_loss", "sparse", fit(y=ONE_HOT), ValueError, "y", "one class index per example",
     r"y_true.shape=\(8, 3\)"),
    ("labels_to_categorical_loss", "cce", fit(y=Y), ValueError, "y", "use sparse_categorical_crossentropy",
     r"y_true.shape=\(8,\)"),
    ("regression_columns", "mse", fit(y=np.zeros((8, 3))), ValueError, "y", "same shape", r"y_true.shape=\(8, 3\)"),
    ("binary_columns", "bce", fit(y=np.zeros((8, 2))), ValueError, "y", "same shape", r"y_true.shape=\(8, 2\)"),
    # ----- fit: the other arguments ---------------------------------------------------------
    ("batch_size_0", "sparse", fit(batch_size=0), ValueError, "batch_size", "positive integer", "batch_size=0"),
    ("batch_size_negative", "sparse", fit(batch_size=-4), ValueError, "batch_size", "positive integer",
     "batch_size=-4"),
    ("batch_size_fraction", "sparse", fit(batch_size=2.5), ValueError, "batch_size", "positive integer",
     "batch_size=2.5"),
    ("batch_size_string", "sparse", fit(batch_size="32"), ValueError, "batch_size", "positive integer",
     "batch_size='32'"),
    ("epochs_negative", "sparse", fit(epochs=-1), ValueError, "epochs", "non-negative integer", "epochs=-1"),
    ("epochs_fraction", "sparse", fit(epochs=1.5), ValueError, "epochs", "non-negative integer", "epochs=1.5"),
    ("initial_epoch_negative", "sparse", fit(initial_epoch=-1), ValueError, "initial_epoch", "non-negative integer",
     "initial_epoch=-1"),
    ("validation_split_negative", "sparse", fit(validation_split=-0.1), ValueError, "validation_split",
     r"in \[0, 1\)", "validation_split=-0.1"),
    ("validation_split_one", "sparse", fit(validation_split=1.0), ValueError, "validation_split", r"in \[0, 1\)",
     "validation_split=1.0"),
    ("validation_split_above", "sparse", fit(validation_split=1.5), ValueError, "validation_split", r"in \[0, 1\)",
     "validation_split=1.5"),
    ("validation_split_string", "sparse", fit(validation_split="0.2"), ValueError, "validation_split", r"in \[0, 1\)",
     "validation_split='0.2'"),
    ("verbose_3", "sparse", fit(verbose=3), ValueError, "verbose", "0, 1, 2 or 'auto'", "verbose=3"),
    ("sample_weight_shape", "sparse", fit(sample_weight=np.ones(3)), ValueError, "sample_weight", r"shape \(8,\)",
     r"shape \(3,\)"),
    ("sample_weight_negative", "sparse", fit(sample_weight=_with(np.ones(8), 2, -1.0)), ValueError, "sample_weight",
     "non-negative", r"weight of -1.0 \(at index 2\)"),
    ("sample_weight_nan", "sparse", fit(sample_weight=_with(np.ones(8), 0, np.nan)), ValueError, "sample_weight",
     "finite numbers", "NaN"),
    ("sample_weight_strings", "sparse", fit(sample_weight=["a"] * 8), TypeError, "sample_weight", "must hold numbers",
     "dtype <U"),
    ("class_weight_list", "sparse", fit(class_weight=[1.0, 2.0]), TypeError, "class_weight", "dict of class",
     "list"),
    ("validation_data_not_tuple", "sparse", fit(validation_data=X), ValueError, "validation_data",
     r"tuple \(x_val, y_val\)", "ndarray"),
    ("validation_data_one_item", "sparse", fit(validation_data=(X,)), ValueError, "validation_data",
     r"tuple \(x_val, y_val\)", "tuple of length 1"),
    ("validation_x_features", "sparse", fit(validation_data=(np.zeros((3, 5)), Y[:3])), ValueError, "validation x",
     "axis -1 of the input to have size 2", r"received shape \(3, 5\)"),
    ("validation_x_nan", "sparse", fit(validation_data=(_with(X[:3], (1, 1), np.nan), Y[:3])), ValueError,
     "validation x", "finite numbers", "NaN"),
    ("validation_label_out_of_range", "sparse", fit(validation_data=(X[:3], np.array([0, 7, 1]))), ValueError,
     "validation y", r"in \[0, 3\)", "label of 7"),
    ("callbacks_not_a_list", "sparse", fit(callbacks=print), TypeError, "callbacks", "list of Callback",
     "builtin_function_or_method"),
    ("callbacks_not_callbacks", "sparse", fit(callbacks=[print]), TypeError, "callbacks", "Callback instances",
     "builtin_function_or_method"),
    ("on_nonfinite_unknown", "sparse", fit(on_nonfinite="explode"), ValueError, "on_nonfinite", "'raise', 'warn'",
     "'explode'"),
    # ----- evaluate and predict --------------------------------------------------------------
    ("evaluate_nan_x", "sparse", evaluate(x=_with(X, (0, 1), np.nan)), ValueError, "x", "finite numbers", "NaN"),
    ("evaluate_label_out_of_range", "sparse", evaluate(y=_with(Y, 3, 5).astype(int)), ValueError, "y",
     r"in \[0, 3\)", "label of 5"),
    ("evaluate_wrong_features", "sparse", evaluate(x=np.zeros((8, 4))), ValueError, "x",
     "axis -1 of the input to have size 2", r"received shape \(8, 4\)"),
    ("evaluate_batch_size_0", "sparse", evaluate(batch_size=0), ValueError, "batch_size", "positive integer",
     "batch_size=0"),
    ("predict_1d", "sparse", predict(x=X[:, 0]), ValueError, "x", r"shape \(n, 2\)", r"received shape \(8,\)"),
    ("predict_one_sample_1d", "sparse", predict(x=X[0]), ValueError, "x", r"x.reshape\(1, -1\)",
     r"received shape \(2,\)"),
    ("predict_strings", "sparse", predict(x=np.array([["a", "b"]])), TypeError, "x", "must hold numbers", "dtype <U1"),
    ("predict_empty", "sparse", predict(x=np.zeros((0, 2))), ValueError, "x", "at least one sample",
     r"shape \(0, 2\)"),
    ("predict_ragged", "sparse", predict(x=[[1.0], [1.0, 2.0]]), ValueError, "x", "rectangular array",
     "ragged data received"),
    ("predict_batch_size_negative", "sparse", predict(batch_size=-2), ValueError, "batch_size", "positive integer",
     "batch_size=-2"),
    # ----- a layer call (the first Dense, built for 2 features) ----------------------------------
    ("layer_wrong_features", "sparse", call_layer(np.ones((2, 5))), ValueError, "Input 0", "axis -1",
     r"shape \(2, 5\)"),
    ("layer_one_vector", "sparse", call_layer(np.ones(2)), ValueError, "Input 0", "min_ndim=2",
     r"shape received: \(2,\)"),
    ("layer_strings", "sparse", call_layer(np.array([["a", "b"]])), TypeError, "dense", "numeric inputs", "dtype=<U1"),
    ("layer_ragged", "sparse", call_layer([[1.0, 2.0], [3.0]]), ValueError, "inputs", "rectangular array",
     "ragged data"),
    ("layer_none", "sparse", call_layer(None), TypeError, "inputs", "an array or a Tensor", "received None"),
    ("layer_objects", "sparse", call_layer(np.array([[object(), 1]], dtype=object)), TypeError, "dense",
     "numeric inputs", "dtype=object"),
    # ----- set_weights (a bad last array must not leave the first ones half-set) -----------------
    ("weights_count", "sparse", lambda model: model.set_weights(model.get_weights()[:3]), ValueError, "weight arrays",
     "expects 4", "received 3"),
    ("weights_shape", "sparse", set_weights(_replace(3, np.zeros(4))), ValueError, "bias", r"shape \(3,\)",
     r"value given has shape \(4,\)"),
    ("weights_transposed", "sparse", set_weights(lambda w: w.__setitem__(0, w[0].T)), ValueError, "kernel",
     r"shape \(2, 4\)", r"value given has shape \(4, 2\)"),
    ("weights_strings", "sparse", set_weights(lambda w: w.__setitem__(3, w[3].astype(str))), TypeError, "weights[3]",
     "must be numeric", "dtype=<U"),
    ("weights_complex", "sparse", set_weights(lambda w: w.__setitem__(2, w[2] + 1j)), TypeError, "weights[2]",
     "must be numeric", "dtype=complex"),
    ("weights_ragged", "sparse", set_weights(_replace(1, [[1.0], [2.0, 3.0]])), ValueError, "weights[1]",
     r"numeric array of shape \(4,\)", "ragged"),
    ("weights_none", "sparse", lambda model: model.set_weights(None), TypeError, "weights",
     r"list of arrays in get_weights\(\) order", "NoneType"),
    ("layer_weights_shape", "sparse", lambda model: model.layers[1].set_weights([np.zeros((4, 2)), np.zeros(3)]),
     ValueError, "kernel", r"shape \(4, 3\)", r"value given has shape \(4, 2\)"),
    # ----- compile (a bad name must leave the compiled optimizer and loss in place) ---------------
    ("unknown_optimizer", "sparse", compile_(optimizer="adamm"), ValueError, "optimizer", "Expected one of", "'adamm'"),
    ("unknown_loss", "sparse", compile_(loss="msee"), ValueError, "loss", "Expected one of", "'msee'"),
    ("unknown_metric", "sparse", compile_(metrics=["acuracy"]), ValueError, "metric", "Expected one of", "'acuracy'"),
    ("optimizer_number", "sparse", compile_(optimizer=5), TypeError, "optimizer", "a name, an Optimizer",
     "Received: 5"),
    ("metric_number", "sparse", compile_(metrics=[3]), TypeError, "metric", "Expected a name", "identifier: 3"),
    ("loss_missing", "sparse", compile_(loss=None), ValueError, "loss", "needs a loss", "loss=None"),
    # ----- constructors ----------------------------------------------------------------------------
    ("dense_units_0", "sparse", construct(lambda: Dense(0)), ValueError, "units", "positive integer", "units=0"),
    ("dense_units_string", "sparse", construct(lambda: Dense("3")), ValueError, "units", "positive integer",
     "units='3'"),
    ("unknown_activation", "sparse", construct(lambda: Dense(3, activation="relux")), ValueError, "activation",
     "Expected one of", "'relux'"),
    ("activation_layer_unknown", "sparse", construct(lambda: Activation("nope")), ValueError, "activation",
     "Expected one of", "'nope'"),
    ("dropout_rate", "sparse", construct(lambda: Dropout(1.5)), ValueError, "rate", r"in \[0, 1\)", "rate=1.5"),
    ("adam_negative_rate", "sparse", construct(lambda: tf.keras.optimizers.Adam(learning_rate=-1)), ValueError,
     "learning_rate", "float >= 0", "learning_rate=-1"),
    ("sgd_momentum", "sparse", construct(lambda: tf.keras.optimizers.SGD(momentum=-0.1)), ValueError, "momentum",
     r"in \[0, 1\]", "momentum=-0.1"),
    ("loss_reduction", "sparse", construct(lambda: tf.keras.losses.SparseCategoricalCrossentropy(reduction="bad")),
     ValueError, "reduction", "Expected one of", "reduction='bad'"),
    ("input_shape_negative", "sparse", construct(lambda: tf.keras.Input(shape=(-1,))), ValueError, "shape",
     "positive integers or None", r"\(None, -1\)"),
    ("embedding_input_dim", "sparse", construct(lambda: Embedding(0, 3)), ValueError, "input_dim",
     "positive integers", "input_dim=0"),
]


def _state(model):
    """Everything a failed call must leave as it was."""
    optimizer = model.optimizer
    return {
        "weights": model.get_weights(),
        "optimizer": optimizer,
        "optimizer_state": optimizer.get_state(),
        "loss": model.loss,
        "metrics": list(model._metric_identifiers),
    }


def _assert_same_state(before, after):
    assert len(before["weights"]) == len(after["weights"])
    for a, b in zip(before["weights"], after["weights"]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert after["optimizer"] is before["optimizer"] and after["loss"] is before["loss"]
    assert list(after["optimizer_state"]) == list(before["optimizer_state"])
    for key, value in before["optimizer_state"].items():
        assert np.array_equal(after["optimizer_state"][key], value), key
    assert after["metrics"] == before["metrics"]


_MODELS: dict = {}


def test_the_table_is_large_and_distinct():
    assert len(ROWS) >= 40 and len({row[0] for row in ROWS}) == len(ROWS)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("call, kind, error, argument, expected, received",
                         [row[2:3] + row[1:2] + row[3:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_malformed_input_is_refused_clearly_and_changes_nothing(call, kind, error, argument, expected, received):
    model = _model(kind)
    before = _state(model)
    start = time.perf_counter()
    with pytest.raises((ValueError, TypeError)) as caught:
        call(model)
    elapsed = time.perf_counter() - start
    message = str(caught.value)
    assert isinstance(caught.value, error), f"{type(caught.value).__name__}: {message}"
    assert argument in message, message
    assert re.search(expected, message), message
    assert re.search(received, message), message
    innermost = traceback.extract_tb(caught.tb)[-1].filename.replace("\\", "/")
    assert not any(part in innermost for part in ("/glassnet/ops/", "/glassnet/autograd/", "/numpy/")), innermost
    assert elapsed < 5.0
    _assert_same_state(before, _state(model))


def test_a_bad_compile_keeps_training_where_it_was():
    model = _model("sparse")
    before = model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0).history["loss"]
    with pytest.raises(ValueError):
        model.compile(optimizer="adam", loss="nope")
    iterations = model.optimizer.iterations
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert model.optimizer.iterations == iterations + 2 and len(before) == 1


@pytest.mark.parametrize("bad, accepted", [(np.nan, False), (np.inf, False), (-np.inf, False), (1e30, True)])
def test_large_data_is_checked_exactly_for_non_finite_values(bad, accepted):
    """Large inputs are first checked with a dot product of themselves; a huge but finite
    value overflows it, which must not be mistaken for NaN or Inf."""
    x = np.ones((70_000, 2), np.float32)
    x[-1, 1] = bad
    x[-2, 0] = -bad if accepted else 1.0
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    if accepted:
        assert model.predict(x, batch_size=70_000).shape == (70_000, 1)
    else:
        with pytest.raises(ValueError, match=r"x contains (NaN|Inf) \(first at index \(69999, 1\)\)"):
            model.fit(x, np.zeros(len(x), np.float32), verbose=0)
