"""`Dropout`: during training, zero a random fraction ``rate`` of the inputs and scale the rest.

Inverted dropout, as Keras: kept values are multiplied by ``1 / (1 - rate)`` so the
expected output equals the input, and inference (``training=False``, what ``predict``,
``evaluate`` and ``model(x)`` use) returns the input unchanged.

Where the randomness comes from is visible on the layer: with ``seed`` the layer owns a
NumPy generator (``layer.generator``) seeded with it, so its sequence of masks is the
same in every run; without ``seed`` (``layer.generator is None``) each mask is drawn from
glassnet's global generator (:func:`glassnet.backend.rng`) at call time, so
``glassnet.random.set_seed`` makes a whole model's dropout reproducible, and resetting
that generator reproduces a mask (``check_model_gradients`` relies on this).

Example:
    >>> import numpy as np
    >>> from glassnet.layers import Dropout
    >>> layer = Dropout(0.5, seed=0)
    >>> x = np.ones((2, 4))
    >>> bool((layer(x).numpy() == 1).all())            # inference: the identity
    True
    >>> sorted(set(layer(x, training=True).numpy().ravel().tolist()))   # zeros and 1 / (1 - 0.5)
    [0.0, 2.0]
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import backend
from ..ops import dropout
from .base import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Randomly set a fraction ``rate`` of inputs to 0 in training; scale the others by ``1 / (1 - rate)``.

    Args:
        rate: float in [0, 1), the fraction of inputs to drop.
        noise_shape: optional shape of the binary mask, broadcast against the inputs; None
            entries take the input's size (``(None, 1, None)`` drops the same features
            at every time step). Default None: one mask value per input element.
        seed: optional int; the layer then draws its masks from its own generator
            ``numpy.random.default_rng(seed)``. Default None: from
            :func:`glassnet.backend.rng` (seeded by ``glassnet.random.set_seed``).
        **kwargs: ``name``, ``dtype``, ``input_shape``.

    Call arguments:
        inputs: tensor of any shape.
        training: drop only when True (default False: return ``inputs`` unchanged).

    Input and output: any shape, the same.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value in [0, 1) "
                f"(the fraction of inputs to drop). Received: rate={rate!r}"
            )
        if noise_shape is not None:
            items = tuple(noise_shape) if isinstance(noise_shape, (list, tuple)) else (0,)
            if not all(d is None or (isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0)
                       for d in items):
                raise ValueError(
                    "The `noise_shape` of a Dropout layer must be a tuple of positive integers or None "
                    f"entries. Received: noise_shape={noise_shape!r}"
                )
            noise_shape = tuple(None if d is None else int(d) for d in items)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"The `seed` of a Dropout layer must be an integer or None. Received: seed={seed!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = None if seed is None else int(seed)
        self.generator = None if seed is None else np.random.default_rng(self.seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        generator = self.generator if self.generator is not None else backend.rng()
        return dropout(inputs, self.rate, generator, noise_shape=self.noise_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return config
