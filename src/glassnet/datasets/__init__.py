"""Data sets: MNIST and Fashion-MNIST (downloaded once, cached), synthetic digits and 2-D toys.

``mnist.load_data()`` and ``fashion_mnist.load_data()`` have Keras's signatures and
arrays; they download from the mirror Keras uses, check a SHA-256, and cache the files
under ``$GLASSNET_DATA_DIR`` (default ``~/.glassnet/datasets``).
``synthetic_digits.load_data()`` mirrors ``mnist.load_data()`` and needs no download; the
generators return ``(X, y)`` arrays, deterministic by seed.
"""

from . import download as download
from . import fashion_mnist as fashion_mnist
from . import generators as generators
from . import mnist as mnist
from . import synthetic_digits as synthetic_digits
from .download import ChecksumError as ChecksumError
from .download import DownloadError as DownloadError
from .download import data_dir as data_dir
from .download import get_file as get_file
from .generators import coffee_roasting as coffee_roasting
from .generators import make_blobs as make_blobs
from .generators import make_circles as make_circles
from .generators import make_moons as make_moons
from .generators import make_spiral as make_spiral
