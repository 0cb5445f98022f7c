"""Model configs in Keras 3's JSON format, and back to glassnet objects through the allow-list.

Writing gives what Keras 3's ``serialize_keras_object`` gives for the same model,
so Keras can rebuild it::

    {"module": "keras", "class_name": "Sequential", "registered_name": null,
     "config": {"name": ..., "trainable": ..., "dtype": <DTypePolicy>,
                "layers": [<InputLayer>, <layer>, ...], "build_input_shape": [null, 4]},
     "build_config": {"input_shape": [null, 4]},
     "compile_config": {"optimizer": <Adam>, "loss": <loss>, "metrics": [...], ...}}

where each ``<object>`` is ``{"module", "class_name", "config", "registered_name"}``
and a layer with weights also carries ``"build_config"``.

Reading trusts nothing: :func:`check_data_only` first rejects anything that names
Python code (a module other than Keras's, ``"class_name": "function"`` outside
Keras's modules, ``__lambda__`` and other ``__...__`` objects, custom registered
names); then every class name goes through :mod:`.allowlist`. Keras options that
glassnet lacks are dropped when they hold their neutral value (``None``,
``sparse=False``, ``groups=1``, ...) and refused otherwise, with the option named.
"""

from __future__ import annotations

import math
import warnings

from . import allowlist
from .errors import InvalidModelFileError

__all__ = [
    "check_data_only", "compile_arguments", "compile_config", "model_from_dict", "model_to_dict",
    "sequential_config", "sequential_from_config",
]

MAX_DEPTH = 64
#: The most weight elements one layer may declare in a file (checked before anything is allocated).
MAX_LAYER_WEIGHTS = 1 << 30
_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
           "uint64", "bool")
_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
# Keras options glassnet does not have, dropped at these values (None is always neutral).
_NEUTRAL = {"sparse": False, "ragged": False, "optional": False, "groups": 1, "autocast": True,
            "synchronized": False, "renorm": False, "renorm_momentum": 0.99, "rms_scaling": False,
            "mask_zero": False}
_MISSING = object()
# What a constructor or build may raise on values a hostile file chose; reported as the file's fault.
CONFIG_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ZeroDivisionError)


# ----- the safety walk -----------------------------------------------------------------------
def _is_keras_module(module) -> bool:
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def check_data_only(value, where: str = "config", depth: int = 0) -> None:
    """Raise InvalidModelFileError if ``value`` names Python code anywhere; else do nothing.

    Example:
        >>> check_data_only({"class_name": "Dense", "config": {"units": 2}})
        >>> check_data_only({"module": "os", "class_name": "system"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        glassnet.saving.errors.InvalidModelFileError: config: names the Python module 'os' (class 'system'); ...
    """
    if depth > MAX_DEPTH:
        raise InvalidModelFileError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_data_only(item, f"{where}[{i}]", depth + 1)
        return
    if not isinstance(value, dict):
        return
    class_name, module = value.get("class_name"), value.get("module")
    if "class_name" in value and not isinstance(class_name, str):
        raise InvalidModelFileError(f"{where}: 'class_name' must be a string. Received: {class_name!r}")
    if module is not None and not _is_keras_module(module):
        raise InvalidModelFileError(
            f"{where}: names the Python module {module!r} (class {class_name!r}); a saved model may name "
            "only built-in Keras classes, never Python modules or callables"
        )
    if isinstance(class_name, str):
        if class_name.startswith("__"):
            raise InvalidModelFileError(
                f"{where}: {class_name!r} objects (lambdas, tensors, Python values) are never loaded; "
                "a saved model holds plain JSON values and built-in class names only"
            )
        if class_name == "function" and not _is_keras_module(module):
            raise InvalidModelFileError(
                f"{where}: names a Python function ({value.get('config')!r}); only Keras's own "
                "function names are accepted"
            )
        registered = value.get("registered_name")
        if registered is not None and registered != class_name and not (
                class_name == "function" and registered == value.get("config")):
            raise InvalidModelFileError(
                f"{where}: names the custom registered object {registered!r}; glassnet loads only its "
                "built-in classes"
            )
    for key, item in value.items():
        check_data_only(item, f"{where}.{key}", depth + 1)


# ----- small pieces, both ways ---------------------------------------------------------------
def keras_object(kind: str, class_name: str, config) -> dict:
    """``{"module", "class_name", "config", "registered_name"}`` as Keras 3 writes built-ins."""
    return {"module": allowlist.KERAS_MODULES[kind], "class_name": class_name, "config": config,
            "registered_name": None}


