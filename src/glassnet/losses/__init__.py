"""Keras's losses, as functions (one loss per example) and as objects (one scalar per batch).

A loss function ``f(y_true, y_pred)`` returns the loss of each example: the mean (or,
for the cross-entropies over classes, the sum) over the last axis, as Keras computes
it. A :class:`Loss` object calls its function, weights each example by
``sample_weight`` and reduces over the batch. Predictions are glassnet Tensors in
the graph, so the gradient reaches the model through the ops used here; targets are
usually NumPy arrays and are cast to the predictions' dtype (float32 stays float32).

Targets of shape ``(n,)`` against predictions ``(n, 1)`` are aligned (reshaped to
``(n, 1)``), never broadcast to ``(n, n)``; any other shape mismatch is a ValueError
that names both shapes.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet.losses import BinaryCrossentropy
    >>> y_pred = gn.tensor([[0.9], [0.2]], requires_grad=True)
    >>> loss = BinaryCrossentropy()(np.array([1, 0]), y_pred)
    >>> round(float(loss), 4)
    0.1643
    >>> loss.backward()
    >>> y_pred.grad.numpy().round(4)
    array([[-0.5556],
           [ 0.625 ]], dtype=float32)
"""

# The package's files, one concept each: base (Loss, LossFunctionWrapper, reductions),
# crossentropy, regression (and the KL divergence), registry (get, serialize, deserialize).
from .base import Loss as Loss
from .base import LossFunctionWrapper as LossFunctionWrapper
from .crossentropy import BinaryCrossentropy as BinaryCrossentropy
from .crossentropy import CategoricalCrossentropy as CategoricalCrossentropy
from .crossentropy import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from .crossentropy import binary_crossentropy as binary_crossentropy
from .crossentropy import categorical_crossentropy as categorical_crossentropy
from .crossentropy import sparse_categorical_crossentropy as sparse_categorical_crossentropy
from .regression import Huber as Huber
from .regression import KLDivergence as KLDivergence
from .regression import LogCosh as LogCosh
from .regression import MeanAbsoluteError as MeanAbsoluteError
from .regression import MeanSquaredError as MeanSquaredError
from .regression import huber as huber
from .regression import kl_divergence as kl_divergence
from .regression import kld as kld
from .regression import log_cosh as log_cosh
from .regression import logcosh as logcosh
from .regression import mae as mae
from .regression import mean_absolute_error as mean_absolute_error
from .regression import mean_squared_error as mean_squared_error
from .regression import mse as mse
from .registry import deserialize as deserialize
from .registry import get as get
from .registry import serialize as serialize

# Importable as before, though not in __all__: the reductions and Keras's other aliases.
from .base import REDUCTIONS as REDUCTIONS  # noqa: F401
from .regression import KLD as KLD  # noqa: F401
from .regression import MAE as MAE  # noqa: F401
from .regression import MSE as MSE  # noqa: F401
from .regression import kullback_leibler_divergence as kullback_leibler_divergence  # noqa: F401

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "Huber", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
    "binary_crossentropy", "categorical_crossentropy", "deserialize", "get", "huber", "kl_divergence",
    "kld", "log_cosh", "logcosh", "mae", "mean_absolute_error", "mean_squared_error", "mse",
    "serialize", "sparse_categorical_crossentropy",
]
