"""`Layer`: the Keras lifecycle, and nothing about gradients.

A layer validates its configuration in ``__init__``, creates its weights once in
``build(input_shape)`` (called on the first input, or earlier when the input shape
is known), computes in ``call(inputs, training)`` by composing ops, and describes
itself with ``compute_output_shape`` and ``get_config``. Backpropagation happens in
the ops the layer calls; a layer never writes a gradient rule.

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Dense
    >>> layer = Dense(3, name="demo")
    >>> layer.built, layer(np.ones((2, 4))).shape, layer.built
    (False, TensorShape([2, 3]), True)
    >>> [w.name for w in layer.weights]
    ['demo/kernel:0', 'demo/bias:0']
"""

from __future__ import annotations

import collections
import re

import numpy as np

from .. import activations, backend, regularizers
from ..autograd import Tensor, Variable, as_array
from ..autograd.tensor_shape import TensorShape
from .. import initializers as initializers_module

__all__ = ["KerasTensor", "Layer", "unique_name"]

_name_counts: collections.Counter = collections.Counter()


def unique_name(base: str) -> str:
    """Return ``base``, then ``base_1``, ``base_2`` ... for each later call in this process."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name: str) -> str:
    """'BatchNormalization' -> 'batch_normalization', 'ReLU' -> 're_lu' (as Keras names them)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def weight_array(value, variable, layer, index):
    """``value`` as an array that fits ``variable`` of ``layer``, the check ``set_weights``
    runs on ``weights[index]`` (a model's index counts across its layers)."""
    try:
        array = as_array(value)
    except (ValueError, TypeError) as err:
        raise type(err)(
            f"weights[{index}] ({variable.name}): expected a numeric array of shape "
            f"{tuple(variable.data.shape)}, received {type(value).__name__} that is not one ({err})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f'Layer "{layer.name}": weight {variable.name} must be numeric. '
            f"Received: weights[{index}] with dtype={array.dtype}"
        )
    if tuple(array.shape) != tuple(variable.data.shape):
        raise ValueError(
            f'Layer "{layer.name}": weight {variable.name} has shape {tuple(variable.data.shape)}, '
            f"but the value given has shape {tuple(array.shape)}."
        )
    return array


def set_kernel_options(layer, activation, use_bias, kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer) -> None:
    """The settings every kernel-and-bias layer (Dense, Conv1D, Conv2D) resolves the same way:
    names become objects; the weights themselves come at build time."""
    layer.activation = activations.get(activation)
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = initializers_module.get(kernel_initializer)
    layer.bias_initializer = initializers_module.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel = None
    layer.bias = None


def kernel_options_config(layer) -> dict:
    """The config entries of :func:`set_kernel_options`' settings, as Keras names them."""
    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        "kernel_initializer": initializers_module.serialize(layer.kernel_initializer),
        "bias_initializer": initializers_module.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
    }