def dtype_policy(dtype) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(dtype)}, "registered_name": None}


def _dtype_name(value, where):
    """A dtype string from a string or a Keras DTypePolicy object."""
    if isinstance(value, dict):
        if value.get("class_name") not in _POLICIES or not isinstance(value.get("config"), dict):
            raise InvalidModelFileError(f"{where}: expected a DTypePolicy. Received: {value!r}")
        value = value["config"].get("name")
    if value not in _DTYPES:
        raise InvalidModelFileError(
            f"{where}: dtype (policy) {value!r} is not supported; glassnet layers use one of {list(_DTYPES)}"
        )
    return value


def _object_parts(value, kind, where):
    """(class name, config dict) of a serialized object, its class checked against the allow-list."""
    if not isinstance(value, dict):
        raise InvalidModelFileError(
            f"{where}: expected a serialized object {{'class_name': ..., 'config': ...}}. Received: {value!r:.200}"
        )
    cls = allowlist.resolve(kind, value.get("class_name"), where)
    config = value.get("config", {}) if value.get("config") is not None else {}
    if not isinstance(config, dict):
        raise InvalidModelFileError(f"{where}: 'config' must be a JSON object. Received: {config!r}")
    return cls, config


def _accepted_keywords(cls) -> set:
    """Every keyword that ``cls(...)`` accepts through its chain of ``__init__`` methods."""
    import inspect

    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        params = inspect.signature(init).parameters.values()
        names.update(p.name for p in params
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self")
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names


def _supported_options(cls, config, where):
    """``config`` without the Keras options ``cls`` lacks; a lacking option at a non-neutral value raises."""
    accepted = _accepted_keywords(cls)
    kept = {}
    for key, value in config.items():
        if key in accepted:
            kept[key] = value
        elif not (value is None or _NEUTRAL.get(key, _MISSING) == value):
            raise InvalidModelFileError(
                f"{where}: option {key}={value!r} of {cls.__name__} is not supported by glassnet"
            )
    return kept


def _construct(cls, config, where):
    try:
        return cls.from_config(config)
    except InvalidModelFileError:
        raise
    except CONFIG_ERRORS as err:
        raise InvalidModelFileError(f"{where}: cannot build {cls.__name__} from this config: {err}") from None


def _activation_name(value, where):
    from .. import activations

    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if not isinstance(value, str):
        raise InvalidModelFileError(f"{where}: an activation must be a built-in name. Received: {value!r}")
    try:
        activations.get(value)
    except ValueError as err:
        raise InvalidModelFileError(f"{where}: {err}") from None
    return value


def _initializer(value, where):
    from .. import initializers

    if isinstance(value, str):
        try:
            return initializers.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = _object_parts(value, "initializers", where)
    return _construct(cls, _supported_options(cls, config, where), where)


def _regularizer(value, where):
    from .. import regularizers

    if value is None:
        return None
    if isinstance(value, str):
        try:
            return regularizers.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = _object_parts(value, "regularizers", where)
    return _construct(cls, _supported_options(cls, config, where), where)


def _check_name(name, where):
    if not isinstance(name, str) or not name or "/" in name or len(name) > 256:
        raise InvalidModelFileError(
            f"{where}: a name must be a non-empty string without '/', at most 256 characters. Received: {name!r}"
        )


# ----- layers ----------------------------------------------------------------------------------
def _builds_weights(layer) -> bool:
    from ..layers import Layer

    return type(layer).build is not Layer.build


def layer_entry(layer) -> dict:
    """One layer as Keras 3 serializes it (its config converted to Keras's spelling)."""
    from .. import activations

    class_name = allowlist.name_of("layers", layer)
    if class_name is None:
        raise ValueError(
            f'Cannot save layer "{layer.name}": {type(layer).__name__} is not a class glassnet files may '
            f"name. Savable layers: {sorted(allowlist.allowed('layers'))}"
        )
    config = dict(layer.get_config())
    config.pop("batch_input_shape", None)  # the model's InputLayer carries the input shape
    config["dtype"] = dtype_policy(config.get("dtype") or layer.dtype)
    for key, value in list(config.items()):
        if key.endswith("_initializer") and isinstance(value, dict):
            config[key] = keras_object("initializers", value["class_name"], value["config"])
        elif key.endswith("_regularizer") and isinstance(value, dict):
            config[key] = keras_object("regularizers", value["class_name"], value["config"])
        elif key == "activation":
            try:
                activations.get(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f'Cannot save layer "{layer.name}": its activation {value!r} is not a built-in one, '
                    "and a saved model holds names only, never Python functions."
                ) from None
    entry = keras_object("layers", class_name, config)
    if layer.built and layer.input is not None and _builds_weights(layer):
        entry["build_config"] = {"input_shape": [None] + list(tuple(layer.input.shape)[1:])}
    return entry


def layer_from_entry(entry, where):
    """Rebuild one layer from its serialized entry (allow-listed class, checked options)."""
    if not isinstance(entry, dict):
        raise InvalidModelFileError(f"{where}: expected a serialized layer object. Received: {entry!r}")
    cls, config = _object_parts(entry, "layers", where)
    config = _supported_options(cls, config, f"{where}.config")
    kwargs = {}
    for key, value in config.items():
        at = f"{where}.config.{key}"
        if key == "dtype" and value is not None:
            value = _dtype_name(value, at)
        elif key == "name":
            _check_name(value, at)
        elif key == "activation":
            value = _activation_name(value, at)
        elif key.endswith("_initializer"):
            value = _initializer(value, at)
        elif key.endswith("_regularizer"):
            value = _regularizer(value, at)
        elif isinstance(value, dict):
            raise InvalidModelFileError(f"{at}: expected a plain value, not an object. Received: {value!r}")
        kwargs[key] = value
    return _construct(cls, kwargs, where)


def _check_shape(shape, where):
    if not isinstance(shape, (list, tuple)) or not shape or any(
            d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0) for d in shape):
        raise InvalidModelFileError(f"{where}: expected a shape such as [null, 4]. Received: {shape!r}")
    known = math.prod(d for d in shape[1:] if d is not None)
    if known > MAX_LAYER_WEIGHTS:
        raise InvalidModelFileError(f"{where}: shape {list(shape)} has {known} elements per sample, over the limit")
    return tuple(shape)


