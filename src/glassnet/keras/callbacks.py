"""``tf.keras.callbacks``: hooks into ``fit``."""

from glassnet.training import CallbackList as CallbackList
from glassnet.training import Callback as Callback
from glassnet.training import CSVLogger as CSVLogger
from glassnet.training import EarlyStopping as EarlyStopping
from glassnet.training import History as History
from glassnet.training import LambdaCallback as LambdaCallback
from glassnet.training import LearningRateScheduler as LearningRateScheduler
from glassnet.training import ModelCheckpoint as ModelCheckpoint
from glassnet.training import ProgbarLogger as ProgbarLogger
from glassnet.training import ReduceLROnPlateau as ReduceLROnPlateau
from glassnet.training import TerminateOnNaN as TerminateOnNaN
