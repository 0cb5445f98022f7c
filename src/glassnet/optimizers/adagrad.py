"""Adagrad: per-parameter rates that shrink with the sum of squared gradients (Duchi et al., 2011)."""

from __future__ import annotations

from .arguments import check_float
from .base import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as Keras 3 computes it (epsilon inside the square root).

    With an accumulator ``s`` starting at ``initial_accumulator_value``::

        s = s + g^2
        w = w - lr * g / sqrt(s + epsilon)

    Args:
        learning_rate: float >= 0, a schedule or a callable. Defaults to 0.001
            (Adagrad often wants more; the paper's form is 1.0).
        initial_accumulator_value: starting value of ``s``, >= 0. Defaults to 0.1.
        epsilon: added under the square root. Defaults to 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name`` (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> w = gn.Variable([1.0])
        >>> opt = Adagrad(learning_rate=1.0, initial_accumulator_value=0.0, epsilon=0.0)
        >>> opt.apply([np.array([3.0], dtype=np.float32)], [w])
        >>> w.numpy()  # 1 - 3 / sqrt(9)
        array([0.], dtype=float32)
    """

    _default_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_float(
            "initial_accumulator_value", initial_accumulator_value, low=0.0)
        self.epsilon = check_float("epsilon", epsilon, low=0.0)

    def _slot_names(self):
        return ("accumulator",)

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value

    def _step_scalars(self, lr, t):
        return lr, self.epsilon

    def _update(self, w, grad, slots, scratch, scalars):
        lr, epsilon = scalars
        xp, tmp = self._xp, scratch[0]
        s = slots[0]
        xp.multiply(grad, grad, out=tmp)
        s += tmp                                     # s = s + g^2
        xp.add(s, epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= lr
        w -= tmp                                     # w = w - lr * g / sqrt(s + epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
