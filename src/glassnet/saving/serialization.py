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
from .compile_config import compile_arguments, compile_config
from .errors import InvalidModelFileError
from .keras_objects import (CONFIG_ERRORS, activation_name, check_name, construct, dtype_name, dtype_policy,
                            initializer_from, keras_object, object_parts, regularizer_from, supported_options)
from .safety import check_data_only

__all__ = [
    "check_data_only", "compile_arguments", "compile_config", "model_from_dict", "model_to_dict",
    "sequential_config", "sequential_from_config",
]

#: The most weight elements one layer may declare in a file (checked before anything is allocated).
MAX_LAYER_WEIGHTS = 1 << 30


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
    cls, config = object_parts(entry, "layers", where)
    config = supported_options(cls, config, f"{where}.config")
    kwargs = {}
    for key, value in config.items():
        at = f"{where}.config.{key}"
        if key == "dtype" and value is not None:
            value = dtype_name(value, at)
        elif key == "name":
            check_name(value, at)
        elif key == "activation":
            value = activation_name(value, at)
        elif key.endswith("_initializer"):
            value = initializer_from(value, at)
        elif key.endswith("_regularizer"):
            value = regularizer_from(value, at)
        elif isinstance(value, dict):
            raise InvalidModelFileError(f"{at}: expected a plain value, not an object. Received: {value!r}")
        kwargs[key] = value
    return construct(cls, kwargs, where)


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
        check_name(name, f"{where}.name")
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
