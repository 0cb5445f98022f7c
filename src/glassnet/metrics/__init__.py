"""Keras's metrics: stateful accumulators computed on NumPy arrays, outside the graph.

A metric's ``update_state(y_true, y_pred, sample_weight=None)`` adds a batch,
``result()`` returns the value so far as a Python float and ``reset_state()``
starts over; ``fit`` resets them each epoch. Tensors are converted with
``np.asarray``, so metrics never add nodes to the graph. Targets of shape ``(n,)``
against predictions ``(n, 1)`` are aligned as the losses align them.

``'accuracy'`` means different things for different targets; :func:`resolve_accuracy`
picks binary, sparse categorical or categorical accuracy as Keras does.

Example:
    >>> import numpy as np
    >>> from glassnet.metrics import SparseCategoricalAccuracy
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.update_state(np.array([1]), np.array([[0.3, 0.7]]))
    >>> round(m.result(), 4)
    0.6667
"""

# The package's files, one concept each: base (Metric, Mean, MeanMetricWrapper), accuracy,
# regression, confusion (Precision, Recall, AUC), registry (get, serialize, resolve_accuracy).
from .base import Mean as Mean
from .base import MeanMetricWrapper as MeanMetricWrapper
from .base import Metric as Metric
from .accuracy import BinaryAccuracy as BinaryAccuracy
from .accuracy import CategoricalAccuracy as CategoricalAccuracy
from .accuracy import SparseCategoricalAccuracy as SparseCategoricalAccuracy
from .accuracy import SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy
from .accuracy import TopKCategoricalAccuracy as TopKCategoricalAccuracy
from .accuracy import binary_accuracy as binary_accuracy
from .accuracy import categorical_accuracy as categorical_accuracy
from .accuracy import sparse_categorical_accuracy as sparse_categorical_accuracy
from .accuracy import sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy
from .accuracy import top_k_categorical_accuracy as top_k_categorical_accuracy
from .regression import MeanAbsoluteError as MeanAbsoluteError
from .regression import MeanSquaredError as MeanSquaredError
from .regression import mae as mae
from .regression import mean_absolute_error as mean_absolute_error
from .regression import mean_squared_error as mean_squared_error
from .regression import mse as mse
from .confusion import AUC as AUC
from .confusion import Precision as Precision
from .confusion import Recall as Recall
from .registry import get as get
from .registry import resolve_accuracy as resolve_accuracy
from .registry import serialize as serialize

__all__ = [
    "AUC", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "Recall",
    "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy",
    "binary_accuracy", "categorical_accuracy", "get", "mae", "mean_absolute_error",
    "mean_squared_error", "mse", "resolve_accuracy", "serialize", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]
