"""``tf.keras.metrics``: metrics."""

from glassnet.metrics import AUC as AUC
from glassnet.metrics import BinaryAccuracy as BinaryAccuracy
from glassnet.metrics import CategoricalAccuracy as CategoricalAccuracy
from glassnet.metrics import Mean as Mean
from glassnet.metrics import MeanAbsoluteError as MeanAbsoluteError
from glassnet.metrics import MeanMetricWrapper as MeanMetricWrapper
from glassnet.metrics import MeanSquaredError as MeanSquaredError
from glassnet.metrics import Metric as Metric
from glassnet.metrics import Precision as Precision
from glassnet.metrics import Recall as Recall
from glassnet.metrics import SparseCategoricalAccuracy as SparseCategoricalAccuracy
from glassnet.metrics import SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy
from glassnet.metrics import TopKCategoricalAccuracy as TopKCategoricalAccuracy
from glassnet.metrics import binary_accuracy as binary_accuracy
from glassnet.metrics import categorical_accuracy as categorical_accuracy
from glassnet.metrics import get as get
from glassnet.metrics import mae as mae
from glassnet.metrics import mean_absolute_error as mean_absolute_error
from glassnet.metrics import mean_squared_error as mean_squared_error
from glassnet.metrics import mse as mse
from glassnet.metrics import resolve_accuracy as resolve_accuracy
from glassnet.metrics import serialize as serialize
from glassnet.metrics import sparse_categorical_accuracy as sparse_categorical_accuracy
from glassnet.metrics import sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy
from glassnet.metrics import top_k_categorical_accuracy as top_k_categorical_accuracy
