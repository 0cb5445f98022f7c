"""Floor 4: Keras-style layers. Each follows the lifecycle of :class:`Layer`."""

from .activation_layers import Activation as Activation
from .activation_layers import LeakyReLU as LeakyReLU
from .activation_layers import ReLU as ReLU
from .activation_layers import Softmax as Softmax
from .base import KerasTensor as KerasTensor
from .base import Layer as Layer
from .dense import Dense as Dense
from .input_layer import Input as Input
from .input_layer import InputLayer as InputLayer
from .normalization import Normalization as Normalization
