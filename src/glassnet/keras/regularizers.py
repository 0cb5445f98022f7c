"""``tf.keras.regularizers``: weight penalties."""

from glassnet.regularizers import L1 as L1
from glassnet.regularizers import L1L2 as L1L2
from glassnet.regularizers import L2 as L2
from glassnet.regularizers import Regularizer as Regularizer
from glassnet.regularizers import get as get
from glassnet.regularizers import serialize as serialize
