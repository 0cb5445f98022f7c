"""glassnet's compiled kernels, where the install built them; NumPy code everywhere else.

A training step of a small model is dozens of NumPy calls of a microsecond each, and an
optimizer step over a large one is a dozen passes over memory. A few loops, written in C
(``src/kernels/``), do such a chain in one call and one pass. Each does exactly
the float operations of the NumPy code it stands in for, element by element and in the
same order, so the results are the same bits with or without it (the tests compare them).

``pip install`` compiles them when a C compiler is there and goes on without them when
not; the environment variable ``GLASSNET_NATIVE=0`` turns them off at import, and
:func:`use_native` at run time. Code that uses a kernel reads :data:`native` at the call
(None when off) and keeps its NumPy path for when it is None.

Example:
    >>> from glassnet import kernels
    >>> previous = kernels.use_native(False)   # NumPy only, e.g. to compare
    >>> kernels.native is None
    True
    >>> _ = kernels.use_native(previous)
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["BIAS_ACT_BIAS", "BIAS_ACT_NEGATE", "BIAS_ACT_RECIPROCAL_ONE_PLUS", "BIAS_ACT_RELU", "FLOAT_DTYPES",
           "available", "computes_in", "native", "takes", "use_native"]

#: The dtypes the kernels compute in.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: bias_act's modes (kernels/layers.c): z + bias; maximum(z + bias, 0) as np.maximum has it;
#: -(z + bias), a sigmoid's first step; 1 / (z + 1), its last.
BIAS_ACT_BIAS, BIAS_ACT_RELU, BIAS_ACT_NEGATE, BIAS_ACT_RECIPROCAL_ONE_PLUS = range(4)
_ndarray = np.ndarray


def _load():
    try:
        from . import _native
    except ImportError:  # built without a compiler, or from a source tree never built
        return None
    return _native


_compiled = _load()

#: The compiled module when in use, else None.
native = _compiled if os.environ.get("GLASSNET_NATIVE", "1") != "0" else None


def available() -> bool:
    """True when the compiled kernels were built (whether or not they are in use)."""
    return _compiled is not None


def use_native(flag: bool) -> bool:
    """Use the compiled kernels (when built) or not; returns whether they were in use."""
    global native
    previous = native is not None
    native = _compiled if flag else None
    return previous


def computes_in(dtype, *others) -> bool:
    """Whether ``dtype`` is one of :data:`FLOAT_DTYPES` and ``others`` are the same. None
    (a scalar's dtype where none is known) is not: NumPy compares it equal to float64."""
    return (dtype is not None and dtype in FLOAT_DTYPES
            and all(other is not None and other == dtype for other in others))


def takes(array, other=None) -> bool:
    """Whether the kernels take ``array`` (and ``other``, when given): C-contiguous NumPy
    arrays of one dtype among :data:`FLOAT_DTYPES`. The callers' NumPy code serves the rest."""
    if type(array) is not _ndarray or array.dtype not in FLOAT_DTYPES or not array.flags.c_contiguous:
        return False
    return other is None or (type(other) is _ndarray and other.dtype == array.dtype and other.flags.c_contiguous)
