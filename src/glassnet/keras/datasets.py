"""``tf.keras.datasets``: ``mnist`` and ``fashion_mnist`` (the modules of ``glassnet.datasets``).

``tf.keras.datasets.mnist.load_data()`` or ``from glassnet.keras.datasets import mnist``.
"""

from glassnet.datasets import fashion_mnist as fashion_mnist
from glassnet.datasets import mnist as mnist
