"""The compile settings (optimizer, loss, metrics) in Keras 3's config format, both ways."""

from __future__ import annotations

import warnings

from . import allowlist
from .errors import InvalidModelFileError
from .keras_objects import construct, keras_object, object_parts, supported_options
from .safety import check_data_only

__all__ = ["compile_arguments", "compile_config"]


def _schedule_entry(value):
    if isinstance(value, dict):
        name = value.get("class_name")
        if allowlist.allowed("schedules").get(name) is None:
            return None
        return keras_object("schedules", name, value.get("config"))
    return value


def _loss_entry(loss):
    name = allowlist.name_of("losses", loss)
    return None if name is None else keras_object("losses", name, loss.get_config())


def _metric_entry(identifier):
    from .. import metrics
    from ..losses.registry import function_name, loss_function

    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, type):
        return identifier.__name__ if allowlist.allowed("metrics").get(identifier.__name__) is identifier else None
    if isinstance(identifier, metrics.Metric):
        name = allowlist.name_of("metrics", identifier)
        if name is not None:
            return keras_object("metrics", name, identifier.get_config())
        serialized = metrics.serialize(identifier)
        return serialized if isinstance(serialized, str) and serialized.lower() in ("accuracy", "acc") else None
    name = function_name(identifier) if callable(identifier) else None
    return name if name is not None and loss_function(name) is identifier else None


def compile_config(optimizer, loss, metric_identifiers):
    """Keras 3's ``compile_config`` for a compiled model, or None (with a warning) when some
    piece is a custom object that cannot be saved as data."""
    if optimizer is None or loss is None:
        return None
    problems = []
    optimizer_name = allowlist.name_of("optimizers", optimizer)
    optimizer_config = dict(optimizer.get_config())
    optimizer_config["learning_rate"] = _schedule_entry(optimizer_config.get("learning_rate"))
    if optimizer_name is None or optimizer_config["learning_rate"] is None:
        problems.append(f"optimizer {optimizer!r}")
    loss_entry = _loss_entry(loss)
    if loss_entry is None:
        problems.append(f"loss {loss!r}")
    metric_entries = [_metric_entry(m) for m in metric_identifiers]
    problems += [f"metric {m!r}" for m, e in zip(metric_identifiers, metric_entries) if e is None]
    if problems:
        warnings.warn(
            f"The compile settings are not saved: {', '.join(problems)} cannot be saved as data (a saved "
            "model names built-in classes only). The file loads uncompiled; call compile() after loading.",
            stacklevel=4,
        )
        return None
    return {
        "optimizer": keras_object("optimizers", optimizer_name, optimizer_config),
        "loss": loss_entry, "loss_weights": None, "metrics": metric_entries, "weighted_metrics": None,
        "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
    }


def _optimizer_from(value, where):
    from .. import optimizers

    if isinstance(value, str):
        try:
            return optimizers.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = object_parts(value, "optimizers", where)
    config = dict(config)
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        schedule_cls, schedule_config = object_parts(rate, "schedules", f"{where}.config.learning_rate")
        config["learning_rate"] = construct(
            schedule_cls, supported_options(schedule_cls, schedule_config, f"{where}.config.learning_rate"),
            f"{where}.config.learning_rate")
    return construct(cls, config, where)


def _loss_from(value, where):
    from .. import losses

    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if isinstance(value, str):
        try:
            return losses.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = object_parts(value, "losses", where)
    return construct(cls, supported_options(cls, config, where), where)


def _metric_from(value, where):
    from .. import metrics

    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if isinstance(value, str):
        try:
            metrics.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
        return value
    cls, config = object_parts(value, "metrics", where)
    return construct(cls, supported_options(cls, config, where), where)


def compile_arguments(config, where="compile_config") -> dict:
    """``compile()``'s arguments from a Keras 3 ``compile_config`` (every class allow-listed)."""
    if not isinstance(config, dict):
        raise InvalidModelFileError(f"{where}: expected a JSON object. Received: {config!r:.200}")
    check_data_only(config, where)
    if config.get("loss") is None:
        raise InvalidModelFileError(f"{where}: has no loss; glassnet compiles with a loss")
    metrics = []
    for key in ("metrics", "weighted_metrics"):
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise InvalidModelFileError(
                f"{where}.{key}: expected a list (glassnet models have one output). Received: {value!r:.200}"
            )
        metrics += [_metric_from(m, f"{where}.{key}[{i}]") for i, m in enumerate(value)]
    loss_weights = config.get("loss_weights")
    if loss_weights is not None and (isinstance(loss_weights, bool) or not isinstance(loss_weights, (int, float))):
        raise InvalidModelFileError(f"{where}.loss_weights: multi-output loss weights are not supported")
    return {
        "optimizer": _optimizer_from(config.get("optimizer", "rmsprop"), f"{where}.optimizer"),
        "loss": _loss_from(config["loss"], f"{where}.loss"),
        "metrics": metrics,
        "loss_weights": loss_weights,
    }
