"""Floor 5: the training loop, batching, callbacks and the progress display."""

from .callbacks import Callback as Callback
from .callbacks import History as History
from .progress import ProgbarLogger as ProgbarLogger
