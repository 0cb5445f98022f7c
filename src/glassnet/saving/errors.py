"""`InvalidModelFileError`: the one error a bad model file raises, naming the problem and the file."""

from __future__ import annotations

__all__ = ["InvalidModelFileError"]


class InvalidModelFileError(ValueError):
    """A model or weights file that is truncated, corrupt, hostile or inconsistent.

    Args:
        problem: what is wrong, in words (e.g. ``"config.json is not valid JSON: ..."``).
        path: the file, when known; the message then starts with it.

    Example:
        >>> from glassnet.saving import InvalidModelFileError
        >>> str(InvalidModelFileError("missing config.json", path="m.keras"))
        "Invalid model file 'm.keras': missing config.json"
        >>> isinstance(InvalidModelFileError("x"), ValueError)
        True
    """

    def __init__(self, problem: str, path=None):
        self.problem = str(problem)
        self.path = None if path is None else str(path)
        message = self.problem if self.path is None else f"Invalid model file {self.path!r}: {self.problem}"
        super().__init__(message)

    def at(self, path) -> "InvalidModelFileError":
        """The same problem, located in ``path`` (unless a file is already named)."""
        return self if self.path is not None else InvalidModelFileError(self.problem, path)
