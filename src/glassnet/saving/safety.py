"""The first check on a model file's JSON: it must be data, never a reference to Python code.

Example:
    >>> from glassnet.saving.safety import check_data_only
    >>> check_data_only({"class_name": "Dense", "config": {"units": 2}})
"""

from __future__ import annotations

from .errors import InvalidModelFileError

__all__ = ["MAX_DEPTH", "check_data_only", "is_keras_module"]

MAX_DEPTH = 64


def is_keras_module(module) -> bool:
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
    if module is not None and not is_keras_module(module):
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
        if class_name == "function" and not is_keras_module(module):
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
