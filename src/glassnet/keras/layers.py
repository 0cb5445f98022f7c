"""``tf.keras.layers``: the layers (the same classes as ``glassnet.layers``)."""

from glassnet.layers import Activation as Activation
from glassnet.layers import Dense as Dense
from glassnet.layers import Input as Input
from glassnet.layers import InputLayer as InputLayer
from glassnet.layers import KerasTensor as KerasTensor
from glassnet.layers import Layer as Layer
from glassnet.layers import LeakyReLU as LeakyReLU
from glassnet.layers import Normalization as Normalization
from glassnet.layers import ReLU as ReLU
from glassnet.layers import Softmax as Softmax
