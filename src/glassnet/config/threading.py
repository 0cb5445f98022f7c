"""How many threads glassnet's large matrix products use (see glassnet.parallel).

TensorFlow's ``tf.config.threading`` names: the intra-op setting is the threads one op
(a product) spreads over. glassnet runs ops one after another, so it has no inter-op
setting.

Example:
    >>> import glassnet as tf
    >>> tf.config.threading.set_intra_op_parallelism_threads(2)
    >>> tf.config.threading.get_intra_op_parallelism_threads()
    2
    >>> tf.config.threading.set_intra_op_parallelism_threads(0)
"""

from __future__ import annotations

from .. import parallel

__all__ = ["get_intra_op_parallelism_threads", "set_intra_op_parallelism_threads"]


def set_intra_op_parallelism_threads(num_threads: int) -> None:
    """Spread each large product over ``num_threads`` threads; 0 (the default) lets glassnet
    pick: as many as NumPy's BLAS would use, at most the cores this process may run on.

    Unlike TensorFlow, it may be called at any time; it applies from the next product."""
    parallel.set_threads(num_threads)


def get_intra_op_parallelism_threads() -> int:
    """The setting: 0 when glassnet picks (``parallel.threads()`` says what it picked)."""
    return parallel.get_setting()
