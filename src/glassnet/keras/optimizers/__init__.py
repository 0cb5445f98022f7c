"""``tf.keras.optimizers``: the optimizers and their schedules."""

from glassnet.optimizers import SGD as SGD
from glassnet.optimizers import Adagrad as Adagrad
from glassnet.optimizers import Adam as Adam
from glassnet.optimizers import AdamW as AdamW
from glassnet.optimizers import Nadam as Nadam
from glassnet.optimizers import Optimizer as Optimizer
from glassnet.optimizers import RMSprop as RMSprop
from glassnet.optimizers import deserialize as deserialize
from glassnet.optimizers import get as get
from glassnet.optimizers import serialize as serialize

from . import schedules as schedules
