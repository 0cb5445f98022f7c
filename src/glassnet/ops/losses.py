"""Fused cross-entropies from logits, per example, with TensorFlow's names and argument order.

Each is one Function for numerical stability: the loss is computed from the logits
through a log-sum-exp (or log1p) with the max taken out, never as log(softmax(x)) or
log(sigmoid(x)) in two steps, so logits anywhere in [-1e4, 1e4] give finite losses and
gradients. They return one loss per example; averaging over the batch belongs to the
Keras-style losses above this floor. (Cross-entropies of probabilities, Keras's way, are
in :mod:`glassnet.ops.probability_losses`.) The mean squared error is here too, as one
node for speed: every regression model's step runs it.

Example:
    >>> import glassnet as gn
    >>> logits = gn.tensor([[2.0, 0.0], [0.0, 1e4]], requires_grad=True)
    >>> loss = gn.nn.sparse_softmax_cross_entropy_with_logits([0, 1], logits)
    >>> loss.numpy().round(4)
    array([0.1269, 0.    ], dtype=float32)
    >>> gn.sum(loss).backward()
    >>> logits.grad.numpy().round(4)
    array([[-0.1192,  0.1192],
           [ 0.    ,  0.    ]], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from .. import kernels
from ..autograd import Function, Tensor, as_array
from .activation import _float_input
from .reduction import normalize_axes
from .softmax_ops import _compiled_rows

__all__ = [
    "mean_squared_error_per_example",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits",
]


def _as_array_input(x):
    """Tensors pass (they may need a gradient); anything else becomes an array."""
    return x if isinstance(x, Tensor) else as_array(x)


def _neg_log_softmax(xp, x, axis):
    """-log_softmax(x) = logsumexp(x) - x along ``axis``, the max subtracted first (>= 0, finite)."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True)) - shifted


def _pick(values, rows, flat_labels, labels, op):
    """``values[..., label]`` for each row of ``values`` (classes last), or a ValueError
    naming the first label outside [0, classes)."""
    classes = values.shape[-1]
    try:
        # indexing rejects labels >= classes; negative ones would silently wrap around
        if flat_labels.size and flat_labels.dtype.kind == "i" and (
                np.minimum.reduce(flat_labels) if type(flat_labels) is np.ndarray else flat_labels.min()) < 0:
            raise IndexError
        return values.reshape(-1, classes)[rows, flat_labels]
    except IndexError:
        bad = labels[(labels < 0) | (labels >= classes)].flat[0]
        raise ValueError(
            f"{op}: labels must be in [0, {classes}) for {classes} classes. Received: a label of {bad}"
        ) from None


def _row_sums(matrix):
    """``matrix``'s rows summed (NumPy's pairwise order; compiled where the kernels take it)."""
    compiled = kernels.native
    if compiled is not None and kernels.takes(matrix) and matrix.shape[-1]:
        sums = np.empty(len(matrix), matrix.dtype)
        compiled.xent_step(2, matrix, sums)
        return sums
    return np.add.reduce(matrix, axis=-1) if type(matrix) is np.ndarray else matrix.sum(axis=-1)


def _sum_along(x, axis, keepdims=False):
    """``x`` summed over ``axis`` as NumPy sums it: by the compiled row sums where ``axis`` is
    the last of a contiguous float array (1.5 -> 0.6 us on 32 x 10), else by NumPy's reduction
    without its Python-level wrapper."""
    rows = _compiled_rows(x, axis)
    if rows is not None:
        sums = _row_sums(rows)
        return sums.reshape(x.shape[:-1] + (1,)) if keepdims else sums if x.ndim == 2 else sums.reshape(x.shape[:-1])
    if type(x) is np.ndarray:
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return x.sum(axis=axis, keepdims=keepdims)


