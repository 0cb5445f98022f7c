"""Adam: adaptive moment estimation (Kingma and Ba, 2014), with the AMSGrad option."""

from __future__ import annotations

import math

from .. import kernels
from .arguments import check_float
from .base import Optimizer
from .flat import run_compiled

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as Keras 3 computes it (epsilon added to sqrt(v), bias correction folded into the rate).

    With ``t = iterations + 1`` and ``m``, ``v`` starting at 0::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g^2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                # amsgrad only; then v_hat replaces v below
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: float >= 0, a schedule or a callable. Defaults to 0.001.
        beta_1: decay rate of the first-moment average, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second-moment average, in [0, 1). Defaults to 0.999.
        epsilon: added to sqrt(v) ("epsilon hat" in the paper). Defaults to 1e-7.
        amsgrad: use the AMSGrad variant (Reddi et al., 2018). Defaults to False.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name`` (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> w = gn.Variable([1.0, 2.0])
        >>> opt = Adam(0.1)
        >>> opt.apply([np.array([0.5, -1.0], dtype=np.float32)], [w])
        >>> w.numpy().round(4)  # the first step moves each weight by about lr
        array([0.9, 2.1], dtype=float32)
        >>> opt.iterations
        1
    """

    _default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_float("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_float("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_float("epsilon", epsilon, low=0.0)
        self.amsgrad = bool(amsgrad)

    def _slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.amsgrad else ("momentum", "velocity")

    def _step_scalars(self, lr, t):
        alpha = lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        return 1.0 - self.beta_1, 1.0 - self.beta_2, alpha, self.epsilon

    def _update(self, w, grad, slots, scratch, scalars):
        one_minus_beta_1, one_minus_beta_2, alpha, epsilon = scalars
        xp, tmp = self._xp, scratch[0]
        m, v = slots[0], slots[1]
        xp.subtract(grad, m, out=tmp)
        tmp *= one_minus_beta_1
        m += tmp                                     # m = m + (g - m) * (1 - beta_1)
        xp.multiply(grad, grad, out=tmp)
        tmp -= v
        tmp *= one_minus_beta_2
        v += tmp                                     # v = v + (g^2 - v) * (1 - beta_2)
        if self.amsgrad:
            v_hat = slots[2]
            xp.maximum(v_hat, v, out=v_hat)          # v_hat = max(v_hat, v)
            v = v_hat
        xp.sqrt(v, out=tmp)
        tmp += epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= alpha
        w -= tmp                                     # w = w - alpha * m / (sqrt(v) + epsilon)

    def _native_update(self):
        if kernels.native is None or type(self)._update is not Adam._update:
            return None  # a subclass's own update is what it asked for
        return self._compiled_update

    @staticmethod
    def _compiled_update(flat, grads, scalars):
        slots = flat.slots  # the same arithmetic as _update, in one pass (see kernels)
        run_compiled(kernels.native.adam, flat.weights, grads,
                     (slots["momentum"], slots["velocity"], slots.get("velocity_hat")), scalars)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
