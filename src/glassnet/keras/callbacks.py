"""``tf.keras.callbacks``: hooks into ``fit``."""

from glassnet.training import Callback as Callback
from glassnet.training import History as History
from glassnet.training import ProgbarLogger as ProgbarLogger
