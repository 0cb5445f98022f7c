"""Losses by name: :func:`get`, :func:`serialize`, :func:`deserialize`, and the tables behind them.

Every loss has a class name ('BinaryCrossentropy') and function names
('binary_crossentropy', 'mse', ...); both resolve to the class with its defaults, as
Keras's ``compile`` does. :func:`loss_function`, :func:`loss_class` and
:func:`function_name` answer the same tables for the rest of glassnet (the
``LossFunctionWrapper`` configs, and the metrics that reuse the loss functions).
"""

from __future__ import annotations

from .base import Loss, LossFunctionWrapper
from .crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from .regression import (
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanSquaredError,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_squared_error,
)

# ----- lookup -------------------------------------------------------------------------------
_CLASSES = {cls.__name__: cls for cls in (
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
    MeanAbsoluteError, Huber, LogCosh, KLDivergence,
)}
_FUNCTIONS = {
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "huber": huber, "huber_loss": huber, "log_cosh": log_cosh, "logcosh": log_cosh,
    "kl_divergence": kl_divergence, "kld": kl_divergence, "kullback_leibler_divergence": kl_divergence,
}
_FUNCTION_CLASSES = {
    binary_crossentropy: BinaryCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError, huber: Huber,
    log_cosh: LogCosh, kl_divergence: KLDivergence,
}
_BY_LOWER_NAME = {name.lower(): cls for name, cls in _CLASSES.items()}
_BY_LOWER_NAME.update({name: _FUNCTION_CLASSES[fn] for name, fn in _FUNCTIONS.items()})


def loss_function(name):
    """The per-example loss function registered under ``name`` ('mse', 'kld', ...), or None."""
    return _FUNCTIONS.get(name)


def loss_class(fn):
    """The Loss class built on the per-example function ``fn`` (MeanSquaredError for mse), or None."""
    return _FUNCTION_CLASSES.get(fn)


def function_name(fn):
    """The registered name of a per-example loss function, else its ``__name__`` (or repr)."""
    for name, known in _FUNCTIONS.items():
        if known is fn:
            return name
    return getattr(fn, "__name__", repr(fn))


def get(identifier):
    """Resolve a loss to a :class:`Loss` object (None stays None).

    Accepts a name (class style 'BinaryCrossentropy' or function style
    'binary_crossentropy', 'mse', 'mae', ...; both give the class with its defaults,
    as Keras's ``compile`` wraps function names), a Loss class (instantiated with its
    defaults), a Loss instance (returned as is), a config dict from :func:`serialize`,
    or a plain callable ``f(y_true, y_pred)`` returning per-example losses (wrapped in a
    :class:`LossFunctionWrapper`; one of this module's functions gives its class).

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Example:
        >>> from glassnet import losses
        >>> losses.get("mse")
        <MeanSquaredError name='mean_squared_error'>
        >>> losses.get(losses.BinaryCrossentropy).from_logits
        False
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _BY_LOWER_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown loss: {identifier!r}. Expected one of "
                f"{sorted(_CLASSES) + sorted(_FUNCTIONS)}, a Loss or a callable."
            )
        return cls()
    if callable(identifier):
        cls = _FUNCTION_CLASSES.get(identifier)
        return cls() if cls is not None else LossFunctionWrapper(identifier)
    raise TypeError(
        f"Could not interpret loss identifier: {identifier!r}. "
        "Expected a name, a Loss class or instance, or a callable."
    )


def serialize(loss):
    """Return a Loss as ``{'class_name': ..., 'config': ...}``, a known function as its name.

    Example:
        >>> from glassnet import losses
        >>> losses.serialize(losses.Huber(delta=2.0))["config"]["delta"]
        2.0
        >>> losses.serialize(losses.mse)
        'mean_squared_error'
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return function_name(loss)


def deserialize(config):
    """Rebuild a loss from :func:`serialize`'s output (a dict or a name)."""
    if not isinstance(config, dict):
        return get(config)
    name, kwargs = config.get("class_name"), config.get("config") or {}
    cls = _CLASSES.get(name) or (LossFunctionWrapper if name == "LossFunctionWrapper" else None)
    if cls is None:
        raise ValueError(f"Unknown loss class: {name!r}. Expected one of {sorted(_CLASSES)}.")
    return cls.from_config(kwargs)