def _check_weight_budget(layer, input_shape, where):
    """Refuse a layer whose config would allocate absurdly many weights (before it builds)."""
    last = input_shape[-1] if input_shape else None
    if last is None:
        return
    units, filters = getattr(layer, "units", None), getattr(layer, "filters", None)
    rows, columns = getattr(layer, "input_dim", None), getattr(layer, "output_dim", None)
    if isinstance(units, int):
        count = last * units
    elif isinstance(filters, int):
        count = math.prod(getattr(layer, "kernel_size", (1,))) * last * filters
    elif isinstance(rows, int) and isinstance(columns, int):  # an embedding table
        count = rows * columns
    else:
        count = math.prod(d for d in input_shape[1:] if d is not None)
    if count > MAX_LAYER_WEIGHTS:
        raise InvalidModelFileError(
            f"{where}: layer {layer.name!r} would need {count} weights for input shape {list(input_shape)}, "
            f"over the limit of {MAX_LAYER_WEIGHTS}; refusing to allocate them"
        )


# ----- Sequential ----------------------------------------------------------------------------
def sequential_config(model, input_shape) -> dict:
    """The config of a Sequential (what ``Sequential.get_config()`` returns), in Keras 3's format."""
    from .. import backend

    layers = []
    if input_shape is not None:
        layers.append(keras_object("layers", "InputLayer", {
            "batch_shape": list(input_shape), "dtype": model.input_dtype, "sparse": False, "ragged": False,
            "name": "input_layer",
        }))
    layers += [layer_entry(layer) for layer in model.layers]
    config = {"name": model.name, "trainable": bool(getattr(model, "trainable", True)),
              "dtype": dtype_policy(backend.floatx()), "layers": layers}
    if input_shape is not None:
        config["build_input_shape"] = list(input_shape)
    return config


