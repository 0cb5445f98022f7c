"""Data sets that need no download: synthetic digits and small 2-D toy problems.

``synthetic_digits.load_data()`` mirrors ``keras.datasets.mnist.load_data()``; the
generators return ``(X, y)`` arrays, deterministic by seed.
"""

from . import generators as generators
from . import synthetic_digits as synthetic_digits
from .generators import coffee_roasting as coffee_roasting
from .generators import make_blobs as make_blobs
from .generators import make_circles as make_circles
from .generators import make_moons as make_moons
from .generators import make_spiral as make_spiral
