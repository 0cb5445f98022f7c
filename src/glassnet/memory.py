"""Keeping freed memory for the next training step (glibc's malloc, on Linux).

Every training step allocates and frees the same large arrays: layer outputs, their
gradients, a convolution's columns. glibc's malloc serves an array above its *mmap
threshold* with fresh pages from the kernel, and hands back the free space at the top of
its heap once that passes its *trim threshold*; both grow with the largest array freed so
far, up to 32 MB and 64 MB. Until they have grown past what one step uses, a step can
fault all its memory in afresh: the benchmark CNN trained on 2,000 images took 4,000 page
faults and 30 ms a step, against none and 14 ms with the thresholds where glibc's own
adjustment ends. :func:`keep_freed_memory` sets them there (32 MB and 64 MB), once, when
``fit`` first runs. The cost is memory: up to 64 MB freed by a step stays with the process
for the next one.

``GLASSNET_KEEP_FREED_MEMORY=0``, or glibc's own ``MALLOC_MMAP_THRESHOLD_`` /
``MALLOC_TRIM_THRESHOLD_`` in the environment, leave malloc as it is; so does any C
library other than glibc.

Example:
    >>> from glassnet import memory
    >>> memory.keep_freed_memory() in (True, False)
    True
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["keep_freed_memory"]

# mallopt's parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: where glibc's dynamic thresholds stop growing on 64-bit machines
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD

_state: list = []  # [whether the thresholds were set], once decided


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds to 32 MB and 64 MB (the first call decides);
    return whether they are set. See the module docstring."""
    if not _state:
        _state.append(_set_thresholds())
    return _state[0]


def _set_thresholds() -> bool:
    if os.environ.get("GLASSNET_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        return False  # the user's own settings stand
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):  # no confstr name, no C library, no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mmap first: setting either one stops glibc adjusting both
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
