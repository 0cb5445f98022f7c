"""The ``.keras`` archive: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``.

This is the layout Keras 3 writes (members stored uncompressed, names at the top
level). Reading checks the archive before trusting any of it:

- it must be a readable zip (not truncated, no bad CRC);
- member names must be plain relative names: no absolute paths, drive letters,
  backslashes or ``..`` parts (zip-slip; nothing is ever extracted, but such a file
  is not one Keras or glassnet wrote);
- no duplicate names, at most :data:`MAX_MEMBERS` members;
- declared uncompressed sizes are checked *before* anything is read: each member
  at most :data:`MAX_MEMBER_BYTES`, all of them at most :data:`MAX_TOTAL_BYTES`, and a
  member over :data:`EXPANSION_FLOOR` that expands more than :data:`MAX_EXPANSION` times is a zip bomb.

Every problem raises :class:`InvalidModelFileError` naming it.
"""

from __future__ import annotations

import datetime
import json
import os
import zipfile
import zlib

from .errors import InvalidModelFileError

__all__ = ["CONFIG_NAME", "METADATA_NAME", "WEIGHTS_NAME", "read_keras_file", "read_json", "write_keras_file"]

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"

#: The Keras 3 release whose format these files follow (metadata.json's keras_version).
KERAS_FORMAT_VERSION = "3.0.0"

MAX_MEMBERS = 1000
MAX_MEMBER_BYTES = 2 << 30       # 2 GiB: one weights file
MAX_TOTAL_BYTES = 4 << 30
MAX_JSON_BYTES = 64 << 20        # config.json and metadata.json
MAX_EXPANSION = 1000             # stored members expand 1:1, deflate at most ~1032:1
EXPANSION_FLOOR = 64 << 20        # the ratio check applies above this size


def _check_member_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if (not name or name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":")
            or any(part == ".." for part in parts) or "\x00" in name):
        raise InvalidModelFileError(
            f"unsafe member name {name!r} in the archive (absolute path, drive, backslash or '..'); "
            "a .keras file holds only plain relative names"
        )


def _check_sizes(infos) -> None:
    if len(infos) > MAX_MEMBERS:
        raise InvalidModelFileError(f"the archive has {len(infos)} members; at most {MAX_MEMBERS} are allowed")
    total = 0
    for info in infos:
        size, stored = info.file_size, info.compress_size
        if size > MAX_MEMBER_BYTES:
            raise InvalidModelFileError(
                f"member {info.filename!r} declares {size} bytes uncompressed, over the limit of "
                f"{MAX_MEMBER_BYTES} bytes; refusing to read it (zip bomb?)"
            )
        if size > EXPANSION_FLOOR and size > MAX_EXPANSION * max(stored, 1):
            raise InvalidModelFileError(
                f"member {info.filename!r} declares {size} bytes but stores only {stored}; "
                "refusing to read a likely zip bomb"
            )
        total += size
    if total > MAX_TOTAL_BYTES:
        raise InvalidModelFileError(
            f"the archive declares {total} bytes uncompressed in all, over the limit of {MAX_TOTAL_BYTES}"
        )


def _read_member(archive, name: str) -> bytes:
    try:
        with archive.open(name) as member:
            data = member.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as err:
        raise InvalidModelFileError(f"member {name!r} is truncated or corrupt ({err})") from None
    if len(data) > MAX_MEMBER_BYTES:  # pragma: no cover - zipfile stops at the declared size
        raise InvalidModelFileError(f"member {name!r} is larger than {MAX_MEMBER_BYTES} bytes")
    return data


def read_json(data: bytes, what: str):
    """Parse JSON bytes into a dict; any problem raises InvalidModelFileError naming ``what``."""
    if len(data) > MAX_JSON_BYTES:
        raise InvalidModelFileError(f"{what} is {len(data)} bytes, over the limit of {MAX_JSON_BYTES}")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        value = json.loads(text)
    except UnicodeDecodeError as err:
        raise InvalidModelFileError(f"{what} is not UTF-8 text ({err})") from None
    except json.JSONDecodeError as err:
        raise InvalidModelFileError(
            f"{what} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except RecursionError:
        raise InvalidModelFileError(f"{what} is nested too deeply to be a model configuration") from None
    if not isinstance(value, dict):
        raise InvalidModelFileError(f"{what} must hold a JSON object; it holds a {type(value).__name__}")
    return value


def read_keras_file(path):
    """Read and check a ``.keras`` file; returns ``(config, metadata, weights_bytes)``.

    ``config`` and ``metadata`` are the parsed JSON objects (``metadata`` is ``{}``
    when the member is absent); ``weights_bytes`` is the raw HDF5 file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such model file: {path!r}")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if not head:
                raise InvalidModelFileError("the file is empty (0 bytes), so not a .keras archive")
            if not head.startswith(b"PK"):
                raise InvalidModelFileError("not a zip archive, so not a .keras file (it does not start with 'PK')")
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            for info in infos:
                _check_member_name(info.filename)
            names = [info.filename for info in infos]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise InvalidModelFileError(f"the archive holds duplicate members {duplicates}")
            _check_sizes(infos)
            for required in (CONFIG_NAME, WEIGHTS_NAME):
                if required not in names:
                    raise InvalidModelFileError(
                        f"missing {required} (the archive holds {sorted(names)}); a .keras file has "
                        f"{CONFIG_NAME}, {METADATA_NAME} and {WEIGHTS_NAME}"
                    )
            config = read_json(_read_member(archive, CONFIG_NAME), CONFIG_NAME)
            metadata = read_json(_read_member(archive, METADATA_NAME), METADATA_NAME) \
                if METADATA_NAME in names else {}
            weights = _read_member(archive, WEIGHTS_NAME)
    except InvalidModelFileError as err:
        raise err.at(path) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as err:
        raise InvalidModelFileError(f"not a readable zip archive: it is truncated or corrupt ({err})", path) from None
    return config, metadata, weights


def metadata(glassnet_version: str) -> dict:
    """metadata.json's content: Keras's two keys, and the glassnet version that wrote it."""
    return {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "glassnet_version": glassnet_version,
    }


def write_keras_file(file, config: dict, meta: dict, make_weights) -> None:
    """Write the three members into the open binary ``file``, stored uncompressed as Keras does.

    ``make_weights()`` returns the HDF5 bytes; it runs after the JSON members are
    written, so a failure there happens mid-write (the caller's temporary file absorbs it).
    """
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA_NAME, json.dumps(meta))
        archive.writestr(CONFIG_NAME, json.dumps(config, default=_json_value))
        archive.writestr(WEIGHTS_NAME, make_weights())


def _json_value(value):
    """NumPy numbers and arrays in configs become plain JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Cannot save a config value of type {type(value).__name__}: {value!r}")


def dumps(config: dict, **kwargs) -> str:
    """``json.dumps`` with NumPy values converted (for ``to_json``)."""
    return json.dumps(config, default=_json_value, **kwargs)

