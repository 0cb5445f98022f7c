"""AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, 2019)."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam with decoupled weight decay, applied before each Adam step (Keras 3).

    With ``lr`` the current learning rate (not Adam's bias-corrected ``alpha``)::

        w = w - w * weight_decay * lr
        then the Adam update (see :class:`Adam`).

    Args:
        learning_rate: float >= 0, a schedule or a callable. Defaults to 0.001.
        weight_decay: float >= 0 (required). Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as for :class:`Adam`.
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``
            (see :class:`Optimizer`).

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> w = gn.Variable([1.0, 2.0])
        >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> opt.apply([np.zeros(2, dtype=np.float32)], [w])
        >>> w.numpy()  # a zero gradient: only the decay, w * (1 - 0.5 * 0.1)
        array([0.95, 1.9 ], dtype=float32)
    """

    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float >= 0. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)
