"""`atomic_write`: write a file next to its destination, then rename it into place.

A reader sees either the old file or the complete new one, never a half-written
file: the bytes go to a temporary file in the same directory, are flushed and
fsynced, and ``os.replace`` swaps it in (atomic on POSIX and Windows when both
names are on one file system). On any exception the temporary file is removed and
the old file is left untouched; a process killed mid-write leaves the old file
and a stray ``.<name>.*.tmp`` beside it, which the next successful save of that name
removes once it is :data:`STALE_SECONDS` old (a younger one may be another process's
save still in progress).
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time

__all__ = ["atomic_write"]

#: age after which a leftover temporary file of a save is taken for a killed save's
STALE_SECONDS = 3600


def _new_file_mode(path: str) -> int:
    """The permission bits the file would get from a plain ``open(path, 'wb')``."""
    try:
        return os.stat(path).st_mode & 0o777  # keep an existing file's permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path, overwrite: bool = True):
    """Yield a binary file to write; on success it replaces ``path`` in one step.

    Args:
        path: the destination (str or path-like).
        overwrite: if False, raise FileExistsError when ``path`` exists.

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "out.bin")
        >>> with atomic_write(target) as f:
        ...     _ = f.write(b"data")
        >>> open(target, "rb").read()
        b'data'
    """
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists and overwrite=False.")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {path!r}: the directory {directory!r} does not exist.")
    mode = _new_file_mode(path)
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(directory, os.path.basename(path))


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Delete the temporary files that killed saves of ``name`` left behind."""
    cutoff = time.time() - STALE_SECONDS
    for leftover in glob.glob(os.path.join(glob.escape(directory), glob.escape(f".{name}.") + "*.tmp")):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete
            if os.path.getmtime(leftover) < cutoff:
                os.unlink(leftover)
