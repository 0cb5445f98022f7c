"""Cross-entropies of probabilities, Keras's way, each one node where the formula has several.

Keras clips probabilities to [eps, 1 - eps] (eps = 1e-7) before taking their log, so a
prediction of exactly 0 costs about 16 rather than infinity. Written as separate ops
(normalise, clip, log, multiply, sum, negate) that is up to six nodes, each with its own
bookkeeping on every step of every model with a sigmoid or softmax output; each Function
here computes the same formula as one node, with the gradient passing where the clip
did not bind. From logits the stable fused ops of :mod:`glassnet.ops.losses` serve.

Example:
    >>> import glassnet as gn
    >>> from glassnet.ops.probability_losses import categorical_crossentropy_from_probabilities
    >>> p = gn.tensor([[0.25, 0.75], [1.0, 0.0]], requires_grad=True)
    >>> loss = categorical_crossentropy_from_probabilities([[0.0, 1.0], [0.0, 1.0]], p, 1e-7)
    >>> loss.numpy().round(4)
    array([ 0.2877, 16.1181], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from .. import kernels
from ..autograd import Function, Tensor
from .activation import _float_input
from .losses import _as_array_input, _check_sparse_labels, _pick, _row_sums, _same_shape_inputs, _sum_along
from .reduction import normalize_axes

__all__ = [
    "binary_crossentropy_from_probabilities",
    "categorical_crossentropy_from_probabilities",
    "sparse_crossentropy_from_probabilities",
]


# ----- Functions --------------------------------------------------------------------
class BinaryCrossentropyFromProbabilities(Function):
    """loss = -(z log(p + eps) + (1 - z) log((1 - p) + eps)) with p = clip(probs, eps, 1 - eps),
    Keras's formula for probabilities, as one node (ten before, each with its own
    bookkeeping, on every step of every sigmoid-output model). The gradient passes
    where the clip did not bind; the labels get none."""

    @staticmethod
    def forward(ctx, labels, probs, *, epsilon):
        compiled = kernels.native
        if compiled is not None and kernels.takes(probs) and probs.ndim and type(labels) is np.ndarray \
                and labels.shape == probs.shape:
            return _compiled_bce_forward(ctx, compiled, labels, probs, epsilon)
        xp = ctx.xp
        # clip(probs, eps, 1 - eps) as two ufunc calls: np.clip's Python wrapper costs more
        # (in place only on arrays: a 0-d input gives NumPy scalars)
        p = xp.maximum(probs, epsilon)
        p = xp.minimum(p, 1.0 - epsilon, out=p) if p.ndim else xp.minimum(p, 1.0 - epsilon)
        z = labels.astype(probs.dtype, copy=False)
        shifted = p + epsilon
        not_p = 1.0 - p  # Keras's order: in float32, (1 + eps) - p rounds differently
        not_p += epsilon
        not_z = 1.0 - z
        # the two denominators and 1 - z are the backward pass's too: kept, not recomputed
        ctx.save(z, not_z, shifted, not_p, p == probs)
        loss = xp.log(shifted)
        loss *= z
        log_not_p = xp.log(not_p)
        log_not_p *= not_z
        loss += log_not_p
        # 0 - loss, not -loss: a perfect prediction gives +0
        return xp.subtract(0, loss, out=loss) if loss.ndim else 0 - loss

    @staticmethod
    def backward(ctx, grad):
        z, not_z, shifted, not_p, inside = ctx.saved
        compiled = kernels.native
        if inside.dtype != bool and compiled is not None and type(grad) is np.ndarray and grad.dtype == z.dtype:
            d_probs = np.empty(z.shape, z.dtype)  # the rule below in one pass (see kernels)
            if grad.shape != z.shape:  # np.broadcast_to costs 3 us: only when needed
                grad = np.broadcast_to(grad, z.shape)
            compiled.bce_step(3, z, not_z, shifted, not_p, inside, np.ascontiguousarray(grad), d_probs)
            return None, d_probs
        # d/dp = -z / (p + eps) + (1 - z) / ((1 - p) + eps), zero where the clip binds
        d_probs = not_z / not_p
        d_probs -= z / shifted
        d_probs *= grad
        d_probs *= inside
        return None, d_probs

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The compiled path above, chosen once, for float probabilities (not a scalar) and
        labels of their shape (see Function.specialize)."""
        native, epsilon = kernels.native, attrs["epsilon"]
        (label_shape, label_dtype), (shape, dtype) = inputs
        if native is None or not kernels.computes_in(dtype) or not shape or label_shape != shape \
                or label_dtype is None:
            return None
        ndarray, empty, contiguous = np.ndarray, np.empty, np.ascontiguousarray

        def forward(ctx, labels, probs):
            if type(labels) is ndarray and type(probs) is ndarray and probs.flags.c_contiguous:
                return _compiled_bce_forward(ctx, native, labels, probs, epsilon)
            return cls.forward(ctx, labels, probs, epsilon=epsilon)

        def backward(ctx, grad):
            z, not_z, shifted, not_p, inside = ctx.saved
            if inside.dtype == bool or type(grad) is not ndarray or grad.dtype != dtype:
                return cls.backward(ctx, grad)
            d_probs = empty(shape, dtype)
            if grad.shape != shape:
                grad = np.broadcast_to(grad, shape)
            native.bce_step(3, z, not_z, shifted, not_p, inside, contiguous(grad), d_probs)
            return None, d_probs

        return forward, backward


