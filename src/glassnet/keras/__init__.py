"""``tf.keras``: the Keras-compatible surface, names only (the objects live below).

``import glassnet as tf`` then ``tf.keras.layers.Dense``, ``tf.keras.Sequential``,
``tf.keras.losses.BinaryCrossentropy``; or ``from glassnet.keras.layers import Dense``.
"""

from . import activations as activations
from . import callbacks as callbacks
from . import datasets as datasets
from . import initializers as initializers
from . import layers as layers
from . import losses as losses
from . import metrics as metrics
from . import models as models
from . import optimizers as optimizers
from . import regularizers as regularizers
from . import saving as saving
from glassnet.layers import Input as Input
from glassnet.layers import InputLayer as InputLayer
from glassnet.models import Model as Model
from glassnet.models import Sequential as Sequential
