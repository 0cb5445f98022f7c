"""MNIST handwritten digits, with the signature and arrays of ``keras.datasets.mnist.load_data()``.

60,000 training and 10,000 test images of 28x28 grey pixels (uint8, 0-255) with their
digit labels (uint8, 0-9). The first call downloads ``mnist.npz`` (11 MB) from the
public mirror that Keras uses and checks its SHA-256; later calls read the cached copy
(:mod:`glassnet.datasets.download` says where, and how to place the file by hand when
offline). For an offline stand-in, see :mod:`glassnet.datasets.synthetic_digits`.

License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative work of
the NIST data sets, made available under the Creative Commons Attribution-Share Alike 3.0
license.

Example:
    >>> from glassnet.datasets import mnist
    >>> mnist.ORIGIN_FOLDER + mnist.FILE_NAME
    'https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz'
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_test.shape                  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (10000,))
"""

from __future__ import annotations

import numpy as np

from .download import get_file

__all__ = ["load_data"]

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_NAME = "mnist.npz"
# The SHA-256 that Keras publishes for this file.
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path="mnist.npz"):
    """Load MNIST, downloading ``mnist.npz`` once into the cache.

    Args:
        path: the file's name inside the cache directory (default ``mnist.npz``), or an
            absolute path to use as the cache file; the download always comes from
            ``ORIGIN_FOLDER + "mnist.npz"``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: x uint8 of shape ``(n, 28, 28)``
        (60,000 and 10,000 images, pixels 0-255), y uint8 of shape ``(n,)`` holding 0-9.

    Raises:
        DownloadError: the file is not cached and cannot be downloaded (the message says
            where to put a copy).
        ChecksumError: the downloaded file does not have the published SHA-256.
    """
    local = get_file(path, ORIGIN_FOLDER + FILE_NAME, file_hash=FILE_HASH)
    with np.load(local, allow_pickle=False) as archive:
        missing = [key for key in _KEYS if key not in archive.files]
        if missing:
            raise ValueError(f"{local} is not an MNIST archive: it lacks {missing}. "
                             f"Received arrays: {archive.files}")
        x_train, y_train, x_test, y_test = (archive[key] for key in _KEYS)
    return (x_train, y_train), (x_test, y_test)
