"""The ``tf.keras`` face: every name the course's labs import resolves, to the right object.

COURSE_API items 1, 3, 10, 11, 14 and 34: the import lines with ``tensorflow`` replaced
by ``glassnet``, the attribute paths the labs write (``tf.keras.layers.Dense``,
``tf.nn.softmax``, ...), and the three ways Keras accepts a loss, optimizer, metric,
activation or initializer (a class, an instance, a string name). Each table row is one
name or one spelling.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import glassnet as tf
from glassnet import activations, initializers, layers, losses, metrics, models, optimizers
from glassnet.training import Callback, History

# ----- import lines (COURSE_API item 1 and 34) ----------------------------------------

IMPORT_LINES = [
    "import glassnet as tf",
    "from glassnet.keras.models import Sequential",
    "from glassnet.keras import Sequential",
    "from glassnet.keras.layers import Dense",
    "from glassnet.keras.layers import Dense, Input, LeakyReLU",
    "from glassnet.keras.activations import linear, relu, sigmoid",
    "from glassnet.keras.losses import MeanSquaredError, BinaryCrossentropy",
    "from glassnet.keras.optimizers import Adam",
    "from glassnet.keras.layers import Normalization, InputLayer",
    "from glassnet.keras.losses import SparseCategoricalCrossentropy",
    "from glassnet.keras.callbacks import Callback, History",
]


@pytest.mark.parametrize("line", IMPORT_LINES)
def test_import_line_runs(line):
    namespace: dict = {}
    exec(line, namespace)  # noqa: S102 - the lab's own import line is what is tested
    imported = [name.strip() for name in line.split("import", 1)[1].split(",")]
    for name in imported:
        name = name.split(" as ")[-1].strip()
        assert namespace[name] is not None


# ----- attribute paths: (path written in a lab, the object it must be) ------------------

PATHS = [
    ("keras.layers.Dense", layers.Dense),
    ("keras.layers.Input", layers.Input),
    ("keras.layers.InputLayer", layers.InputLayer),
    ("keras.layers.LeakyReLU", layers.LeakyReLU),
    ("keras.layers.Normalization", layers.Normalization),
    ("keras.Sequential", models.Sequential),
    ("keras.models.Sequential", models.Sequential),
    ("keras.Model", models.Model),
    ("keras.Input", layers.Input),
    ("keras.InputLayer", layers.InputLayer),
    ("keras.losses.BinaryCrossentropy", losses.BinaryCrossentropy),
    ("keras.losses.SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
    ("keras.losses.CategoricalCrossentropy", losses.CategoricalCrossentropy),
    ("keras.losses.MeanSquaredError", losses.MeanSquaredError),
    ("keras.losses.MeanAbsoluteError", losses.MeanAbsoluteError),
    ("keras.optimizers.Adam", optimizers.Adam),
    ("keras.optimizers.SGD", optimizers.SGD),
    ("keras.optimizers.RMSprop", optimizers.RMSprop),
    ("keras.activations.relu", activations.relu),
    ("keras.activations.sigmoid", activations.sigmoid),
    ("keras.activations.linear", activations.linear),
    ("keras.activations.softmax", activations.softmax),
    ("keras.metrics.BinaryAccuracy", metrics.BinaryAccuracy),
    ("keras.metrics.SparseCategoricalAccuracy", metrics.SparseCategoricalAccuracy),
    ("keras.metrics.CategoricalAccuracy", metrics.CategoricalAccuracy),
    ("keras.metrics.MeanSquaredError", metrics.MeanSquaredError),
    ("keras.metrics.AUC", metrics.AUC),
    ("keras.initializers.GlorotUniform", initializers.GlorotUniform),
    ("keras.initializers.Zeros", initializers.Zeros),
    ("keras.callbacks.Callback", Callback),
    ("keras.callbacks.History", History),
]


def _resolve(path):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path, expected", PATHS, ids=[p for p, _ in PATHS])
def test_keras_path_is_the_library_object(path, expected):
    assert _resolve(path) is expected


# tf.nn / tf.random / tf.autograph functions: (path, arguments, check of the result)
CALLABLES = [
    ("nn.softmax", (np.array([[1.0, 2.0, 3.0]]),), lambda r: np.allclose(np.sum(r.numpy()), 1.0)),
    ("nn.sigmoid", (np.array([0.0]),), lambda r: np.allclose(r.numpy(), 0.5)),
    ("nn.relu", (np.array([-1.0, 2.0]),), lambda r: np.array_equal(r.numpy(), [0.0, 2.0])),
    ("keras.activations.relu", (np.array([-1.0, 2.0]),), lambda r: np.array_equal(r.numpy(), [0.0, 2.0])),
    ("keras.activations.sigmoid", (0.0,), lambda r: float(r.numpy()) == 0.5),
    ("random.set_seed", (1234,), lambda r: r is None),
    ("autograph.set_verbosity", (0,), lambda r: r is None),
]


@pytest.mark.parametrize("path, args, check", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_namespace_function_runs(path, args, check):
    assert check(_resolve(path)(*args))


def test_tensorflow_logger_line_is_harmless():
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # as the labs' first cell does
    tf.autograph.set_verbosity(0)


def test_linear_activation_returns_its_input_itself():
    x = np.array([1.0, -2.0])
    assert tf.keras.activations.linear(x) is x


# ----- identifiers: a class, an instance or a name resolve to the same kind -------------

def _loss_of(identifier):
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, activation="sigmoid", input_dim=2)])
    model.compile(loss=identifier, optimizer="sgd")
    return model.loss


def _optimizer_of(identifier):
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_dim=2)])
    model.compile(loss="mse", optimizer=identifier)
    return model.optimizer


def _metric_of(identifier):
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, activation="sigmoid", input_dim=2)])
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=[identifier])
    model.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    (metric,) = model.compiled_metrics
    return metric


def _activation_of(identifier):
    return tf.keras.layers.Dense(2, activation=identifier).activation


def _initializer_of(identifier):
    layer = tf.keras.layers.Dense(2, kernel_initializer=identifier)
    layer(np.ones((1, 3)))
    return layer.kernel_initializer


IDENTIFIERS = [
    # (what, resolve, identifier, expected type or object)
    ("loss", _loss_of, tf.keras.losses.BinaryCrossentropy, losses.BinaryCrossentropy),
    ("loss", _loss_of, tf.keras.losses.BinaryCrossentropy(), losses.BinaryCrossentropy),
    ("loss", _loss_of, "binary_crossentropy", losses.BinaryCrossentropy),
    ("loss", _loss_of, "BinaryCrossentropy", losses.BinaryCrossentropy),
    ("loss", _loss_of, "mse", losses.MeanSquaredError),
    ("loss", _loss_of, tf.keras.losses.MeanSquaredError, losses.MeanSquaredError),
    ("loss", _loss_of, "sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("optimizer", _optimizer_of, tf.keras.optimizers.Adam, optimizers.Adam),
    ("optimizer", _optimizer_of, tf.keras.optimizers.Adam(0.01), optimizers.Adam),
    ("optimizer", _optimizer_of, "adam", optimizers.Adam),
    ("optimizer", _optimizer_of, "Adam", optimizers.Adam),
    ("optimizer", _optimizer_of, "sgd", optimizers.SGD),
    ("optimizer", _optimizer_of, "rmsprop", optimizers.RMSprop),
    ("metric", _metric_of, tf.keras.metrics.BinaryAccuracy, metrics.BinaryAccuracy),
    ("metric", _metric_of, tf.keras.metrics.BinaryAccuracy(), metrics.BinaryAccuracy),
    ("metric", _metric_of, "binary_accuracy", metrics.BinaryAccuracy),
    ("metric", _metric_of, "accuracy", metrics.BinaryAccuracy),
    ("metric", _metric_of, "mse", metrics.MeanSquaredError),
    ("activation", _activation_of, "relu", activations.relu),
    ("activation", _activation_of, tf.keras.activations.relu, activations.relu),
    ("activation", _activation_of, "sigmoid", activations.sigmoid),
    ("activation", _activation_of, "linear", activations.linear),
    ("activation", _activation_of, None, activations.linear),
    ("activation", _activation_of, tf.nn.relu, tf.nn.relu),
    ("initializer", _initializer_of, "ones", initializers.Ones),
    ("initializer", _initializer_of, tf.keras.initializers.Ones, initializers.Ones),
    ("initializer", _initializer_of, tf.keras.initializers.Ones(), initializers.Ones),
    ("initializer", _initializer_of, "GlorotUniform", initializers.GlorotUniform),
]


@pytest.mark.parametrize(
    "what, resolve, identifier, expected", IDENTIFIERS,
    ids=[f"{w}-{getattr(i, '__name__', None) or (i if isinstance(i, str) else type(i).__name__)}"
         for w, _, i, _ in IDENTIFIERS],
)
def test_identifier_resolves(what, resolve, identifier, expected):
    resolved = resolve(identifier)
    if isinstance(expected, type):
        assert isinstance(resolved, expected)
    else:
        assert resolved is expected
    if not isinstance(identifier, (str, type)) and identifier is not None and what != "activation":
        assert resolved is identifier  # an instance is used as given, not copied


@pytest.mark.parametrize("identifier", ["ones", tf.keras.initializers.Ones, tf.keras.initializers.Ones()])
def test_initializer_identifier_takes_effect(identifier):
    layer = tf.keras.layers.Dense(2, kernel_initializer=identifier)
    layer(np.ones((1, 3)))
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones((3, 2), dtype=np.float32))


def test_dense_activation_is_the_keras_function_object():
    # The W2 graded test: layer.activation == tf.keras.activations.relu (and `is`).
    from glassnet.keras.activations import linear, relu, sigmoid

    for name, fn in (("relu", relu), ("sigmoid", sigmoid), ("linear", linear)):
        layer = tf.keras.layers.Dense(3, activation=name)
        assert layer.activation == fn and layer.activation is fn


# ----- optimizer defaults the labs rely on (COURSE_API item 10) -------------------------

ADAM_DEFAULTS = [
    ("learning_rate", 0.001),
    ("beta_1", 0.9),
    ("beta_2", 0.999),
    ("epsilon", 1e-7),
    ("amsgrad", False),
]


@pytest.mark.parametrize("attribute, value", ADAM_DEFAULTS)
def test_adam_defaults(attribute, value):
    assert getattr(tf.keras.optimizers.Adam(), attribute) == value


def test_adam_first_positional_argument_is_the_learning_rate():
    assert tf.keras.optimizers.Adam(0.01).learning_rate == 0.01
    assert tf.keras.optimizers.Adam(learning_rate=0.01).learning_rate == 0.01


def test_plots_datasets_and_the_network_load_when_first_used():
    """They are a sixth of `import glassnet` (benchmarks: import time), so they wait."""
    import os
    import subprocess
    import sys

    deferred = ["glassnet.viz", "glassnet.datasets", "glassnet.keras.datasets", "urllib.request", "http.client"]
    code = ("import sys, glassnet as tf\n"
            f"early = [m for m in {deferred!r} if m in sys.modules]\n"
            "assert not early, early\n"
            "assert tf.viz.plot_history and tf.keras.datasets.mnist.load_data and 'viz' in dir(tf)\n"
            "from glassnet.keras.datasets import fashion_mnist\n"
            "assert 'datasets' in dir(tf.keras) and tf.viz is sys.modules['glassnet.viz']\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        tf.keras.nope  # noqa: B018
