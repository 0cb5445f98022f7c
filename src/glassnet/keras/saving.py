"""``tf.keras.saving``: saving and loading models and weights (data only, never pickle)."""

from glassnet.saving import load_model as load_model
from glassnet.saving import save_model as save_model
