"""Stochastic gradient descent, with optional momentum and Nesterov momentum."""

from __future__ import annotations

from .arguments import check_float
from .base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (Keras 3's formulas).

    With ``momentum == 0``::

        w = w - lr * g

    Otherwise, with a velocity ``m`` per variable starting at 0::

        m = momentum * m - lr * g
        w = w + m                            # nesterov=False
        w = w + momentum * m - lr * g        # nesterov=True

    Args:
        learning_rate: float >= 0, a schedule or a callable. Defaults to 0.01.
        momentum: float in [0, 1]. Defaults to 0.0 (plain gradient descent).
        nesterov: use Nesterov momentum. Defaults to False.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name`` (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> w = gn.Variable([1.0, 2.0])
        >>> opt = SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.apply([np.array([1.0, -1.0], dtype=np.float32)], [w])
        >>> w.numpy()  # steps of 0.1, then 0.9 * 0.1 + 0.1
        array([0.71, 2.29], dtype=float32)
    """

    _default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_float("momentum", momentum, low=0.0, high=1.0)
        self.nesterov = bool(nesterov)

    def _slot_names(self):
        return ("momentum",) if self.momentum else ()

    def _step_scalars(self, lr, t):
        return lr, self.momentum, self.nesterov

    def _update(self, w, grad, slots, scratch, scalars):
        lr, momentum, nesterov = scalars
        step = scratch[0]
        self._xp.multiply(grad, lr, out=step)        # lr * g
        if not slots:
            w -= step                                # w = w - lr * g
            return
        m = slots[0]
        m *= momentum
        m -= step                                    # m = momentum * m - lr * g
        if nesterov:
            w -= step
            self._xp.multiply(m, momentum, out=step)
            w += step                                # w = w + momentum * m - lr * g
        else:
            w += m                                   # w = w + m

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
