"""glassnet: neural networks you can see through, on NumPy.

A reverse-mode autodiff engine of its own (tensors, a visible computation graph,
one forward and backward rule per op) under a Keras-compatible model API.

Example:
    >>> import glassnet as gn
    >>> w = gn.Variable(3.0)
    >>> J = w ** 2
    >>> J.backward()
    >>> float(w.grad)
    6.0
"""

from . import autograph as autograph
from . import backend as backend
from . import config as config
from . import nn as nn
from . import random as random
from . import testing as testing
from .autograd import Function as Function
from .autograd import GradientTape as GradientTape
from .autograd import Tensor as Tensor
from .autograd import Variable as Variable
from .autograd import enable_grad as enable_grad
from .autograd import grad as grad
from .autograd import is_grad_enabled as is_grad_enabled
from .autograd import no_grad as no_grad
from .autograd import tensor as tensor
from .testing import derivative as derivative
from .ops import abs as abs
from .ops import add as add
from .ops import broadcast_to as broadcast_to
from .ops import cast as cast
from .ops import clip as clip
from .ops import concatenate as concatenate
from .ops import divide as divide
from .ops import dot as dot
from .ops import equal as equal
from .ops import exp as exp
from .ops import expand_dims as expand_dims
from .ops import getitem as getitem
from .ops import greater as greater
from .ops import greater_equal as greater_equal
from .ops import less as less
from .ops import less_equal as less_equal
from .ops import log as log
from .ops import log1p as log1p
from .ops import matmul as matmul
from .ops import max as max
from .ops import maximum as maximum
from .ops import mean as mean
from .ops import min as min
from .ops import minimum as minimum
from .ops import multiply as multiply
from .ops import negative as negative
from .ops import not_equal as not_equal
from .ops import pad as pad
from .ops import power as power
from .ops import reshape as reshape
from .ops import sqrt as sqrt
from .ops import square as square
from .ops import squeeze as squeeze
from .ops import stack as stack
from .ops import std as std
from .ops import subtract as subtract
from .ops import sum as sum
from .ops import transpose as transpose
from .ops import var as var
from .ops import where as where

from . import keras as keras  # noqa: E402  (after the ops it is built on)

__version__ = "0.1.0"


def __getattr__(name):
    """``glassnet.viz`` is imported when first used: it is 15 ms of ``import glassnet``."""
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "viz"])