def sequential_from_config(config, where="config"):
    """A Sequential from :func:`sequential_config`'s output (or Keras 3's, or glassnet's older one)."""
    from ..layers import InputLayer
    from ..models import Sequential

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise InvalidModelFileError(
            f"{where}: a Sequential config is a JSON object with a 'layers' list. Received: {config!r:.200}"
        )
    check_data_only(config, where)
    name = config.get("name")
    if name is not None:
        _check_name(name, f"{where}.name")
    model = Sequential(name=name, trainable=bool(config.get("trainable", True)))
    shape = None
    for i, entry in enumerate(config["layers"]):
        at = f"{where}.layers[{i}]"
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            entry_config = entry.get("config") or {}
            for key in ("batch_shape", "batch_input_shape"):
                if key in entry_config:
                    _check_shape(entry_config[key], f"{at}.config.{key}")
        layer = layer_from_entry(entry, at)
        if isinstance(layer, InputLayer):
            shape = tuple(layer.batch_input_shape)
        elif shape is not None:
            _check_weight_budget(layer, shape, at)
        try:
            model.add(layer)
        except CONFIG_ERRORS as err:
            raise InvalidModelFileError(f"{at}: cannot add layer {getattr(layer, 'name', '?')!r}: {err}") from None
        if model.built and model.layers:
            shape = tuple(model.layers[-1].output.shape)
    build_shape = config.get("build_input_shape")
    if not model.built and build_shape is not None and model.layers:
        _build(model, _check_shape(build_shape, f"{where}.build_input_shape"), where)
    return model


def _build(model, shape, where):
    """Build for ``shape`` after checking every layer's weight budget along the way."""
    try:
        current = shape
        for i, layer in enumerate(model.layers):
            _check_weight_budget(layer, current, f"{where}.layers[{i}]")
            current = tuple(layer.compute_output_shape(current))
        model.build(shape)
    except InvalidModelFileError:
        raise
    except CONFIG_ERRORS as err:
        raise InvalidModelFileError(f"{where}: cannot build the model for input shape {list(shape)}: {err}") from None


# ----- compile ---------------------------------------------------------------------------------
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
    cls, config = _object_parts(value, "optimizers", where)
    config = dict(config)
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        schedule_cls, schedule_config = _object_parts(rate, "schedules", f"{where}.config.learning_rate")
        config["learning_rate"] = _construct(
            schedule_cls, _supported_options(schedule_cls, schedule_config, f"{where}.config.learning_rate"),
            f"{where}.config.learning_rate")
    return _construct(cls, config, where)


def _loss_from(value, where):
    from .. import losses

    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if isinstance(value, str):
        try:
            return losses.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = _object_parts(value, "losses", where)
    return _construct(cls, _supported_options(cls, config, where), where)


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
    cls, config = _object_parts(value, "metrics", where)
    return _construct(cls, _supported_options(cls, config, where), where)


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


# ----- the whole model ----------------------------------------------------------------------
def model_to_dict(model, include_compile: bool = True) -> dict:
    """The model as Keras 3's ``serialize_keras_object`` gives it (config.json's content)."""
    from ..models import Sequential

    if type(model) is not Sequential:
        raise ValueError(
            f"Only Sequential models can be saved as .keras files or JSON for now. Received: {type(model).__name__}"
        )
    config = model.get_config()
    entry = keras_object("models", "Sequential", config)
    if "build_input_shape" in config:
        entry["build_config"] = {"input_shape": list(config["build_input_shape"])}
    if include_compile and model.optimizer is not None:
        compiled = model.get_compile_config()
        if compiled is not None:
            entry["compile_config"] = compiled
    return entry


def model_from_dict(config, compile: bool = True, where: str = "config.json"):  # noqa: A002 - Keras's name
    """Rebuild (and compile, when the file says how and ``compile`` is True) a model."""
    if not isinstance(config, dict):
        raise InvalidModelFileError(f"{where}: expected a JSON object. Received: {config!r:.200}")
    check_data_only(config, where)
    if "class_name" not in config:
        raise InvalidModelFileError(f"{where}: has no 'class_name'; it is not a Keras 3 model config")
    allowlist.resolve("models", config.get("class_name"), where)
    model = sequential_from_config(config.get("config"), f"{where}.config")
    build_config = config.get("build_config")
    if not model.built and isinstance(build_config, dict) and build_config.get("input_shape") and model.layers:
        _build(model, _check_shape(build_config["input_shape"], f"{where}.build_config.input_shape"), where)
    compile_settings = config.get("compile_config")
    if compile and isinstance(compile_settings, dict) and compile_settings.get("loss") is None:
        warnings.warn(f"{where}: the model was compiled without a loss, which glassnet cannot do; "
                      "it loads uncompiled. Call compile() after loading.", stacklevel=3)
        compile_settings = None
    if compile and compile_settings is not None:
        arguments = compile_arguments(compile_settings, f"{where}.compile_config")
        try:
            model.compile(**arguments)
        except CONFIG_ERRORS as err:
            raise InvalidModelFileError(f"{where}.compile_config: cannot compile with these settings: {err}") from None
    return model
