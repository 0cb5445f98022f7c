"""Floor 4: Keras-style layers. Each follows the lifecycle of :class:`Layer`."""

from .base import KerasTensor as KerasTensor
from .base import Layer as Layer
from .dense import Dense as Dense
from .input_layer import Input as Input
from .input_layer import InputLayer as InputLayer
