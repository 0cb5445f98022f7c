"""Nadam: Adam with Nesterov momentum (Dozat, 2015)."""

from __future__ import annotations

import numpy as np

from .arguments import check_float
from .base import Optimizer

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam, as Keras 3 computes it (a momentum schedule u_t, epsilon added to sqrt(v_hat)).

    With ``t = iterations + 1``, ``m``, ``v`` starting at 0 and the running product
    ``P`` (state ``'u_product'``) starting at 1::

        u_t     = beta_1 * (1 - 0.5 * 0.96^t)
        u_next  = beta_1 * (1 - 0.5 * 0.96^(t + 1))
        P       = P * u_t;   P_next = P * u_next
        m = m + (g - m) * (1 - beta_1)
        v = v + (g^2 - v) * (1 - beta_2)
        m_hat = u_next * m / (1 - P_next) + (1 - u_t) * g / (1 - P)
        v_hat = v / (1 - beta_2^t)
        w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float >= 0, a schedule or a callable. Defaults to 0.001.
        beta_1: decay rate of the first-moment average, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second-moment average, in [0, 1). Defaults to 0.999.
        epsilon: added to sqrt(v_hat). Defaults to 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name`` (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> w = gn.Variable([1.0, 2.0])
        >>> opt = Nadam(learning_rate=0.1)
        >>> opt.apply([np.array([0.5, -1.0], dtype=np.float32)], [w])
        >>> w.numpy().round(4)  # first step: lr * (1 + 0.0628, the Nesterov look-ahead)
        array([0.8937, 2.1063], dtype=float32)
    """

    _default_name = "nadam"
    _scratch_count = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_float("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_float("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_float("epsilon", epsilon, low=0.0)

    def _slot_names(self):
        return ("momentum", "velocity")

    def _build_scalars(self):
        # Kept in float64 (Keras keeps it in the variables' dtype): it is one number.
        return {"u_product": np.ones((), dtype=np.float64)}

    def _step_scalars(self, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        u_t = beta_1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        product = self._scalar_state["u_product"]
        product *= u_t                                # P = P * u_t, once per step
        p = float(product)
        p_next = p * u_next
        return (1.0 - beta_1, 1.0 - beta_2,
                u_next / (1.0 - p_next),              # coefficient of m in m_hat
                (1.0 - u_t) / (1.0 - p),              # coefficient of g in m_hat
                1.0 / (1.0 - beta_2 ** t),            # v_hat = v * this
                lr, self.epsilon)

    def _update(self, w, grad, slots, scratch, scalars):
        one_minus_beta_1, one_minus_beta_2, m_coef, g_coef, v_scale, lr, epsilon = scalars
        xp, (tmp, m_hat) = self._xp, scratch
        m, v = slots
        xp.subtract(grad, m, out=tmp)
        tmp *= one_minus_beta_1
        m += tmp                                     # m = m + (g - m) * (1 - beta_1)
        xp.multiply(grad, grad, out=tmp)
        tmp -= v
        tmp *= one_minus_beta_2
        v += tmp                                     # v = v + (g^2 - v) * (1 - beta_2)
        xp.multiply(m, m_coef, out=m_hat)
        xp.multiply(grad, g_coef, out=tmp)
        m_hat += tmp                                 # m_hat
        xp.multiply(v, v_scale, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += epsilon                               # sqrt(v_hat) + epsilon
        m_hat /= tmp
        m_hat *= lr
        w -= m_hat                                   # w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
