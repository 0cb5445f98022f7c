"""Data at the boundary of ``fit``, ``evaluate`` and ``predict``: validated once, then batched.

Who owns which ``fit`` argument:

- ``x``, ``y``, ``sample_weight``, ``class_weight``: checked and converted once by
  :func:`prepare_arrays` / :func:`sample_weights_for` (shapes, dtypes, NaN and Inf,
  matching sample counts), so the training step never re-checks them.
- ``validation_split``: :func:`split_validation` takes the *last* fraction of the
  samples, before any shuffling, as Keras does.
- ``batch_size``, ``shuffle``: :class:`BatchIterator` draws one permutation per epoch
  from the seeded generator, shuffles a copy once, and yields contiguous slices of it.
- ``epochs``, ``initial_epoch``, ``verbose``, ``callbacks``: the loop in ``loop.py``;
  ``on_nonfinite``: its step guard in ``numerics.py``.
- The model's input shape and the loss's targets: ``x`` is checked against the input
  shape (:func:`check_input_shape`) and all of ``y`` against the loss
  (``Model.check_targets``) before the first step, so no bad sample stops ``fit`` half-way.

Example:
    >>> import numpy as np
    >>> from glassnet.training.data import BatchIterator
    >>> batches = BatchIterator(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2, shuffle=False)
    >>> [len(xb) for xb, yb, wb in batches.epoch()]
    [2, 2, 1]
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd import Tensor

__all__ = ["BatchIterator", "check_input_shape", "prepare_arrays", "sample_weights_for", "split_validation"]


def _to_numpy(value, argument: str):
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, np.ndarray):
        return value
    if value is None:
        raise ValueError(f"{argument} is required. Received: {argument}=None")
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{argument} must be a rectangular array; ragged data received ({error}).") from None
    return array


def _all_finite(array) -> bool:
    """Whether every value is finite. A large contiguous float32/float64 array is first
    checked with one BLAS dot product of itself (half the time of ``isfinite().all()``,
    which ``fit`` would otherwise pay on the whole data set every call): NaN and Inf
    always make it non-finite, and only then, or when huge values overflow it, is the
    exact check run."""
    if array.size >= 1 << 16 and array.dtype in (np.float32, np.float64) and array.flags.c_contiguous:
        flat = array.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(flat, flat)):
                return True
    return bool(np.isfinite(array).all())


def _check_numeric(array, argument: str):
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{argument} must hold numbers. Received: {argument} with dtype {array.dtype}"
        )
    if array.dtype.kind == "f" and not _all_finite(array):
        bad = np.argwhere(~np.isfinite(array))[0]
        value = array[tuple(bad)]
        raise ValueError(
            f"{argument} contains {'NaN' if np.isnan(value) else 'Inf'} (first at index "
            f"{tuple(int(i) for i in bad)}): expected finite numbers; clean or impute the data before training."
        )


def prepare_arrays(x, y=None, *, dtype=None, need_y=True, names=("x", "y")):
    """Validate and convert inputs once: x to the float dtype, y kept as given (a NumPy array).

    ``names`` are the arguments' names in error messages (e.g. for validation data).

    Raises:
        ValueError / TypeError naming the argument, what was received and what was expected.
    """
    x_name, y_name = names
    x = _to_numpy(x, x_name)
    _check_numeric(x, x_name)
    if x.ndim == 0:
        raise ValueError(f"{x_name} must have a batch axis (at least 1-D). Received: {x_name} with shape {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{x_name} is empty: expected at least one sample. Received: {x_name} with shape "
                         f"{x.shape}")
    dtype = np.dtype(dtype or backend.floatx())
    if x.dtype != dtype:
        x = x.astype(dtype)
    if y is None:
        if need_y:
            raise ValueError(f"{y_name} is required for training and evaluation. Received: {y_name}=None")
        return x, None
    y = _to_numpy(y, y_name)
    _check_numeric(y, y_name)
    if y.ndim == 0:
        raise ValueError(f"{y_name} must have a batch axis (at least 1-D). Received: {y_name} with shape {y.shape}")
    if len(y) != len(x):
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of samples. "
            f"Received: {x_name} with {len(x)} samples (shape {x.shape}), {y_name} with {len(y)} (shape {y.shape})"
        )
    return x, y


def check_input_shape(x, expected, argument="x") -> None:
    """Raise a ValueError naming ``argument`` when ``x`` cannot be the model's input.

    ``expected`` is the model's input shape with the batch axis (``(None, 400)``).
    Fewer axes than expected, or another size on the last axis, is an error (the
    first layer would refuse it, naming itself rather than the argument); more axes
    are left to the layers, as Keras leaves them (Dense maps the last axis).

    Example:
        >>> import numpy as np
        >>> check_input_shape(np.zeros(5), (None, 1))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: x: expected an array of shape (n, 1) ..., received shape (5,). For one feature use x.reshape(-1, 1).
    """
    expected = tuple(expected)
    shape = tuple(x.shape)
    fewer = len(shape) < len(expected)
    last = expected[-1]
    if not fewer and (len(expected) < 2 or last is None or shape[-1] == last):
        return
    wanted = "(" + ", ".join(["n"] + ["?" if d is None else str(d) for d in expected[1:]]) + ")"
    hint = ""
    if len(shape) == 1 and len(expected) == 2:
        hint = (" For one feature use x.reshape(-1, 1)." if last == 1 else
                " For one sample use x.reshape(1, -1)." if last == shape[0] else "")
    if fewer:
        expectation = f"an array of shape {wanted} (the model's input shape is {expected})"
    else:
        expectation = (f"axis -1 of the input to have size {last} (an array of shape {wanted}; the model's "
                       f"input shape is {expected})")
    raise ValueError(f"{argument}: expected {expectation}, received shape {shape}.{hint}")


def sample_weights_for(y, sample_weight=None, class_weight=None):
    """Return per-sample weights (float array of shape (n,)) or None when neither is given."""
    n = len(y)
    weights = None
    if sample_weight is not None:
        weights = _to_numpy(sample_weight, "sample_weight")
        _check_numeric(weights, "sample_weight")
        weights = weights.astype(np.float64)
        if weights.ndim == 2 and weights.shape[1] == 1:
            weights = weights[:, 0]
        if weights.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},) to match y. Received: shape {weights.shape}"
            )
        if (weights < 0).any():
            raise ValueError(
                f"sample_weight must be non-negative. Received: a weight of {weights[weights < 0][0]} "
                f"(at index {int(np.argmax(weights < 0))})"
            )
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict of class -> weight. Received: {type(class_weight).__name__}")
        labels = y if y.ndim == 1 or y.shape[-1] == 1 else np.argmax(y, axis=-1)
        labels = np.asarray(labels).reshape(n)
        if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
            raise ValueError(
                "class_weight needs integer class labels in y. Received: a label of "
                f"{labels[labels != np.round(labels)][0]}"
            )
        lookup = np.ones(n)
        for cls, weight in class_weight.items():
            lookup[labels == cls] = float(weight)
        weights = lookup if weights is None else weights * lookup
    return weights


def split_validation(x, y, weights, validation_split: float):
    """Split off the last ``validation_split`` fraction of the samples (before shuffling)."""
    if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
        raise ValueError(
            f"validation_split must be a float in [0, 1). Received: validation_split={validation_split!r}"
        )
    if validation_split == 0:
        return (x, y, weights), None
    cut = int(len(x) * (1.0 - validation_split))
    if cut == 0 or cut == len(x):
        raise ValueError(
            f"validation_split={validation_split} leaves no samples on one side of the split "
            f"of {len(x)} samples."
        )
    w_train = None if weights is None else weights[:cut]
    w_val = None if weights is None else weights[cut:]
    return (x[:cut], y[:cut], w_train), (x[cut:], y[cut:], w_val)


def check_batch_size(batch_size) -> int:
    """Return ``batch_size`` as a positive int (None means Keras's default, 32)."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


#: Data sets at least this large are gathered batch by batch rather than copied shuffled
#: whole once per epoch (see BatchIterator._gathered).
GATHER_PER_BATCH_BYTES = 16 << 20
#: ... and so are data sets of GATHER_WIDE_MIN_BYTES or more whose batches hold at least
#: GATHER_WIDE_BATCH_BYTES: there one gather per batch costs less than writing the whole
#: copy out to memory and reading it back (8 MB, batch 32 of 400 float32 features: 1.3 ms
#: an epoch against 1.6), and the first epoch does not fault a fresh copy in (1-2 ms).
#: Batches of a few KB stay with the whole copy: per call, a gather costs microseconds.
GATHER_WIDE_MIN_BYTES = 4 << 20
GATHER_WIDE_BATCH_BYTES = 32 << 10


class BatchIterator:
    """Yields ``(x_batch, y_batch, weight_batch)`` for one epoch at a time.

    With ``shuffle=True`` each epoch draws one permutation from the seeded generator
    (:func:`glassnet.random.set_seed`), shuffles a copy of the data once, and takes
    contiguous slices of it: one gather per epoch instead of one per batch. Data of
    :data:`GATHER_PER_BATCH_BYTES` or more, and data of :data:`GATHER_WIDE_MIN_BYTES` or
    more in batches of :data:`GATHER_WIDE_BATCH_BYTES` or more, is gathered batch by batch
    instead (the same batches, cheaper for memory and for time).
    """

    def __init__(self, x, y=None, weights=None, *, batch_size=32, shuffle=True):
        self.x, self.y, self.weights = x, y, weights
        self.batch_size = check_batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self.num_samples = len(x)

    @property
    def steps(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def epoch(self):
        x, y, w = self.x, self.y, self.weights
        if self.shuffle and self.num_samples > 1:
            order = backend.rng().permutation(self.num_samples)
            if self._gathers_per_batch():
                yield from self._gathered(order)
                return
            x = np.take(x, order, axis=0)  # as x[order], faster
            y = None if y is None else y[order]
            w = None if w is None else w[order]
        size = self.batch_size
        for start in range(0, self.num_samples, size):
            stop = start + size
            yield (x[start:stop], None if y is None else y[start:stop], None if w is None else w[start:stop])

    def _gathers_per_batch(self) -> bool:
        x = self.x
        batch_bytes = x.nbytes // max(len(x), 1) * self.batch_size
        return x.nbytes >= GATHER_PER_BATCH_BYTES or (
            x.nbytes >= GATHER_WIDE_MIN_BYTES and batch_bytes >= GATHER_WIDE_BATCH_BYTES)

    def _gathered(self, order):
        """One epoch of a large data set: each batch gathered by its indices as it is needed,
        so it is still in cache when the step reads it (a shuffled copy of the whole set
        would go out to memory and come back: 29-38 ms an epoch of 60,000 x 784 float32
        against 14-17 ms here). Same permutation, same batches."""
        x, y, w = self.x, self.y, self.weights
        size = self.batch_size
        for start in range(0, self.num_samples, size):
            rows = order[start:start + size]
            yield (np.take(x, rows, axis=0), None if y is None else y[rows], None if w is None else w[rows])
