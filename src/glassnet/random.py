"""``glassnet.random``: TensorFlow's ``tf.random`` names for seeding.

Example:
    >>> import glassnet as tf
    >>> tf.random.set_seed(1234)
"""

from .backend import set_seed as set_seed

__all__ = ["set_seed"]
