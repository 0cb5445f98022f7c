"""``tf.autograph`` stand-in: glassnet never converts Python to graphs, so these do nothing.

The course's notebooks call ``tf.autograph.set_verbosity(0)``; it must exist and be harmless.

Example:
    >>> import glassnet as tf
    >>> tf.autograph.set_verbosity(0)
"""

__all__ = ["set_verbosity"]


def set_verbosity(level, alsologtostdout=False) -> None:
    """Accept and ignore a verbosity level (nothing here is ever traced)."""
    if not isinstance(level, int):
        raise TypeError(f"set_verbosity expects an integer level. Received: level={level!r}")
