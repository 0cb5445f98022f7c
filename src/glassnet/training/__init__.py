"""Floor 5: the training loop, batching, callbacks and the progress display."""

from .callbacks import Callback as Callback
from .callbacks import CallbackList as CallbackList
from .callbacks import History as History
from .checkpoint import ModelCheckpoint as ModelCheckpoint
from .csv_logger import CSVLogger as CSVLogger
from .lambda_callback import LambdaCallback as LambdaCallback
from .progress import ProgbarLogger as ProgbarLogger
from .schedulers import LearningRateScheduler as LearningRateScheduler
from .schedulers import ReduceLROnPlateau as ReduceLROnPlateau
from .stopping import EarlyStopping as EarlyStopping
from .stopping import TerminateOnNaN as TerminateOnNaN
from .numerics import NonFiniteError as NonFiniteError
