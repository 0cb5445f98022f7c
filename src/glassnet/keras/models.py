"""``tf.keras.models``: model classes."""

from glassnet.models import Model as Model
from glassnet.models import Sequential as Sequential
