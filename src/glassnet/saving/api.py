"""Saving and loading models: the functions behind ``model.save``, ``load_model`` and friends.

========================  ===================================================================
``save_model``            ``.keras`` zip: config.json, metadata.json, model.weights.h5
``load_model``            the same back, compiled with its optimizer state when saved so
``save_weights``          ``.weights.h5``: only the HDF5 weights (and optimizer state)
``load_weights``          from a ``.weights.h5`` or a ``.keras`` file
``model_to_json``         config.json's content as a string (``model.to_json()``)
``model_from_json``       a model from that string
========================  ===================================================================

Every write goes through :func:`.atomic.atomic_write`, so a failure or a kill
mid-save leaves the previous file intact. Every read goes through the checks of
:mod:`.keras_file`, :mod:`.serialization` and :mod:`.weights_h5`; a bad file raises
:class:`InvalidModelFileError` naming the problem and the path.
"""

from __future__ import annotations

import os

from . import keras_file, serialization, weights_h5
from .atomic import atomic_write
from .errors import InvalidModelFileError

__all__ = ["load_model", "load_weights", "model_from_json", "model_to_json", "save_model", "save_weights"]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _no_custom_objects(custom_objects):
    if custom_objects:
        raise ValueError(
            "glassnet loads only its built-in classes (a saved model is data, never code), so "
            f"custom_objects is not supported. Received: {sorted(custom_objects)}"
        )


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Save ``model`` as a Keras 3 ``.keras`` file: architecture, weights, compile settings and
    optimizer state (so ``fit`` can resume where it stopped).

    Args:
        model: a Sequential model.
        filepath: a path ending in ``.keras``.
        overwrite: if False, raise FileExistsError when the file exists.

    Example:
        >>> import os, tempfile
        >>> import glassnet as tf
        >>> model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> model.save(path)
        >>> tf.keras.models.load_model(path).get_weights()[0].shape
        (3, 2)
    """
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(
            "The file path must end in '.keras' (glassnet writes the Keras 3 format only; for weights "
            f"alone use save_weights('....weights.h5')). Received: filepath={path!r}"
        )
    config = serialization.model_to_dict(model)
    meta = keras_file.metadata(_glassnet_version())
    with atomic_write(path, overwrite) as f:
        keras_file.write_keras_file(f, config, meta, lambda: weights_h5.write_weights(model))


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):  # noqa: A002
    """Load a ``.keras`` file written by glassnet or Keras 3 (built-in layers only).

    Args:
        filepath: the ``.keras`` file.
        custom_objects: not supported (must be None or empty): files name built-in classes only.
        compile: compile the model as saved and restore the optimizer state (default True).
        safe_mode: accepted for Keras compatibility; glassnet is always safe (it never
            loads code, whatever this says).

    Raises:
        InvalidModelFileError: the file is not a readable ``.keras`` archive, or its
            config or weights are invalid, hostile or inconsistent (the message says which).
        FileNotFoundError: there is no such file.
    """
    _no_custom_objects(custom_objects)
    path = os.fspath(filepath)
    _reject_hdf5(path)
    config, _, weights = keras_file.read_keras_file(path)
    try:
        model = serialization.model_from_dict(config, compile=compile)
        weights_h5.read_weights(model, weights, keras_file.WEIGHTS_NAME,
                                optimizer="strict" if compile else "skip")
    except InvalidModelFileError as err:
        raise err.at(path) from None
    return model


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Save the weights (and the optimizer state, when compiled) as Keras 3's ``.weights.h5``."""
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The file path must end in '.weights.h5'. Received: filepath={path!r}")
    data = weights_h5.write_weights(model)
    with atomic_write(path, overwrite) as f:
        f.write(data)


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights saved by ``save_weights`` or ``save`` (glassnet or Keras 3) into ``model``.

    The model must have the same layers, built. Shapes are checked before anything
    is set. The optimizer state is restored when the file has one and the model is
    compiled with an optimizer it fits; otherwise it is skipped with a warning.
    """
    if skip_mismatch:
        raise ValueError("skip_mismatch=True is not supported: every weight must match its layer.")
    path = os.fspath(filepath)
    try:
        if path.endswith(".keras"):
            _, _, data = keras_file.read_keras_file(path)
            source = keras_file.WEIGHTS_NAME
        else:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"No such weights file: {path!r}")
            size = os.path.getsize(path)
            if size > keras_file.MAX_MEMBER_BYTES:
                raise InvalidModelFileError(
                    f"the file is {size} bytes, over the limit of {keras_file.MAX_MEMBER_BYTES}")
            with open(path, "rb") as f:
                data = f.read()
            source = "the weights file"
        weights_h5.read_weights(model, data, source, optimizer="warn")
    except InvalidModelFileError as err:
        raise err.at(path) from None


def model_to_json(model, **kwargs) -> str:
    """The model's Keras 3 config (config.json's content) as a JSON string; ``kwargs`` go to ``json.dumps``."""
    return keras_file.dumps(serialization.model_to_dict(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (built, untrained; compiled when the JSON says how) from ``model_to_json``'s output
    or Keras 3's ``model.to_json()``."""
    _no_custom_objects(custom_objects)
    data = json_string.encode("utf-8") if isinstance(json_string, str) else bytes(json_string)
    config = keras_file.read_json(data, "the JSON string")
    return serialization.model_from_dict(config, where="the JSON string")


def _reject_hdf5(path):
    """A clearer error than 'not a zip' for HDF5 files given to load_model."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return
    if head == _HDF5_SIGNATURE:
        raise InvalidModelFileError(
            "this is an HDF5 file (Keras 2's legacy .h5 model or a .weights.h5 file), not a .keras zip "
            "archive; load weights with model.load_weights(path)", path
        )


def _glassnet_version() -> str:
    from .. import __version__

    return __version__
