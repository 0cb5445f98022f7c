"""Fashion-MNIST, with the signature and arrays of ``keras.datasets.fashion_mnist.load_data()``.

60,000 training and 10,000 test images of 28x28 grey pixels (uint8, 0-255) of Zalando
articles in 10 classes, a drop-in replacement for MNIST. The first call downloads the
four gzip'd IDX files (30 MB in all) from the public mirror that Keras uses into
``fashion-mnist/`` in the cache and checks each SHA-256; later calls read the cached
copies (:mod:`glassnet.datasets.download` says where, and how to place them by hand).

======  ===========  ======  ===========
label   class        label   class
======  ===========  ======  ===========
0       T-shirt/top  5       Sandal
1       Trouser      6       Shirt
2       Pullover     7       Sneaker
3       Dress        8       Bag
4       Coat         9       Ankle boot
======  ===========  ======  ===========

An IDX file is a big-endian header, ``0x00 0x00``, a type code (``0x08``: unsigned
bytes) and the number of dimensions, then one 4-byte size per dimension, then the data.

License: the copyright of Fashion-MNIST is held by Zalando SE; it is released under the
MIT license.

Example:
    >>> from glassnet.datasets import fashion_mnist
    >>> fashion_mnist.CLASS_NAMES[9]
    'Ankle boot'
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_test.shape                          # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (10000,))
"""

from __future__ import annotations

import gzip
import math

import numpy as np

from .download import get_file

__all__ = ["CLASS_NAMES", "load_data"]

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = "fashion-mnist"
# The SHA-256 that Keras publishes for each file (the same bytes as Zalando's originals).
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_data():
    """Load Fashion-MNIST, downloading its four files once into the cache.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: x uint8 of shape ``(n, 28, 28)``
        (60,000 and 10,000 images, pixels 0-255), y uint8 of shape ``(n,)`` holding 0-9
        (names in ``CLASS_NAMES``).

    Raises:
        DownloadError: a file is not cached and cannot be downloaded (the message says
            where to put a copy).
        ChecksumError: a downloaded file does not have the published SHA-256.
        ValueError: a cached file is not the IDX file it should be.
    """
    paths = {name: get_file(name, ORIGIN_FOLDER + name, file_hash=digest, cache_subdir=CACHE_SUBDIR)
             for name, digest in FILE_HASHES.items()}
    splits = []
    for prefix in ("train", "t10k"):
        labels = _read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"], ndim=1)
        images = _read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"], ndim=3)
        if len(images) != len(labels):
            raise ValueError(f"Fashion-MNIST {prefix} files disagree: {len(images)} images "
                             f"but {len(labels)} labels.")
        splits.append((images, labels))
    return tuple(splits)


def _read_idx(path, *, ndim):
    """The array in a gzip'd IDX file of unsigned bytes with ``ndim`` dimensions."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * ndim
    if len(data) < header or data[:2] != b"\x00\x00" or data[2] != 0x08 or data[3] != ndim:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes with {ndim} dimension(s). "
                         f"Received header bytes: {data[:4].hex(' ')}")
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    if len(data) - header != math.prod(shape):
        raise ValueError(f"{path}: the header announces shape {shape} ({math.prod(shape)} bytes), "
                         f"but {len(data) - header} bytes follow it.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()
