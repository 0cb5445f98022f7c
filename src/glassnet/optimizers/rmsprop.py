"""RMSprop: divide the gradient by a running root mean square of recent gradients (Hinton, 2012)."""

from __future__ import annotations

from .. import kernels
from .arguments import check_float
from .base import Optimizer
from .flat import run_compiled

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as Keras 3 computes it (epsilon inside the square root).

    With ``v`` (and ``a``, ``m``) starting at 0::

        v = rho * v + (1 - rho) * g^2
        a = rho * a + (1 - rho) * g          # centered only
        d = v - a^2 + epsilon                # centered
        d = v + epsilon                      # otherwise
        step = lr * g / sqrt(d)
        m = momentum * m + step; w = w - m   # momentum > 0
        w = w - step                         # momentum == 0

    Args:
        learning_rate: float >= 0, a schedule or a callable. Defaults to 0.001.
        rho: decay rate of the squared-gradient average, in [0, 1]. Defaults to 0.9.
        momentum: in [0, 1]. Defaults to 0.0 (no momentum).
        epsilon: added under the square root. Defaults to 1e-7.
        centered: normalize by the estimated variance of the gradient instead of its
            second moment. Defaults to False.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name`` (see :class:`Optimizer`).

    Example:
        >>> import glassnet as gn
        >>> w = gn.Variable(10.0)
        >>> opt = RMSprop(learning_rate=0.1)
        >>> opt.minimize(lambda: (w ** 2) / 2.0, [w])  # gradient = w = 10
        1
        >>> round(float(w), 6)  # 10 - 0.1 * 10 / sqrt(0.1 * 100 + 1e-7)
        9.683772
    """

    _default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_float("rho", rho, low=0.0, high=1.0)
        self.momentum = check_float("momentum", momentum, low=0.0, high=1.0)
        self.epsilon = check_float("epsilon", epsilon, low=0.0)
        self.centered = bool(centered)

    def _slot_names(self):
        return (("velocity",) + (("momentum",) if self.momentum > 0 else ())
                + (("average_gradient",) if self.centered else ()))

    def _step_scalars(self, lr, t):
        return lr, self.rho, 1.0 - self.rho, self.momentum, self.epsilon

    def _update(self, w, grad, slots, scratch, scalars):
        lr, rho, one_minus_rho, momentum, epsilon = scalars
        xp, tmp = self._xp, scratch[0]
        v = slots[0]
        xp.multiply(grad, grad, out=tmp)
        tmp *= one_minus_rho
        v *= rho
        v += tmp                                     # v = rho * v + (1 - rho) * g^2
        if self.centered:
            a = slots[-1]
            xp.multiply(grad, one_minus_rho, out=tmp)
            a *= rho
            a += tmp                                 # a = rho * a + (1 - rho) * g
            xp.multiply(a, a, out=tmp)
            xp.subtract(v, tmp, out=tmp)             # d = v - a^2 + epsilon
        else:
            tmp[...] = v                             # d = v + epsilon
        tmp += epsilon
        xp.sqrt(tmp, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= lr                                    # step = lr * g / sqrt(d)
        if momentum > 0:
            m = slots[1]
            m *= momentum
            m += tmp                                 # m = momentum * m + step
            w -= m
        else:
            w -= tmp

    def _native_update(self):
        if kernels.native is None or self.centered or type(self)._update is not RMSprop._update:
            return None  # centered has no compiled loop; a subclass's own update is what it asked for
        return self._compiled_update

    @staticmethod
    def _compiled_update(flat, grads, scalars):
        slots = flat.slots  # the same arithmetic as _update, in one pass (see kernels)
        run_compiled(kernels.native.rmsprop, flat.weights, grads, (slots["velocity"], slots.get("momentum")), scalars)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
