"""Weights in Keras 3's HDF5 layout: ``model.weights.h5`` inside a ``.keras`` file, and ``.weights.h5``.

The layout (what Keras 3's saving code walks)::

    vars/                          the model's own variables (none for Sequential)
    layers/<path>/vars/<i>         the i-th variable of a layer: trainable ones first
    optimizer/vars/<i>             the optimizer state, in Keras's order (see optimizer_order)

``<path>`` is not the layer's name: Keras names each layer of ``model.layers`` after
its class, snake-cased, with a counter for repeats (``dense``, ``dense_1``,
``conv2d``, ``leaky_re_lu``), so two models of the same architecture share paths
whatever their layers are called. Each ``vars`` group carries a ``name`` attribute.

Reading opens the file from memory and trusts nothing: only hard links are followed
(soft or external links could point outside the file), datasets must be plain
numeric arrays (no object, string, compound or reference dtypes, no external or
virtual storage), and each one's shape is compared with the variable it is for
before its data is read. h5py is imported here, when weights are first saved or
loaded, so ``import glassnet`` does not pay for it.
"""

from __future__ import annotations

import io
import math
import re
import warnings

import numpy as np

from .errors import InvalidModelFileError
from .optimizer_order import keras_order

__all__ = ["layer_paths", "read_weights", "write_weights"]

# What h5py raises on a damaged file (its C library's errors arrive as these).
_H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, OverflowError, IndexError)
#: The most bytes one dataset may declare.
MAX_DATASET_BYTES = 2 << 30
_WORD_START = re.compile(r"(?<=.)(?=[A-Z][a-z])")   # before a capitalized word: 'LeakyReLU' -> 'Leaky_ReLU'
_LOWER_UPPER = re.compile(r"(?<=[a-z])(?=[A-Z])")   # between a lower and an upper letter: 'Re_LU'


def _h5py():
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise ImportError("Saving and loading weights needs h5py: pip install h5py") from None
    return h5py


def keras_path_name(class_name: str) -> str:
    """The snake-cased class name Keras uses for a layer's weights group.

    Example:
        >>> [keras_path_name(n) for n in ("Dense", "LeakyReLU", "Conv2D", "MaxPooling2D")]
        ['dense', 'leaky_re_lu', 'conv2d', 'max_pooling2d']
    """
    name = re.sub(r"\W", "", class_name)
    return _LOWER_UPPER.sub("_", _WORD_START.sub("_", name)).lower()


def layer_paths(model) -> list:
    """``[(path, layer)]`` for ``model.layers``: 'layers/dense', 'layers/dense_1', ..."""
    seen: dict = {}
    paths = []
    for layer in model.layers:
        base = keras_path_name(type(layer).__name__)
        count = seen.get(base, -1) + 1
        seen[base] = count
        paths.append((f"layers/{base}" if count == 0 else f"layers/{base}_{count}", layer))
    return paths


def _host(array):
    """A NumPy copy of a NumPy or CuPy array."""
    return np.asarray(array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array)


# ----- writing ------------------------------------------------------------------------------
def _write_vars(parent, path: str, name: str, arrays) -> None:
    """Create ``<path>/vars`` holding ``arrays`` as datasets '0', '1', ... and a name attribute."""
    group = parent.create_group(f"{path}/vars" if path else "vars")
    group.attrs["name"] = name
    for i, array in enumerate(arrays):
        group.create_dataset(str(i), data=_host(array))


def optimizer_arrays(optimizer) -> list:
    """The optimizer state as arrays in Keras's order (``learning_rate`` included when a number)."""
    state = optimizer.get_state()
    if "learning_rate" not in state and isinstance(optimizer.get_config().get("learning_rate"), float):
        # a callable rate is saved as its value, so the reloaded optimizer has the variable
        state = {"iterations": state.pop("iterations"),
                 "learning_rate": np.array(optimizer.learning_rate, dtype=np.float64), **state}
    return [state[name] for name in keras_order(optimizer, state)]


def write_weights(model, include_optimizer: bool = True) -> bytes:
    """The bytes of an HDF5 file holding the model's weights (and optimizer state) in Keras's layout."""
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _write_vars(f, "", model.name, [])
        f.create_group("layers")
        for path, layer in layer_paths(model):
            _write_vars(f, path, layer.name, layer.get_weights())
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and optimizer is not None:
            _write_vars(f, "optimizer", optimizer.name, optimizer_arrays(optimizer))
    return buffer.getvalue()


