"""The array backend: which array module computes, the default float dtype, seeded randomness.

This is floor 1 of glassnet and the only module that may import CuPy. Everything
else asks :func:`get_xp` which module holds its data, so the device is a property
of the arrays, never a global mode.

Example:
    >>> import numpy as np
    >>> from glassnet import backend
    >>> backend.get_xp(np.zeros(3)) is np
    True
    >>> backend.floatx()
    'float32'
"""

from __future__ import annotations

import numpy as np

try:  # CuPy is optional; without it every array is a NumPy array.
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # ImportError, or a CuPy install without a usable GPU
    _cupy = None

__all__ = [
    "cupy_available",
    "epsilon",
    "floatx",
    "get_xp",
    "rng",
    "set_epsilon",
    "set_floatx",
    "set_seed",
]

_FLOAT_TYPES = ("float16", "float32", "float64")
_floatx = "float32"
_epsilon = 1e-7
_seed: int | None = None
_generator = np.random.default_rng()


def get_xp(*arrays):
    """Return the array module (``numpy`` or ``cupy``) that holds ``arrays``.

    Inputs that are not arrays (Python scalars, ``None``) are ignored.
    Raises ``ValueError`` when arrays live on different devices.
    """
    if _cupy is None:
        return np
    found = None
    for a in arrays:
        if a is None or np.isscalar(a):
            continue
        module = _cupy if isinstance(a, _cupy.ndarray) else np
        if found is None:
            found = module
        elif module is not found:
            raise ValueError(
                "Inputs live on different devices (NumPy and CuPy arrays mixed); "
                "move them to one device first."
            )
    return found or np


def cupy_available() -> bool:
    """Return True when CuPy imported, so arrays may live on a GPU."""
    return _cupy is not None


def floatx() -> str:
    """Return the default float dtype name for new tensors and weights ('float32')."""
    return _floatx


def set_floatx(dtype) -> None:
    """Set the default float dtype for tensors created from now on.

    Args:
        dtype: 'float16', 'float32' or 'float64' (or the NumPy dtype).

    Example:
        >>> from glassnet import backend
        >>> backend.set_floatx('float64'); backend.floatx()
        'float64'
        >>> backend.set_floatx('float32')
    """
    global _floatx
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_TYPES:
        raise ValueError(
            f"Unknown float type. Expected one of {list(_FLOAT_TYPES)}. Received: dtype={dtype!r}"
        )
    _floatx = name


def epsilon() -> float:
    """Return the fuzz factor used to clip probabilities (Keras's 1e-7)."""
    return _epsilon


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used to clip probabilities."""
    global _epsilon
    _epsilon = float(value)


def set_seed(seed: int) -> None:
    """Seed every random stream glassnet draws from (initializers, dropout, shuffling).

    Example:
        >>> from glassnet import backend
        >>> backend.set_seed(0); a = backend.rng().random()
        >>> backend.set_seed(0); a == backend.rng().random()
        True
    """
    global _seed, _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_seed expects an integer seed. Received: seed={seed!r}")
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)


def rng() -> np.random.Generator:
    """Return the global seeded generator (re-created by :func:`set_seed`)."""
    return _generator