# ----- Functions --------------------------------------------------------------------
class SparseSoftmaxCrossEntropyWithLogits(Function):
    """loss = -log softmax(logits)[label], fused for stability (log-sum-exp with the max out)."""

    @staticmethod
    def forward(ctx, labels, logits):
        compiled = kernels.native
        if compiled is not None and _compiled_xent_fits(labels, logits):
            loss = _compiled_xent_forward(ctx, compiled, labels, logits)
            if loss is not None:
                return loss
        ctx.compiled = False
        xp = ctx.xp
        host = type(logits) is np.ndarray  # NumPy's reductions without their Python wrappers
        shifted = logits - (np.maximum.reduce(logits, axis=-1, keepdims=True) if host
                            else logits.max(axis=-1, keepdims=True))
        e = xp.exp(shifted)
        shifted -= xp.log(np.add.reduce(e, axis=-1, keepdims=True) if host else e.sum(axis=-1, keepdims=True))
        log_probs = shifted
        rows = xp.arange(labels.size)
        flat_labels = labels.reshape(-1)
        picked = _pick(log_probs, rows, flat_labels, labels, "sparse_softmax_cross_entropy_with_logits")
        ctx.save(rows, flat_labels, log_probs)
        return 0 - picked.reshape(labels.shape)  # not -picked: a perfect prediction gives +0, not -0

    @staticmethod
    def backward(ctx, grad):
        rows, flat_labels, log_probs = ctx.saved
        # d/dlogits = softmax(logits) - one_hot(label), softmax = e^(log_softmax); labels: none
        d_logits = ctx.xp.exp(log_probs)
        compiled = kernels.native
        if ctx.compiled and compiled is not None and type(grad) is np.ndarray and grad.dtype == d_logits.dtype:
            compiled.xent_step(4, d_logits, flat_labels, np.ascontiguousarray(grad).reshape(-1))
            return None, d_logits
        if rows is None:  # recorded by the kernels, which are off now
            rows = np.arange(flat_labels.size)
        d_logits.reshape(-1, d_logits.shape[-1])[rows, flat_labels] -= 1
        d_logits *= grad[..., None]  # d_logits is ours alone: scale in place
        return None, d_logits

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The compiled path above, chosen once, for (rows, classes) float logits and one
        integer label per row (see Function.specialize)."""
        native = kernels.native
        (label_shape, label_dtype), (shape, dtype) = inputs
        if (native is None or len(shape) != 2 or not kernels.computes_in(dtype) or label_dtype is None
                or label_dtype.kind not in "iu" or math.prod(label_shape) != shape[0]):
            return None
        ndarray, exp, contiguous = np.ndarray, np.exp, np.ascontiguousarray

        def forward(ctx, labels, logits):
            if type(labels) is ndarray and logits.flags.c_contiguous:
                loss = _compiled_xent_forward(ctx, native, labels, logits)
                if loss is not None:
                    return loss
            return cls.forward(ctx, labels, logits)  # and its error for a label out of range

        def backward(ctx, grad):
            if not ctx.compiled or type(grad) is not ndarray or grad.dtype != dtype:
                return cls.backward(ctx, grad)
            _, flat_labels, log_probs = ctx.saved
            d_logits = exp(log_probs)
            native.xent_step(4, d_logits, flat_labels, contiguous(grad).reshape(-1))
            return None, d_logits

        return forward, backward


def _compiled_xent_fits(labels, logits) -> bool:
    """Whether the compiled kernels take this batch: (rows, classes) contiguous NumPy floats
    and one integer label per row."""
    return (kernels.takes(logits) and logits.ndim == 2 and type(labels) is np.ndarray
            and labels.dtype.kind in "iu" and labels.size == logits.shape[0])


def _compiled_xent_forward(ctx, compiled, labels, logits):
    """The forward below with its loops compiled (see glassnet.kernels): max out, exp
    (NumPy's), row sums in NumPy's order, log (NumPy's), pick. The same bits; None (and
    nothing kept) when a label is out of range, which the NumPy code then reports."""
    flat_labels = np.ascontiguousarray(labels.reshape(-1), dtype=np.int64)
    shifted = np.empty(logits.shape, logits.dtype)
    compiled.xent_step(1, logits, shifted)
    sums = np.empty(len(logits), logits.dtype)
    compiled.xent_step(2, np.exp(shifted), sums)
    np.log(sums, out=sums)
    loss = np.empty(len(logits), logits.dtype)
    try:
        compiled.xent_step(3, shifted, sums, flat_labels, loss)
    except IndexError:
        return None
    ctx.compiled = True
    ctx.save(None, flat_labels, shifted)
    return loss.reshape(labels.shape)


class SoftmaxCrossEntropyWithLogits(Function):
    """loss = -sum(labels * log_softmax(logits)) along ``axis``, fused for stability."""

    @staticmethod
    def forward(ctx, labels, logits, *, axis=-1):
        xp = ctx.xp
        ctx.axis = axis
        labels = labels.astype(logits.dtype, copy=False)
        rows = _compiled_rows(logits, axis)
        if rows is None:
            neg_log_probs = _neg_log_softmax(xp, logits, axis)
        else:  # the same arithmetic, its row max and sums compiled (see kernels)
            shifted = np.empty(rows.shape, logits.dtype)
            kernels.native.xent_step(1, rows, shifted)
            log_sums = np.log(_row_sums(np.exp(shifted)))
            neg_log_probs = np.subtract(log_sums[:, None], shifted, out=shifted).reshape(logits.shape)
        ctx.save(labels, neg_log_probs)
        return _sum_along(labels * neg_log_probs, axis)

    @staticmethod
    def backward(ctx, grad):
        labels, neg_log_probs = ctx.saved
        xp = ctx.xp
        axis = ctx.axis
        grad = grad[..., None] if axis == grad.ndim else xp.expand_dims(grad, axis)
        # d/dlabels = -log_softmax(logits)
        d_labels = neg_log_probs * grad if ctx.needs_grad[0] else None
        d_logits = None
        if ctx.needs_grad[1]:
            # d/dlogits = softmax(logits) * sum(labels) - labels (sum(labels) = 1 for distributions)
            total = _sum_along(labels, axis, keepdims=True)
            d_logits = (xp.exp(-neg_log_probs) * total - labels) * grad
        return d_labels, d_logits


class SigmoidCrossEntropyWithLogits(Function):
    """loss = max(x, 0) - x z + log(1 + e^-|x|), fused for stability (never log(sigmoid(x)))."""

    @staticmethod
    def forward(ctx, labels, logits):
        compiled = kernels.native
        if compiled is not None and kernels.takes(logits) and logits.ndim and type(labels) is np.ndarray \
                and labels.shape == logits.shape:
            return _compiled_sigmoid_xent_forward(ctx, compiled, labels, logits)
        xp = ctx.xp
        z = labels.astype(logits.dtype, copy=False)
        e = xp.exp(-xp.abs(logits))  # in (0, 1]: never overflows
        ctx.save(z, logits, e)
        return xp.maximum(logits, 0) - logits * z + xp.log1p(e)

    @staticmethod
    def backward(ctx, grad):
        z, x, e = ctx.saved
        xp = ctx.xp
        # d/dz = -x
        d_labels = -x * grad if ctx.needs_grad[0] else None
        d_logits = None
        if ctx.needs_grad[1]:
            compiled = kernels.native
            if compiled is not None and kernels.takes(x, z) and kernels.takes(e, grad) and grad.shape == x.shape:
                d_logits = np.empty(x.shape, x.dtype)  # the rule below in one pass (see kernels)
                compiled.bce_step(6, x, z, e, grad, d_logits)
            else:
                # d/dx = sigmoid(x) - z, sigmoid written with e^-|x| as in the forward pass
                d_logits = (xp.where(x >= 0, 1, e) / (1 + e) - z) * grad
        return d_labels, d_logits

    @classmethod
    def specialize(cls, attrs, inputs, needs_grad):
        """The compiled path above, chosen once, for float logits (not a scalar), labels of
        their shape and no gradient for the labels (see Function.specialize)."""
        native = kernels.native
        (label_shape, label_dtype), (shape, dtype) = inputs
        if (native is None or not kernels.computes_in(dtype) or not shape or label_shape != shape
                or label_dtype is None or needs_grad[0]):
            return None
        ndarray, empty = np.ndarray, np.empty
        need_logits = needs_grad[1]

        def forward(ctx, labels, logits):
            if type(labels) is ndarray and type(logits) is ndarray and logits.flags.c_contiguous:
                return _compiled_sigmoid_xent_forward(ctx, native, labels, logits)
            return cls.forward(ctx, labels, logits)

        def backward(ctx, grad):
            z, x, e = ctx.saved
            if not need_logits:
                return None, None
            if not (x.flags.c_contiguous and type(grad) is ndarray and grad.dtype == dtype
                    and grad.flags.c_contiguous and e.flags.c_contiguous and z.flags.c_contiguous):
                return cls.backward(ctx, grad)
            d_logits = empty(shape, dtype)
            native.bce_step(6, x, z, e, grad, d_logits)
            return None, d_logits

        return forward, backward


def _compiled_sigmoid_xent_forward(ctx, compiled, labels, logits):
    """The forward above with its loops compiled around NumPy's exp and log1p: the same bits."""
    z = np.ascontiguousarray(labels, dtype=logits.dtype)
    e = np.empty(logits.shape, logits.dtype)
    compiled.bce_step(4, logits, e)  # -|x|
    np.exp(e, out=e)
    ctx.save(z, logits, e)
    loss = np.log1p(e)
    compiled.bce_step(5, logits, z, loss, loss)
    return loss


class MeanSquaredErrorPerExample(Function):
    """loss = mean over the last axis of (preds - labels)^2: the three ops it was (subtract,
    square, mean) as one node, each step's arithmetic theirs and in their order, so the
    numbers are theirs bit for bit. The labels get no gradient, as in Keras."""

    @staticmethod
    def forward(ctx, labels, preds):
        if labels.dtype != preds.dtype:  # as the loss casts its targets to the predictions' type
            labels = labels.astype(preds.dtype)
        error = preds - labels
        ctx.save(error)
        squares = error * error
        units = squares.shape[-1]
        if units == 1:  # the mean over one entry is that entry: a reshape
            return squares.reshape(squares.shape[:-1])
        total = (np.add.reduce(squares, axis=(squares.ndim - 1,)) if type(squares) is np.ndarray
                 else squares.sum(axis=-1))
        return total / units

    @staticmethod
    def backward(ctx, grad):
        (error,) = ctx.saved
        units = error.shape[-1]
        # each entry's part of its example's mean, times the error (broadcast: the same products)
        share = (grad if units == 1 else grad / units)[..., None] * error
        return None, share + share  # d(e * e) = g e + g e, as the product's rule sums its two sides


# ----- validation -------------------------------------------------------------------
def _same_shape_inputs(op, labels, values, name="logits"):
    """``(labels, values)`` as a loss takes them: values as floats (a Tensor kept), labels as
    an array or Tensor; a ValueError naming ``op`` when their shapes differ."""
    values = _float_input(values)
    labels = _as_array_input(labels)
    if labels.shape != values.shape:
        raise ValueError(
            f"{op}: labels and {name} must have the same shape. "
            f"Received: labels.shape={labels.shape}, {name}.shape={values.shape}"
        )
    return labels, values


def _check_sparse_labels(labels, logits, op="sparse_softmax_cross_entropy_with_logits", name="logits"):
    data = labels.data if isinstance(labels, Tensor) else labels
    shape = logits.data.shape if isinstance(logits, Tensor) else logits.shape
    if len(shape) == 0:
        raise ValueError(f"{op}: {name} need a class axis (rank >= 1). Received: {name}.shape=()")
    if data.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: labels must be integer class indices (cast them with .astype(int)). "
            f"Received: labels.dtype={data.dtype}"
        )
    if data.shape != shape[:-1]:
        raise ValueError(
            f"{op}: labels must have shape {name}.shape[:-1] = {shape[:-1]}. "
            f"Received: labels.shape={data.shape}, {name}.shape={shape}"
        )
    return data  # the range is checked where the labels are used, at no extra cost


