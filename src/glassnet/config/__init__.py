"""Run-time settings, under TensorFlow's names (``tf.config``).

Example:
    >>> import glassnet as tf
    >>> tf.config.threading.set_intra_op_parallelism_threads(1)
    >>> tf.config.threading.get_intra_op_parallelism_threads()
    1
    >>> tf.config.threading.set_intra_op_parallelism_threads(0)  # back to the default
"""

from . import threading as threading

__all__ = ["threading"]