def _compiled_bce_forward(ctx, compiled, labels, probs, epsilon):
    """The forward above with its loops compiled (see glassnet.kernels) around NumPy's own
    two logs: the same bits. ``inside`` is kept as ones and zeros of the dtype (NumPy's
    code keeps booleans: multiplying by either gives the same numbers)."""
    z = np.ascontiguousarray(labels, dtype=probs.dtype)
    empty, shape, dtype = np.empty, probs.shape, probs.dtype  # four calls: a generator costs 0.45 us more
    shifted, not_p, not_z, inside = empty(shape, dtype), empty(shape, dtype), empty(shape, dtype), empty(shape, dtype)
    compiled.bce_step(1, probs, z, shifted, not_p, not_z, inside, epsilon, 1.0 - epsilon)
    ctx.save(z, not_z, shifted, not_p, inside)
    loss = np.log(shifted)
    compiled.bce_step(2, loss, z, np.log(not_p), not_z, loss)
    return loss


class SparseCrossentropyFromProbabilities(Function):
    """loss = log(sum(c)) - log(c[label]) with c = clip(probs, eps, 1 - eps): Keras's formula
    for probabilities (the log of the clipped probabilities read as logits by a log-softmax,
    which renormalises them) as one node, where it was three (clip, log, the cross-entropy
    with its max and exp). The gradient, 1 / sum(c) - [label] / c[label], passes where the
    clip did not bind; the labels get none."""

    @staticmethod
    def forward(ctx, labels, probs, *, epsilon):
        ctx.shape = probs.shape
        flat = probs.reshape(-1, probs.shape[-1])
        compiled = kernels.native
        if compiled is not None and kernels.takes(flat) and flat.shape[-1] and type(labels) is np.ndarray:
            loss = _compiled_sparse_probs_forward(ctx, compiled, labels, flat, epsilon)
            if loss is not None:
                return loss
        xp = ctx.xp
        clipped = xp.maximum(flat, epsilon)
        xp.minimum(clipped, 1.0 - epsilon, out=clipped)
        flat_labels = labels.reshape(-1)
        picked = _pick(clipped, xp.arange(labels.size), flat_labels, labels, "sparse_categorical_crossentropy")
        totals = _row_sums(clipped)
        ctx.save(flat_labels, clipped == flat, totals, picked)
        loss = xp.log(totals)
        loss -= xp.log(picked)
        return loss.reshape(labels.shape)

    @staticmethod
    def backward(ctx, grad):
        flat_labels, inside, totals, picked = ctx.saved
        upstream = grad.reshape(-1)
        compiled = kernels.native
        if compiled is not None and inside.dtype == totals.dtype and kernels.takes(upstream, totals) \
                and flat_labels.dtype == np.int64:
            d_probs = np.empty(inside.shape, inside.dtype)  # the rule below in one pass (see kernels)
            compiled.sparse_probs_step(2, upstream, flat_labels, totals, picked, inside, d_probs)
            return None, d_probs.reshape(ctx.shape)
        xp = ctx.xp
        d_probs = xp.empty(inside.shape, xp.result_type(upstream, totals))
        d_probs[...] = (upstream / totals)[:, None]
        d_probs[xp.arange(len(d_probs)), flat_labels] -= upstream / picked
        d_probs *= inside
        return None, d_probs.reshape(ctx.shape)

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The compiled path above, chosen once, for (rows, classes) float probabilities and
        one integer label per row (a softmax output's loss; see Function.specialize)."""
        native, epsilon = kernels.native, attrs["epsilon"]
        (label_shape, label_dtype), (shape, dtype) = inputs
        if (native is None or len(shape) != 2 or not shape[1] or not kernels.computes_in(dtype)
                or label_dtype is None or label_dtype.kind not in "iu" or math.prod(label_shape) != shape[0]):
            return None
        ndarray, empty = np.ndarray, np.empty

        def forward(ctx, labels, probs):
            if type(labels) is ndarray and type(probs) is ndarray and probs.flags.c_contiguous:
                ctx.shape = shape
                loss = _compiled_sparse_probs_forward(ctx, native, labels, probs, epsilon)
                if loss is not None:
                    return loss
            return cls.forward(ctx, labels, probs, epsilon=epsilon)  # and its error for a bad label

        def backward(ctx, grad):
            flat_labels, inside, totals, picked = ctx.saved
            upstream = grad.reshape(-1)
            if not (inside.dtype == dtype and upstream.dtype == dtype and upstream.flags.c_contiguous):
                return cls.backward(ctx, grad)
            d_probs = empty(shape, dtype)
            native.sparse_probs_step(2, upstream, flat_labels, totals, picked, inside, d_probs)
            return None, d_probs

        return forward, backward


def _compiled_sparse_probs_forward(ctx, compiled, labels, flat, epsilon):
    """The forward above with its loops compiled around NumPy's two logs: the same bits.
    ``inside`` is kept as ones and zeros of the dtype. None (nothing kept) when a label is
    out of range, which the NumPy code then reports."""
    flat_labels = np.ascontiguousarray(labels.reshape(-1), dtype=np.int64)
    clipped, inside = np.empty(flat.shape, flat.dtype), np.empty(flat.shape, flat.dtype)
    totals, picked = np.empty(len(flat), flat.dtype), np.empty(len(flat), flat.dtype)
    try:
        compiled.sparse_probs_step(1, flat, flat_labels, clipped, inside, totals, picked, epsilon, 1.0 - epsilon)
    except IndexError:
        return None
    ctx.save(flat_labels, inside, totals, picked)
    loss = np.log(totals)
    loss -= np.log(picked)
    return loss.reshape(labels.shape)


class CategoricalCrossentropyFromProbabilities(Function):
    """loss = -sum(y log(clip(p / sum(p), eps, 1 - eps))) along ``axis``: Keras's formula for
    probabilities and one-hot (or soft) targets, six nodes as one. Forward and backward do
    the six ops' own arithmetic in their order, so the numbers are theirs, bit for bit:
    d/dp = g / s - sum(g q) / s, with g the log's gradient -y / c where the clip did not
    bind, q = p / s and s = sum(p). The labels get no gradient, as in Keras."""

    @staticmethod
    def forward(ctx, labels, probs, *, axis, epsilon):
        xp = ctx.xp
        ctx.axis = axis
        if labels.dtype != probs.dtype:  # as the loss casts its targets to the predictions' type
            labels = labels.astype(probs.dtype)
        totals = _sum_along(probs, axis, keepdims=True)
        normalised = probs / totals
        # clip(q, eps, 1 - eps) as two ufunc calls (np.clip's Python wrapper costs more; same NaN rule)
        clipped = xp.maximum(normalised, epsilon)
        clipped = xp.minimum(clipped, 1.0 - epsilon, out=clipped)  # probs have a class axis: an array
        ctx.save(labels, totals, normalised, clipped, normalised == clipped)
        terms = xp.log(clipped)
        terms = xp.multiply(labels, terms, out=terms)
        return -_sum_along(terms, axis)

    @staticmethod
    def backward(ctx, grad):
        labels, totals, normalised, clipped, inside = ctx.saved
        xp = ctx.xp
        # the sum's gradient reaches each class of its row: -grad with the class axis back
        d = xp.multiply((-grad).reshape(totals.shape), labels)
        d /= clipped
        d *= inside
        d /= totals  # the numerator's share
        # the total's share: -sum(d q) / s, summed over the class axis and spread back
        d_totals = xp.negative(d)
        d_totals *= normalised
        if d_totals.shape[ctx.axis] != 1:
            d_totals = _sum_along(d_totals, ctx.axis, keepdims=True)
        d += d_totals
        return None, d


# ----- public functions -----------------------------------------------------------------
def binary_crossentropy_from_probabilities(labels, probs, epsilon) -> Tensor:
    """Binary cross-entropy per element of probabilities ``probs`` against labels in [0, 1],
    Keras's way: p clipped to [eps, 1 - eps] and eps added inside each log.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.ops.probability_losses import binary_crossentropy_from_probabilities
        >>> binary_crossentropy_from_probabilities([1.0, 0.0], gn.tensor([0.5, 0.0]), 1e-7).numpy().round(4)
        array([0.6931, 0.    ], dtype=float32)
    """
    labels, probs = _same_shape_inputs("binary_crossentropy", labels, probs, "probs")
    return BinaryCrossentropyFromProbabilities.apply(labels, probs, epsilon=float(epsilon))


def categorical_crossentropy_from_probabilities(labels, probs, epsilon, axis=-1) -> Tensor:
    """Cross-entropy of one-hot (or soft) targets against probabilities, Keras's way: probs
    normalised to sum 1 along ``axis``, clipped to [eps, 1 - eps], then -sum(labels log p).

    Raises:
        ValueError: when labels and probs differ in shape, or ``axis`` is not one of probs'.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.ops.probability_losses import categorical_crossentropy_from_probabilities
        >>> categorical_crossentropy_from_probabilities([[0.0, 1.0]], gn.tensor([[0.5, 1.5]]), 1e-7).numpy().round(4)
        array([0.2877], dtype=float32)
    """
    labels, probs = _same_shape_inputs("categorical_crossentropy", labels, probs, "probs")
    if not len(probs.shape):
        raise ValueError("categorical_crossentropy: y_pred needs a class axis (rank >= 1). Received: y_pred.shape=()")
    axis = normalize_axes(axis, len(probs.shape), "categorical_crossentropy")[0]
    return CategoricalCrossentropyFromProbabilities.apply(labels, probs, axis=axis, epsilon=float(epsilon))


def sparse_crossentropy_from_probabilities(labels, probs, epsilon) -> Tensor:
    """Cross-entropy of integer class labels against class probabilities ``probs`` (classes
    last), Keras's way: probs clipped to [eps, 1 - eps], their log taken as logits by a
    log-softmax: -log(c[label] / sum(c)) with c the clipped probabilities.

    Raises:
        ValueError: for non-integer labels, a shape mismatch or a label out of range.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.ops.probability_losses import sparse_crossentropy_from_probabilities
        >>> sparse_crossentropy_from_probabilities([0, 1], gn.tensor([[0.5, 0.5], [1.0, 0.0]]), 1e-7).numpy().round(4)
        array([ 0.6931, 16.1181], dtype=float32)
    """
    probs = _float_input(probs)
    labels = _check_sparse_labels(_as_array_input(labels), probs, "sparse_categorical_crossentropy", "probs")
    return SparseCrossentropyFromProbabilities.apply(labels, probs, epsilon=float(epsilon))
