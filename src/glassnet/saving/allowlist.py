"""The allow-list: the only classes a saved file may name, by their Keras names.

A file says ``"class_name": "Dense"``; that name is looked up in these tables and
nowhere else. Nothing is imported by name, no module a file names is ever used,
and a name outside the tables is an error listing the allowed ones, so loading a
file can never run code.

Layers: the core ones always, plus each optional one (CNN, normalization, embedding) that
:mod:`glassnet.layers` exports when the lookup happens.
"""

from __future__ import annotations

from .errors import InvalidModelFileError

__all__ = ["KERAS_MODULES", "allowed", "resolve"]

CORE_LAYERS = ("InputLayer", "Dense", "Activation", "ReLU", "LeakyReLU", "Softmax", "Normalization")
OPTIONAL_LAYERS = (
    "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "Flatten", "Reshape", "ZeroPadding2D", "UpSampling2D", "Dropout", "BatchNormalization",
    "LayerNormalization", "Embedding",
)
MODELS = ("Sequential",)
INITIALIZERS = (
    "Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal", "TruncatedNormal", "VarianceScaling",
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
)
REGULARIZERS = ("L1", "L2", "L1L2")
LOSSES = (
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "MeanSquaredError",
    "MeanAbsoluteError", "Huber", "LogCosh", "KLDivergence",
)
METRICS = (
    "AUC", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError", "MeanSquaredError",
    "Precision", "Recall", "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
)
OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam")
SCHEDULES = ("ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay", "PolynomialDecay", "CosineDecay")

#: The module Keras 3 writes beside each kind's class names.
KERAS_MODULES = {
    "models": "keras", "layers": "keras.layers", "initializers": "keras.initializers",
    "regularizers": "keras.regularizers", "losses": "keras.losses", "metrics": "keras.metrics",
    "optimizers": "keras.optimizers", "schedules": "keras.optimizers.schedules",
}

_WORDS = {"models": "model", "layers": "layer", "initializers": "initializer", "regularizers": "regularizer",
          "losses": "loss", "metrics": "metric", "optimizers": "optimizer", "schedules": "learning-rate schedule"}


def _tables():
    """kind -> (module holding the classes, names, base class), imported when first needed."""
    from .. import initializers, layers, losses, metrics, models, optimizers, regularizers
    from ..optimizers import schedules

    return {
        "models": (models, MODELS, models.Model),
        "layers": (layers, CORE_LAYERS + OPTIONAL_LAYERS, layers.Layer),
        "initializers": (initializers, INITIALIZERS, initializers.Initializer),
        "regularizers": (regularizers, REGULARIZERS, regularizers.Regularizer),
        "losses": (losses, LOSSES, losses.Loss),
        "metrics": (metrics, METRICS, metrics.Metric),
        "optimizers": (optimizers, OPTIMIZERS, optimizers.Optimizer),
        "schedules": (schedules, SCHEDULES, schedules.LearningRateSchedule),
    }


def allowed(kind: str) -> dict:
    """``{Keras class name: glassnet class}`` for ``kind`` ('layers', 'losses', 'optimizers', ...).

    Example:
        >>> from glassnet.saving.allowlist import allowed
        >>> allowed("layers")["Dense"].__name__, "Lambda" in allowed("layers")
        ('Dense', False)
    """
    module, names, base = _tables()[kind]
    table = {}
    for name in names:
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, base):
            table[name] = cls
    return table


def resolve(kind: str, class_name, where: str) -> type:
    """The glassnet class allowed under ``class_name``, else InvalidModelFileError naming both."""
    table = allowed(kind)
    if isinstance(class_name, str) and class_name in table:
        return table[class_name]
    raise InvalidModelFileError(
        f"{where}: {class_name!r} is not an allowed {_WORDS[kind]} class. glassnet loads only its "
        f"built-in classes: {sorted(table)}"
    )


def name_of(kind: str, obj):
    """The allowed class name of ``obj`` (its exact class must be in the table), or None."""
    name = type(obj).__name__
    return name if allowed(kind).get(name) is type(obj) else None
