"""`TensorShape`: a tuple of dimensions that also answers TensorFlow's questions.

It is a plain tuple (so ``t.shape == (2, 3)`` and ``t.shape[0]`` work as in NumPy)
that prints as TensorFlow does and has ``as_list()``, which Keras 2 code calls on
symbolic shapes such as ``model.input.shape``. Unknown dimensions (the batch of a
symbolic input) are None.

Example:
    >>> from glassnet.autograd.tensor_shape import TensorShape
    >>> s = TensorShape((None, 400))
    >>> s, s.as_list(), s == (None, 400)
    (TensorShape([None, 400]), [None, 400], True)
"""

from __future__ import annotations

__all__ = ["TensorShape"]


class TensorShape(tuple):
    """A shape: a tuple of ints (None where unknown) with ``as_list`` and ``rank``."""

    __slots__ = ()

    def __new__(cls, dims=()):
        return super().__new__(cls, (None if d is None else int(d) for d in dims))

    def as_list(self) -> list:
        """Return the dimensions as a list."""
        return list(self)

    @property
    def rank(self) -> int:
        return len(self)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return TensorShape(item) if isinstance(index, slice) else item

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return "(" + ", ".join("None" if d is None else str(d) for d in self) + ("," if len(self) == 1 else "") + ")"
