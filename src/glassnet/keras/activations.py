"""``tf.keras.activations``: Keras's activation functions (the same objects as ``glassnet.activations``)."""

from glassnet.activations import elu as elu
from glassnet.activations import exponential as exponential
from glassnet.activations import gelu as gelu
from glassnet.activations import get as get
from glassnet.activations import hard_sigmoid as hard_sigmoid
from glassnet.activations import leaky_relu as leaky_relu
from glassnet.activations import linear as linear
from glassnet.activations import log_softmax as log_softmax
from glassnet.activations import relu as relu
from glassnet.activations import relu6 as relu6
from glassnet.activations import selu as selu
from glassnet.activations import serialize as serialize
from glassnet.activations import sigmoid as sigmoid
from glassnet.activations import silu as silu
from glassnet.activations import softmax as softmax
from glassnet.activations import softplus as softplus
from glassnet.activations import softsign as softsign
from glassnet.activations import swish as swish
from glassnet.activations import tanh as tanh
