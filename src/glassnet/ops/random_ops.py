"""Random ops: inverted dropout, its mask drawn from a generator passed in.

Dropout is composed from :func:`multiply` by a constant mask, so it needs no
Function of its own: the gradient is the same mask times the upstream gradient.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> y = gn.nn.dropout(gn.tensor(np.ones((2, 4))), 0.5, np.random.default_rng(0))
    >>> sorted(set(y.numpy().ravel().tolist()))   # dropped, or kept and scaled by 1 / (1 - 0.5)
    [0.0, 2.0]
"""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd import Tensor
from .elementwise import multiply

__all__ = ["dropout"]


def dropout(x, rate, generator, *, noise_shape=None) -> Tensor:
    """Inverted dropout: zero each element with probability ``rate``, scale the rest by 1 / (1 - rate).

    The expected value of every element is unchanged, so nothing needs rescaling at
    inference (where the caller simply does not call dropout).

    Args:
        x: inputs of any shape.
        rate: probability of dropping an element, in [0, 1). At 0, x is returned as is.
        generator: the random generator the mask is drawn from (``numpy.random.Generator``,
            or CuPy's for CuPy arrays); passed explicitly, so the same generator state
            gives the same mask.
        noise_shape: optional shape of the mask, broadcast against x (Keras's
            ``noise_shape``: e.g. (batch, 1, 1, channels) drops whole feature maps);
            None entries take x's size. Default: x's shape.

    Returns:
        A tensor shaped like x (x itself when rate is 0).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> y = gn.nn.dropout(gn.tensor(np.ones((1000,))), 0.2, np.random.default_rng(1))
        >>> round(float(gn.mean(y)), 1)   # about 1: kept elements are scaled by 1.25
        1.0
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be a number in [0, 1). Received: rate={rate!r}")
    if not hasattr(generator, "random"):
        raise TypeError(
            "dropout: generator must be a random generator such as numpy.random.default_rng(seed). "
            f"Received: generator={generator!r}"
        )
    if rate == 0:
        return x
    shape = tuple(getattr(x, "shape", np.shape(x)))
    dtype = np.dtype(getattr(x, "dtype", np.float64))
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    if noise_shape is None:
        noise_shape = shape
    else:
        given = tuple(noise_shape)
        noise_shape = tuple(n if m is None else m for m, n in zip(given, shape))
        if len(given) != len(shape) or any(m not in (1, n) for m, n in zip(noise_shape, shape)):
            raise ValueError(
                f"dropout: noise_shape must have one entry per axis of the input, each equal to "
                f"the input's size, 1 or None. Received: noise_shape={given} with input shape {shape}"
            )
    # drawn in float64 whatever x's dtype, so one generator state gives one mask in float32 and float64
    keep = generator.random(noise_shape) >= rate
    mask = keep.astype(dtype)
    mask *= 1 / (1 - rate)  # 0 or 1 / (1 - rate), in x's dtype
    return multiply(x, mask)
