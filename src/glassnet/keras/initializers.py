"""``tf.keras.initializers``: weight initializers."""

from glassnet.initializers import Constant as Constant
from glassnet.initializers import GlorotNormal as GlorotNormal
from glassnet.initializers import GlorotUniform as GlorotUniform
from glassnet.initializers import HeNormal as HeNormal
from glassnet.initializers import HeUniform as HeUniform
from glassnet.initializers import Initializer as Initializer
from glassnet.initializers import LecunNormal as LecunNormal
from glassnet.initializers import LecunUniform as LecunUniform
from glassnet.initializers import Ones as Ones
from glassnet.initializers import RandomNormal as RandomNormal
from glassnet.initializers import RandomUniform as RandomUniform
from glassnet.initializers import TruncatedNormal as TruncatedNormal
from glassnet.initializers import VarianceScaling as VarianceScaling
from glassnet.initializers import Zeros as Zeros
from glassnet.initializers import get as get
from glassnet.initializers import serialize as serialize
