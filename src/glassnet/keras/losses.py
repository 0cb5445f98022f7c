"""``tf.keras.losses``: losses as objects and functions."""

from glassnet.losses import BinaryCrossentropy as BinaryCrossentropy
from glassnet.losses import CategoricalCrossentropy as CategoricalCrossentropy
from glassnet.losses import Huber as Huber
from glassnet.losses import KLDivergence as KLDivergence
from glassnet.losses import LogCosh as LogCosh
from glassnet.losses import Loss as Loss
from glassnet.losses import LossFunctionWrapper as LossFunctionWrapper
from glassnet.losses import MeanAbsoluteError as MeanAbsoluteError
from glassnet.losses import MeanSquaredError as MeanSquaredError
from glassnet.losses import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from glassnet.losses import binary_crossentropy as binary_crossentropy
from glassnet.losses import categorical_crossentropy as categorical_crossentropy
from glassnet.losses import deserialize as deserialize
from glassnet.losses import get as get
from glassnet.losses import huber as huber
from glassnet.losses import kl_divergence as kl_divergence
from glassnet.losses import kld as kld
from glassnet.losses import log_cosh as log_cosh
from glassnet.losses import logcosh as logcosh
from glassnet.losses import mae as mae
from glassnet.losses import mean_absolute_error as mean_absolute_error
from glassnet.losses import mean_squared_error as mean_squared_error
from glassnet.losses import mse as mse
from glassnet.losses import serialize as serialize
from glassnet.losses import sparse_categorical_crossentropy as sparse_categorical_crossentropy

# The seeds' notes spell these with a capital E; TensorFlow has no such names, but a
# learner copying the notes should not be stopped by the spelling.
from glassnet.losses import BinaryCrossentropy as BinaryCrossEntropy  # noqa: E402
from glassnet.losses import CategoricalCrossentropy as CategoricalCrossEntropy  # noqa: E402
from glassnet.losses import SparseCategoricalCrossentropy as SparseCategoricalCrossEntropy  # noqa: E402