# ----- reading -------------------------------------------------------------------------------
class _Reader:
    """Checked access to one HDF5 file held in memory."""

    def __init__(self, h5py, f, source):
        self.h5py, self.f, self.source = h5py, f, source

    def error(self, problem):
        return InvalidModelFileError(f"{self.source}: {problem}")

    def group(self, path):
        """The group at ``path`` (following hard links only), or None when absent."""
        node = self.f
        walked = ""
        for part in path.split("/"):
            walked = f"{walked}/{part}" if walked else part
            link = node.get(part, getlink=True)
            if link is None:
                return None
            if not isinstance(link, self.h5py.HardLink):
                raise self.error(f"{walked} is a link ({type(link).__name__}); only plain groups and datasets "
                                 "are read (a link could point outside the file)")
            node = node[part]
            if not isinstance(node, self.h5py.Group):
                raise self.error(f"{walked} should be a group but is a {type(node).__name__}")
        return node

    def check_no_extra_layers(self, known):
        """Refuse weights for layers the model does not have (the file is for another model)."""
        layers = self.group("layers")
        for name in [] if layers is None else layers.keys():
            path = f"layers/{name}"
            if path not in known and len(self.group(f"{path}/vars") or ()):
                raise self.error(f"{path} holds weights, but the model has no layer at that path "
                                 f"(its layers are at {sorted(known)}): the file is for another model")

    def datasets(self, path, expected_count, who):
        """The datasets '0'..'n-1' of group ``path`` (checked to be exactly ``expected_count``)."""
        group = self.group(path)
        if group is None:
            if expected_count:
                raise self.error(f"missing {path}: {who} has {expected_count} variables to load")
            return []
        keys = sorted(group.keys(), key=lambda k: (len(k), k))
        wanted = [str(i) for i in range(expected_count)]
        if keys != wanted:
            raise self.error(f"{path} holds {len(keys)} variables {keys[:10]}, but {who} has {expected_count}")
        found = []
        for key in keys:
            link = group.get(key, getlink=True)
            if not isinstance(link, self.h5py.HardLink):
                raise self.error(f"{path}/{key} is a link ({type(link).__name__}); only plain datasets are read")
            dataset = group[key]
            if not isinstance(dataset, self.h5py.Dataset):
                raise self.error(f"{path}/{key} should be a dataset but is a {type(dataset).__name__}")
            found.append(dataset)
        return found

    def read(self, dataset, path, shape, who):
        """The array of ``dataset`` after checking its storage, dtype and ``shape``."""
        if dataset.shape is None:
            raise self.error(f"{path} is an empty (null) dataset; expected an array of shape {shape}")
        if dataset.is_virtual or dataset.external:
            raise self.error(f"{path} stores its data outside the file (virtual or external); refusing to read it")
        if dataset.dtype.kind not in "biuf" or dataset.dtype.names is not None:
            raise self.error(f"{path} has dtype {dataset.dtype}, not a plain numeric array")
        if dataset.dtype.itemsize * math.prod(dataset.shape) > MAX_DATASET_BYTES:
            raise self.error(f"{path} declares shape {dataset.shape}, over {MAX_DATASET_BYTES} bytes")
        if tuple(dataset.shape) != tuple(shape):
            raise self.error(f"{path} has shape {tuple(dataset.shape)}, but {who} expects {tuple(shape)}")
        return np.asarray(dataset[()])


def _open(data: bytes, source: str):
    h5py = _h5py()
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except _H5_ERRORS as err:
        raise InvalidModelFileError(f"{source} is not a valid HDF5 file ({err})") from None
    return _Reader(h5py, f, source)


def read_weights(model, data: bytes, source: str = "model.weights.h5", optimizer: str = "strict") -> None:
    """Set the model's weights (and optimizer state) from HDF5 ``data`` in Keras's layout.

    Every layer's arrays are read and checked before any is set, so a bad file
    changes nothing. ``optimizer``: 'strict' (a .keras file: a state that does not
    fit the optimizer is an error), 'warn' (``load_weights``: it is skipped with a
    warning) or 'skip'.
    """
    reader = _open(data, source)
    try:
        staged = []
        paths = layer_paths(model)
        reader.check_no_extra_layers({path for path, _ in paths})
        for path, layer in paths:
            who = f'layer "{layer.name}" ({type(layer).__name__})'
            if not layer.built:
                who += " (not built yet: build the model or call it on data before loading weights)"
            variables = layer.weights
            datasets = reader.datasets(f"{path}/vars", len(variables), who)
            arrays = [reader.read(d, f"{path}/vars/{i}", v.data.shape, who)
                      for i, (d, v) in enumerate(zip(datasets, variables))]
            staged.append((layer, arrays))
        restore = None
        if optimizer != "skip" and getattr(model, "optimizer", None) is not None:
            restore = _stage_optimizer(reader, model, strict=optimizer == "strict")
    except InvalidModelFileError:
        raise
    except _H5_ERRORS as err:
        raise reader.error(f"is corrupt ({type(err).__name__}: {err})") from None
    finally:
        reader.f.close()
    for layer, arrays in staged:
        layer.set_weights(arrays)
    if restore is not None:
        restore()


def _stage_optimizer(reader, model, strict):
    """Read the optimizer state; return a function that sets it (or None if there is none)."""
    group = reader.group("optimizer/vars")
    if group is None:
        return None
    optimizer = model.optimizer
    count = len(group.keys())
    state = optimizer.get_state()
    if count != len(state) and not optimizer.built and model.trainable_weights:
        optimizer.build(model.trainable_weights)  # the saved state has slots: make ours
        state = optimizer.get_state()
    names = keras_order(optimizer, state)
    if count != len(names):
        message = (f"optimizer/vars holds {count} variables, but {type(optimizer).__name__} "
                   f"{optimizer.name!r} for this model has {len(names)} ({names[:6]}...)")
        if strict:
            raise reader.error(message)
        warnings.warn(f"Skipping the optimizer state of {reader.source}: {message}.", stacklevel=4)
        return None
    who = f"optimizer state {{}} of {type(optimizer).__name__}"
    datasets = reader.datasets("optimizer/vars", count, "the optimizer")
    values = {name: reader.read(d, f"optimizer/vars/{i}", np.shape(state[name]), who.format(repr(name)))
              for i, (name, d) in enumerate(zip(names, datasets))}
    iterations = values.get("iterations")
    if iterations is not None and (iterations.dtype.kind not in "iu" or int(iterations) < 0):
        raise reader.error(f"optimizer/vars/0 (iterations) must be an integer >= 0, not {iterations!r}")
    return lambda: optimizer.set_state(values)
