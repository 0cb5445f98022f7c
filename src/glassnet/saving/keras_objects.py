"""Small pieces of Keras 3's config format, both ways: objects, dtype policies, activations,
initializers, regularizers, and constructing an allow-listed class from a config.
"""

from __future__ import annotations

from . import allowlist
from .errors import InvalidModelFileError

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


def keras_object(kind: str, class_name: str, config) -> dict:
    """``{"module", "class_name", "config", "registered_name"}`` as Keras 3 writes built-ins."""
    return {"module": allowlist.KERAS_MODULES[kind], "class_name": class_name, "config": config,
            "registered_name": None}


def dtype_policy(dtype) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(dtype)}, "registered_name": None}


def dtype_name(value, where):
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


def object_parts(value, kind, where):
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


def accepted_keywords(cls) -> set:
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


def supported_options(cls, config, where):
    """``config`` without the Keras options ``cls`` lacks; a lacking option at a non-neutral value raises."""
    accepted = accepted_keywords(cls)
    kept = {}
    for key, value in config.items():
        if key in accepted:
            kept[key] = value
        elif not (value is None or _NEUTRAL.get(key, _MISSING) == value):
            raise InvalidModelFileError(
                f"{where}: option {key}={value!r} of {cls.__name__} is not supported by glassnet"
            )
    return kept


def construct(cls, config, where):
    try:
        return cls.from_config(config)
    except InvalidModelFileError:
        raise
    except CONFIG_ERRORS as err:
        raise InvalidModelFileError(f"{where}: cannot build {cls.__name__} from this config: {err}") from None


def activation_name(value, where):
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


def initializer_from(value, where):
    from .. import initializers

    if isinstance(value, str):
        try:
            return initializers.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = object_parts(value, "initializers", where)
    return construct(cls, supported_options(cls, config, where), where)


def regularizer_from(value, where):
    from .. import regularizers

    if value is None:
        return None
    if isinstance(value, str):
        try:
            return regularizers.get(value)
        except ValueError as err:
            raise InvalidModelFileError(f"{where}: {err}") from None
    cls, config = object_parts(value, "regularizers", where)
    return construct(cls, supported_options(cls, config, where), where)


def check_name(name, where):
    if not isinstance(name, str) or not name or "/" in name or len(name) > 256:
        raise InvalidModelFileError(
            f"{where}: a name must be a non-empty string without '/', at most 256 characters. Received: {name!r}"
        )
