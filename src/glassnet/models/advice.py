"""Advice given at ``compile``: a model whose output and loss disagree gets one clear warning.

Example:
    >>> import glassnet as gn
    >>> model = gn.keras.Sequential([gn.keras.Input((2,)), gn.keras.layers.Dense(3, activation="softmax")])
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model.compile(loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    >>> "would apply it twice" in str(caught[0].message)
    True
"""

from __future__ import annotations

import warnings

from .. import activations

# Losses that read their predictions as probabilities unless from_logits=True.
_PROBABILITY_TARGETS = ("binary", "categorical", "sparse")


def warn_about_output_and_loss(layers, loss) -> None:
    """Warn once when the last layer's activation and the loss's ``from_logits`` disagree
    (called by ``Model.compile``, whose caller the warning points at)."""
    from_logits = getattr(loss, "from_logits", None)
    if not layers or from_logits is None:
        return
    last = layers[-1]
    activation = getattr(last, "activation", None)
    if activation in (activations.softmax, activations.sigmoid) and from_logits:
        warnings.warn(
            f'The output layer "{last.name}" applies {activations.serialize(activation)}, but the loss '
            f"{type(loss).__name__} has from_logits=True, so it would apply it twice. Use "
            "activation='linear' on that layer (preferred, numerically stable) or from_logits=False.",
            stacklevel=3,
        )
    elif activation is activations.linear and not from_logits and \
            getattr(loss, "target_kind", None) in _PROBABILITY_TARGETS:
        warnings.warn(
            f'The output layer "{last.name}" is linear, but the loss {type(loss).__name__} has '
            "from_logits=False and expects probabilities. Pass from_logits=True to the loss "
            "(preferred, numerically stable) or give the layer a softmax/sigmoid activation.",
            stacklevel=3,
        )
