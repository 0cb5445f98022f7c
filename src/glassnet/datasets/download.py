"""Fetch a data file once, check its SHA-256, and keep it in a cache directory.

The cache directory is ``$GLASSNET_DATA_DIR`` when that environment variable is set,
else ``~/.glassnet/datasets``. A file is downloaded with ``urllib`` into a temporary
file beside its final place, hashed while it streams, and moved into place with
``os.replace`` only once its SHA-256 matches, so an interrupted or corrupted transfer
never leaves a file that looks cached. A cached file is re-hashed on every use.

Progress (``verbose=1``): ``Downloading data from <url>`` as Keras prints it, a tqdm
bar of the bytes received while on a terminal (when the server sends the size), and
one line once the file is in place.

Example:
    >>> import hashlib, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> source = folder / "hello.txt"
    >>> _ = source.write_bytes(b"hello")
    >>> digest = hashlib.sha256(b"hello").hexdigest()
    >>> path = get_file("hello.txt", source.as_uri(), file_hash=digest,
    ...                 cache_dir=folder / "cache", verbose=0)
    >>> path.read_bytes(), path.parent.name
    (b'hello', 'cache')
    >>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "ChecksumError", "DownloadError", "data_dir", "file_sha256", "get_file"]

DATA_DIR_ENV = "GLASSNET_DATA_DIR"
_CHUNK = 1 << 16          # bytes read per step of a download
_TIMEOUT = 30.0           # seconds to wait for the server before giving up


class DownloadError(OSError):
    """A data file is not cached and could not be downloaded (offline, server error...)."""


class ChecksumError(ValueError):
    """A downloaded (or cached) file does not have the SHA-256 it was published with."""


def data_dir() -> Path:
    """The cache directory: ``$GLASSNET_DATA_DIR`` if set (and not empty), else ``~/.glassnet/datasets``.

    The directory is not created here; :func:`get_file` creates it when it downloads.
    """
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".glassnet" / "datasets"


def file_sha256(path) -> str:
    """The SHA-256 of a file, as 64 hex digits (read in chunks: large files are fine).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
        >>> path.touch()
        >>> file_sha256(path)[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_file(fname, origin, *, file_hash, cache_subdir="", cache_dir=None, verbose=1) -> Path:
    """Return the local path of ``fname``, downloading it from ``origin`` the first time.

    Like ``keras.utils.get_file``, with the hash required and SHA-256 only.

    Args:
        fname: file name inside the cache (or an absolute path, used as is).
        origin: URL to download from (``https://``, ``http://`` or ``file://``).
        file_hash: the expected SHA-256 as 64 hex digits. A cached file with another
            hash is downloaded again; a download with another hash is discarded.
        cache_subdir: folder inside the cache directory (default: none).
        cache_dir: the cache directory (default: :func:`data_dir`).
        verbose: 1 (default) shows progress while downloading, 0 is silent.

    Returns:
        The ``pathlib.Path`` of the verified file.

    Raises:
        DownloadError: the file is not cached and ``origin`` cannot be reached; the
            message names the URL, the cache path and how to place the file by hand.
        ChecksumError: the downloaded bytes do not have ``file_hash`` (nothing is kept).
    """
    file_hash = str(file_hash).lower()
    if len(file_hash) != 64 or any(c not in "0123456789abcdef" for c in file_hash):
        raise ValueError(f"`file_hash` must be a SHA-256 of 64 hex digits. Received: file_hash={file_hash!r}")
    folder = Path(cache_dir).expanduser() if cache_dir is not None else data_dir()
    path = folder / cache_subdir / fname
    stale = None
    if path.is_file():
        actual = file_sha256(path)
        if actual == file_hash:
            return path
        stale = actual  # a partial or altered copy: fetch a fresh one
    try:
        _download(origin, path, file_hash, verbose)
    except DownloadError as error:
        if stale is not None:
            raise DownloadError(f"{error}\nThe cached copy at {path} has SHA-256 {stale}, "
                                f"not the expected {file_hash}, so it was not used.") from error.__cause__
        raise
    return path


def _download(origin, path: Path, file_hash: str, verbose) -> None:
    """Stream ``origin`` to a temporary file beside ``path``; move it there if the hash matches."""
    import http.client  # here, not at the top: they cost 18 ms of every `import glassnet`
    import urllib.error

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"Cannot create the cache directory {path.parent}: {error}. "
                            f"Set {DATA_DIR_ENV} to a writable directory.") from error
    if verbose:
        print(f"Downloading data from {origin}")
    start = time.perf_counter()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                actual, received = _stream(origin, out, path.name, verbose)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
                raise DownloadError(_offline_message(origin, path, error)) from error
        if actual != file_hash:
            raise ChecksumError(
                f"The file downloaded from {origin} has SHA-256 {actual}, but {file_hash} was expected; "
                f"it was discarded and nothing was cached at {path}. The server may have sent an error "
                "page or a changed file: try again later, or place a verified copy there by hand."
            )
        os.replace(temporary, path)
        temporary = None
    finally:
        if temporary is not None:  # never leave a partial file behind
            try:
                os.remove(temporary)
            except OSError:
                pass
    if verbose:
        print(f"Saved {path.name} ({_size(received)}, {time.perf_counter() - start:.1f}s) to {path}")


def _stream(origin, out, name, verbose):
    """Copy the response body of ``origin`` into ``out``; returns (SHA-256 hex, bytes received)."""
    import urllib.request

    digest, received = hashlib.sha256(), 0
    with urllib.request.urlopen(origin, timeout=_TIMEOUT) as response:
        bar = _live_bar(name, _content_length(response)) if verbose else None
        try:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    return digest.hexdigest(), received


def _content_length(response):
    value = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _live_bar(name, total):
    """A byte-counting tqdm bar on a terminal when the size is known, else None."""
    isatty = getattr(sys.stderr, "isatty", None)
    if total is None or not (isatty and isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=f"Downloading {name}", unit="B", unit_scale=True,
                unit_divisor=1024, file=sys.stderr, leave=False, mininterval=0.2)


def _size(n_bytes: int) -> str:
    if n_bytes < 1024:
        return f"{n_bytes} B"
    if n_bytes < 1024 ** 2:
        return f"{n_bytes / 1024:.1f} KiB"
    return f"{n_bytes / 1024 ** 2:.1f} MiB"


def _offline_message(origin, path: Path, error) -> str:
    import urllib.error

    if isinstance(error, urllib.error.HTTPError):
        reason = f"HTTP {error.code} {error.reason}"
    else:
        reason = getattr(error, "reason", None) or error
    return (
        f"Could not download {origin} ({reason}), and no verified copy is cached.\n"
        f"To use it offline, download that URL on a machine with internet access and copy the file to\n"
        f"    {path}\n"
        f"(the cache directory is {DATA_DIR_ENV} if set, else ~/.glassnet/datasets); "
        "its SHA-256 is checked when it is loaded."
    )
