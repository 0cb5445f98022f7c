"""How targets line up with predictions: the shape rule that the losses and the metrics share.

Targets of shape ``(n,)`` against predictions of shape ``(n, 1)`` (and ``(n, 1)``
against ``(n,)``) are reshaped to the predictions' shape, never broadcast into
``(n, n)``; any other mismatch is a ValueError that names both shapes. The losses
(on the graph's arrays) and the metrics (on NumPy arrays) both call
:func:`align_labels`, so a target that a loss accepts is one its metric accepts.
"""

from __future__ import annotations

__all__ = ["align_labels"]


def align_labels(y_true, pred_shape, op, hint=""):
    """Return the y_true array shaped like the predictions: (n,) against (n, 1) is reshaped.

    Any other mismatch raises, so (n,) never broadcasts against (n, 1) into (n, n).

    Args:
        y_true: the targets, an array (NumPy or CuPy) with a ``shape`` and ``reshape``.
        pred_shape: the predictions' shape, a tuple.
        op: the caller's name, which starts the error message.
        hint: a sentence added to the error message. Default "".

    Returns:
        ``y_true`` itself when the shapes already agree, else ``y_true`` reshaped to
        ``pred_shape``.

    Raises:
        ValueError: when the shapes differ by more than a trailing axis of size 1.

    Example:
        >>> import numpy as np
        >>> from glassnet.labels import align_labels
        >>> align_labels(np.array([1, 0]), (2, 1), "mean_squared_error").shape
        (2, 1)
        >>> align_labels(np.array([1, 0]), (2, 2), "mean_squared_error")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: mean_squared_error: y_true and y_pred must have the same shape ... y_pred.shape=(2, 2)
    """
    shape, pred_shape = tuple(y_true.shape), tuple(pred_shape)
    if shape == pred_shape:
        return y_true
    if shape + (1,) == pred_shape or shape == pred_shape + (1,):
        return y_true.reshape(pred_shape)
    raise ValueError(
        f"{op}: y_true and y_pred must have the same shape (targets of shape (n,) against "
        f"predictions of shape (n, 1) are also accepted).{hint} "
        f"Received: y_true.shape={shape}, y_pred.shape={pred_shape}"
    )
