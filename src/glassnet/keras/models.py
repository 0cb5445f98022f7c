"""``tf.keras.models``: model classes."""

from glassnet.models import Model as Model
from glassnet.models import Sequential as Sequential
from glassnet.saving import load_model as load_model
from glassnet.saving import model_from_json as model_from_json
from glassnet.saving import save_model as save_model
