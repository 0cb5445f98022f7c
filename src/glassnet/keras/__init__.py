"""``tf.keras``: the Keras-compatible surface, names only (the objects live below).

``import glassnet as tf`` then ``tf.keras.layers.Dense``, ``tf.keras.Sequential``,
``tf.keras.losses.BinaryCrossentropy``; or ``from glassnet.keras.layers import Dense``.
"""

from . import activations as activations
from . import callbacks as callbacks
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


def __getattr__(name):
    """``keras.datasets`` (MNIST, Fashion-MNIST) is imported when first used: 13 ms of
    ``import glassnet`` otherwise."""
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'glassnet.keras' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "datasets"])