class KerasTensor:
    """A symbolic tensor: the shape and dtype a layer will see or produce, with no values.

    ``model.input`` and ``layer.output`` are these, so code can ask
    ``layer.output.shape.as_list()`` before any data has flowed.
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = TensorShape(shape)
        self.dtype = np.dtype(dtype)
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={tuple(self.shape)}, dtype={self.dtype.name}, name={self.name}>"


def _batch_shape(input_shape=None, input_dim=None, batch_input_shape=None):
    """The (None, ...) shape a layer was told to expect at construction, or None."""
    if batch_input_shape is not None:
        return tuple(batch_input_shape)
    if input_shape is not None:
        if isinstance(input_shape, int):
            input_shape = (input_shape,)
        return (None,) + tuple(input_shape)
    if input_dim is not None:
        return (None, int(input_dim))
    return None


class Layer:
    """Base class of every layer (Keras lifecycle: ``__init__`` → ``build`` → ``call``).

    Args:
        trainable: whether ``fit`` updates this layer's weights.
        name: a unique name; by default the snake-cased class name plus a counter
            (``dense``, ``dense_1``, ...).
        dtype: the dtype of weights and outputs (default: ``backend.floatx()``).
        input_shape, input_dim, batch_input_shape: the input this layer expects
            (without / with the batch axis), so a model can build before seeing data.
    """

    #: Whether float inputs are cast to the layer's dtype (False for index inputs).
    cast_inputs = True

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}."
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Layer name must be a non-empty string. Received: name={name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.dtype = np.dtype(dtype or backend.floatx()).name
        self.built = False
        self.batch_input_shape = _batch_shape(input_shape, input_dim, batch_input_shape)
        self.input = None
        self.output = None
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._regularized: list = []
        self._build_shape = None
        self._expected_last_dim = None

    # ----- freezing ---------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """Whether ``fit`` updates this layer's weights (settable, as in Keras)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        # A frozen layer's weights stop requiring gradients too, so no step computes the
        # gradients nobody applies (one matrix product per frozen Dense, each way).
        self._trainable = bool(value)
        for variable in getattr(self, "_trainable_weights", ()):
            variable.requires_grad = self._trainable and variable.data.dtype.kind in "fc"

    #: the fewest axes an input may have (Keras's InputSpec(min_ndim=...)); 0: any
    min_ndim = 0

    # ----- replaying a recorded step ------------------------------------------------
    #: True on a layer class whose ``call`` is ops only, keeping no state or randomness in
    #: Python, so a recorded training step through it may be replayed
    #: (:mod:`glassnet.autograd.replay`). Read from the class itself: a subclass that
    #: overrides ``call`` does not inherit it.
    replay_safe = False

    @property
    def replayable(self) -> bool:
        """Whether a training step through this layer may be replayed: its class is
        ``replay_safe`` and its activation and regularizers are glassnet's own."""
        if not type(self).__dict__.get("replay_safe", False):
            return False
        activation = self.__dict__.get("activation")
        if activation is not None and not activations.is_builtin(activation):
            return False
        return all(type(r).__module__ == regularizers.__name__ for _, r in self._regularized)

    # ----- lifecycle -----------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (layers without weights need nothing)."""
        self.built = True

    def call(self, inputs, training=False):  # pragma: no cover - the contract
        raise NotImplementedError(f"{type(self).__name__} must define call(inputs, training=False).")

    def compute_output_shape(self, input_shape) -> tuple:
        """The output shape for ``input_shape`` (batch axis included, None if unknown)."""
        return tuple(input_shape)

    def build_from_shape(self, input_shape) -> None:
        """Build once for ``input_shape`` (with batch axis) and record the symbolic input/output."""
        input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._build_shape = input_shape
        self.input = KerasTensor((None,) + input_shape[1:], dtype=self.dtype, name=f"{self.name}_input")
        self.output = KerasTensor(
            (None,) + tuple(self.compute_output_shape(input_shape))[1:], dtype=self.dtype, name=self.name
        )

    def __call__(self, inputs, training=False, **kwargs):
        """Convert ``inputs`` to a tensor of the layer's dtype, build if needed, then ``call``."""
        x = self._as_input_tensor(inputs)
        if x.data.ndim < self.min_ndim:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"min_ndim={self.min_ndim}, found ndim={x.data.ndim}. Full shape received: "
                f"{tuple(x.data.shape)}"
            )
        if not self.built:
            self.build_from_shape(x.data.shape)
        elif self._expected_last_dim is not None and (
            x.data.ndim == 0 or x.data.shape[-1] != self._expected_last_dim
        ):
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis -1 '
                f"of input shape to have value {self._expected_last_dim}, but received input with "
                f"shape {tuple(x.data.shape)}"
            )
        return self.call(x, training=training, **kwargs)

    def _as_input_tensor(self, inputs) -> Tensor:
        if isinstance(inputs, Tensor):
            data = inputs.data
            if not self.cast_inputs or data.dtype == self.dtype:
                return inputs
            if data.dtype.kind == "f" and inputs.requires_grad:
                from ..ops import cast  # floats in a graph keep their gradient through the cast

                return cast(inputs, self.dtype)
            return Tensor._from_op(data.astype(self.dtype), None)
        if inputs is None:
            raise TypeError(f'Layer "{self.name}": inputs: expected an array or a Tensor, received None')
        try:
            if self.cast_inputs and isinstance(inputs, (list, tuple, float)):
                # Python floats go to float64 first (as_array would round them to floatx), then
                # one cast to the layer's dtype: a float64 layer keeps their full precision
                inputs = np.asarray(inputs)
            array = as_array(inputs)
        except ValueError as err:  # ragged nested lists
            raise ValueError(
                f'Layer "{self.name}": inputs: expected a rectangular array, received ragged data ({err})'
            ) from None
        except TypeError:  # objects that are not numbers
            array = np.asarray(inputs, dtype=object)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f'Layer "{self.name}" expects numeric inputs. Received: dtype={array.dtype}'
            )
        if self.cast_inputs and array.dtype != self.dtype:
            array = array.astype(self.dtype)
        return Tensor._from_op(array, None)

    # ----- weights ---------------------------------------------------------------------
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype=None) -> Variable:
        """Create, register and return a weight named ``<layer>/<name>:0``."""
        init = initializers_module.get(initializer)
        dtype = np.dtype(dtype or self.dtype)
        value = np.asarray(init(tuple(shape), dtype=dtype), dtype=dtype)
        variable = Variable(value, trainable=trainable, name=f"{self.name}/{name}:0")
        if trainable and not self.trainable:  # built while frozen
            variable.requires_grad = False
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        if regularizer is not None:
            self._regularized.append((variable, regularizer))
        return variable

    @property
    def trainable_weights(self) -> list:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if self.trainable:
            return list(self._non_trainable_weights)
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def weights(self) -> list:
        """Trainable weights first, then non-trainable ones (Keras's order)."""
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def variables(self) -> list:
        return self.weights

    @property
    def losses(self) -> list:
        """The regularization penalties of this layer's weights, as scalar tensors."""
        return [regularizer(variable) for variable, regularizer in self._regularized]

    def get_weights(self) -> list:
        """Return copies of the weights as NumPy arrays (``[]`` before the layer is built)."""
        return [np.array(w.numpy(), copy=True) for w in self.weights]

    def set_weights(self, weights) -> None:
        """Overwrite the weights from a list of arrays in ``get_weights()`` order."""
        current = self.weights
        weights = list(weights)
        if len(weights) != len(current):
            raise ValueError(
                f'Layer "{self.name}" expects {len(current)} weight arrays, but received '
                f"{len(weights)}. Expected shapes: {[tuple(w.shape) for w in current]}"
            )
        arrays = [weight_array(value, variable, self, index)
                  for index, (variable, value) in enumerate(zip(current, weights))]
        for variable, array in zip(current, arrays):  # all checked first: nothing half-set
            variable.assign(array)

    def count_params(self) -> int:
        """The number of scalars in this layer's weights."""
        if not self.built:
            raise ValueError(
                f'You tried to call count_params on layer "{self.name}", but the layer isn\'t built. '
                "You can build it manually via: layer.build(input_shape)."
            )
        return int(sum(w.data.size for w in self.weights))

    # ----- configuration ------------------------------------------------------------
    def get_config(self) -> dict:
        """The arguments that rebuild this layer (``type(layer).from_config(config)``)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
