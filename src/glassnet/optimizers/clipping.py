"""Gradient clipping as Keras 3 does it before an update: by value, per-variable norm, or global norm.

Each function takes a list of gradient arrays and returns a list of the same
length; a gradient that needs no change is returned as is, any other is a new
array (the caller's gradients are never written into).

Example:
    >>> import numpy as np
    >>> clip_by_norm([np.array([3.0, 4.0])], 1.0)[0]
    array([0.6, 0.8])
    >>> clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0)
    [array([0.6]), array([0.8])]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clip_by_global_norm", "clip_by_norm", "clip_by_value", "global_norm"]


def _sum_of_squares(g) -> float:
    flat = g.ravel()
    return float(flat.dot(flat))


def clip_by_value(grads, clipvalue):
    """g = clip(g, -clipvalue, clipvalue), elementwise."""
    return [g.clip(-clipvalue, clipvalue) for g in grads]


def clip_by_norm(grads, clipnorm):
    """g = g * clipnorm / max(||g||, clipnorm), for each gradient separately."""
    out = []
    for g in grads:
        norm = math.sqrt(_sum_of_squares(g))
        if norm <= clipnorm:
            out.append(g)
        elif math.isfinite(norm):
            out.append(g * (clipnorm / norm))
        else:  # inf * 0 -> NaN, as in Keras; quietly
            with np.errstate(invalid="ignore"):
                out.append(g * (clipnorm / norm))
    return out


def global_norm(grads) -> float:
    """sqrt(sum of ||g||^2 over all gradients)."""
    return math.sqrt(sum(_sum_of_squares(g) for g in grads))


def clip_by_global_norm(grads, clipnorm):
    """g = g * clipnorm / max(global_norm, clipnorm) for every g; a non-finite global norm
    makes every gradient NaN, as in Keras."""
    norm = global_norm(grads)
    if norm <= clipnorm:
        return list(grads)
    scale = clipnorm / norm if math.isfinite(norm) else math.nan
    return [g * scale for g in grads]
