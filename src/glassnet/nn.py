"""TensorFlow's ``tf.nn`` face: activations and fused cross-entropies, names only.

Everything here is defined in :mod:`glassnet.ops.activation`, :mod:`glassnet.ops.softmax_ops`
and :mod:`glassnet.ops.losses`; this module hands the names on.

Example:
    >>> import glassnet as gn
    >>> logits = gn.tensor([[1.0, 2.0, 3.0]])
    >>> gn.nn.softmax(logits).numpy().round(4)
    array([[0.09  , 0.2447, 0.6652]], dtype=float32)
    >>> gn.nn.sparse_softmax_cross_entropy_with_logits([2], logits).numpy().round(4)
    array([0.4076], dtype=float32)
"""

from .ops.activation import elu as elu
from .ops.activation import exponential as exponential
from .ops.activation import gelu as gelu
from .ops.activation import hard_sigmoid as hard_sigmoid
from .ops.activation import leaky_relu as leaky_relu
from .ops.activation import relu as relu
from .ops.activation import relu6 as relu6
from .ops.activation import selu as selu
from .ops.activation import sigmoid as sigmoid
from .ops.activation import silu as silu
from .ops.activation import softplus as softplus
from .ops.activation import softsign as softsign
from .ops.activation import swish as swish
from .ops.activation import tanh as tanh
from .ops.conv import conv1d as conv1d
from .ops.conv import conv2d as conv2d
from .ops.linalg import dense as dense
from .ops.losses import sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits
from .ops.losses import softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits
from .ops.losses import (
    sparse_softmax_cross_entropy_with_logits as sparse_softmax_cross_entropy_with_logits,
)
from .ops.normalization import batch_normalization as batch_normalization
from .ops.pooling import avg_pool1d as avg_pool1d
from .ops.pooling import avg_pool2d as avg_pool2d
from .ops.pooling import max_pool1d as max_pool1d
from .ops.pooling import max_pool2d as max_pool2d
from .ops.random_ops import dropout as dropout
from .ops.softmax_ops import log_softmax as log_softmax
from .ops.softmax_ops import logsumexp as logsumexp
from .ops.softmax_ops import logsumexp as reduce_logsumexp
from .ops.softmax_ops import softmax as softmax
