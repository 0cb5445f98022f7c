"""The row type of the gradient-check table, and the input domains rows draw from.

Each op family lists its rows in ``tests/grad_rows_<family>.py`` as ``ROWS``;
``test_grad_ops.py`` gathers them into one table, checks every row in float64 with
``glassnet.testing.check_grad``, runs the same rows forward in float32, and fails
when a registered op has no row.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@contextlib.contextmanager
def strict_numerics():
    """Fail on any NumPy warning, overflow, division by zero or invalid value.

    Underflow stays allowed: e^-20000 rounding to 0 is the right answer, not an error.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    """Away from 0, for log, sqrt, division and powers."""
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    """±[0.1, 1]: keeps relu, abs and friends off their kinks."""
    return rng.uniform(0.1, 1.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """Values with no ties and gaps >= 0.05 (max, min, maximum), in random order."""
    n = int(np.prod(shape, dtype=int))
    values = (np.arange(n) - n / 2) * 0.1 + rng.uniform(-0.02, 0.02, n)
    return rng.permutation(values).reshape(shape)


@dataclass
class GradRow:
    """One case of the table.

    Attributes:
        id: the test id.
        fn: function of Tensors (one per shape) returning a Tensor.
        shapes: the shapes of the inputs to draw.
        ops: names of the registered Function classes this row exercises.
        domain: function (rng, shape) -> float64 array, or a tuple of them, one per input.
        check: extra keyword arguments for check_grad (say why in a comment beside the row).
        float32_rtol: tolerance of the float32 forward comparison.
    """

    id: str
    fn: Callable
    shapes: tuple
    ops: tuple
    domain: object = normal
    check: dict = field(default_factory=dict)
    float32_rtol: float = 1e-4

    def draw(self, seed=0):
        rng = np.random.default_rng(seed)
        domains = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)
        return [np.asarray(d(rng, s), dtype=np.float64) for d, s in zip(domains, self.shapes)]
