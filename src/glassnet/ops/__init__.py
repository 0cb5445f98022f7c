"""Floor 3: every differentiable primitive, one module per family.

Each op is a :class:`glassnet.autograd.Function` subclass (listed in
``glassnet.autograd.REGISTRY``) with a one-line public wrapper named as in NumPy
or TensorFlow.
"""

from . import activation, elementwise, linalg, losses, probability_losses, reduction, shape, softmax_ops
from . import conv
from . import normalization
from . import pooling
from . import random_ops
from .activation import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .linalg import *  # noqa: F403
from .losses import *  # noqa: F403
from .probability_losses import *  # noqa: F403
from .reduction import *  # noqa: F403
from .shape import *  # noqa: F403
from .softmax_ops import *  # noqa: F403
from .conv import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .random_ops import *  # noqa: F403
from . import tensor_methods as _tensor_methods  # noqa: F401  (gives Tensor its operators)

__all__ = (
    activation.__all__ + elementwise.__all__ + linalg.__all__ + losses.__all__ + probability_losses.__all__
    + reduction.__all__ + shape.__all__ + softmax_ops.__all__
    + conv.__all__
    + normalization.__all__
    + pooling.__all__
    + random_ops.__all__
)