# ----- public functions -----------------------------------------------------------------
def sparse_softmax_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Cross-entropy of integer class labels against raw logits: -log softmax(logits)[label].

    Args:
        labels: integer class indices, shape ``logits.shape[:-1]``, each in [0, classes).
        logits: unnormalised scores, shape ``(..., classes)``.

    Returns:
        The per-example loss, shape ``logits.shape[:-1]``, typed like ``logits``.

    Raises:
        ValueError: for non-integer labels, a shape mismatch or a label out of range.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.sparse_softmax_cross_entropy_with_logits([1], gn.tensor([[0.0, 0.0]])).numpy().round(4)
        array([0.6931], dtype=float32)
    """
    logits = _float_input(logits)
    labels = _check_sparse_labels(_as_array_input(labels), logits)
    return SparseSoftmaxCrossEntropyWithLogits.apply(labels, logits)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1) -> Tensor:
    """Cross-entropy of one-hot or soft labels against raw logits: -sum(labels * log_softmax(logits)).

    Like TensorFlow, it differentiates the labels too (d/dlabels = -log_softmax(logits)).

    Args:
        labels: a distribution over classes per example, same shape as ``logits``.
        logits: unnormalised scores.
        axis: the class axis.

    Returns:
        The per-example loss: ``logits``'s shape without ``axis``, typed like ``logits``.

    Raises:
        ValueError: when labels and logits differ in shape.

    Example:
        >>> import glassnet as gn
        >>> gn.nn.softmax_cross_entropy_with_logits([[0.5, 0.5]], gn.tensor([[0.0, 1e4]])).numpy()
        array([5000.], dtype=float32)
    """
    op = "softmax_cross_entropy_with_logits"
    labels, logits = _same_shape_inputs(op, labels, logits)
    axis = normalize_axes(axis, logits.ndim, op)[0]
    return SoftmaxCrossEntropyWithLogits.apply(labels, logits, axis=axis)


def mean_squared_error_per_example(labels, preds) -> Tensor:
    """Mean over the last axis of (preds - labels)^2, one value per example, as one node.

    Args:
        labels: targets, an array of ``preds``' shape (rank >= 1).
        preds: predictions.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.ops.losses import mean_squared_error_per_example
        >>> mean_squared_error_per_example([[1.0, 2.0]], gn.tensor([[0.0, 4.0]])).numpy()
        array([2.5], dtype=float32)
    """
    labels, preds = _same_shape_inputs("mean_squared_error", labels, preds, "preds")
    if not len(preds.shape):
        raise ValueError("mean_squared_error: predictions need an axis to average over (rank >= 1)")
    return MeanSquaredErrorPerExample.apply(labels, preds)


def sigmoid_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Binary cross-entropy per element from logits x and labels z in [0, 1].

    loss = -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), computed as
    ``max(x, 0) - x z + log1p(e^-|x|)``. Gradients: sigmoid(x) - z for the logits and
    -x for the labels.

    Args:
        labels: targets, same shape as ``logits``.
        logits: unnormalised scores.

    Returns:
        The loss elementwise, shape ``logits.shape``, typed like ``logits``.

    Raises:
        ValueError: when labels and logits differ in shape.

    Example:
        >>> import glassnet as gn
        >>> z, x = [1.0, 0.0, 1.0], gn.tensor([0.0, -1e4, 1e4])
        >>> gn.nn.sigmoid_cross_entropy_with_logits(z, x).numpy().round(4)
        array([0.6931, 0.    , 0.    ], dtype=float32)
    """
    labels, logits = _same_shape_inputs("sigmoid_cross_entropy_with_logits", labels, logits)
    return SigmoidCrossEntropyWithLogits.apply(labels, logits)
