"""Hostile and broken model files: each refused with a clear error, in bounded time, running nothing.

One table: the 36 cases of ``test_saving.HOSTILE_ROWS`` plus the generated cases
below (truncations at several points, corrupt zip structures, declared sizes far
beyond the limits, unsafe member names, configs that name Python modules,
callables or unknown classes, weights that disagree with the config or declare
huge datasets). Each case is a file written from one good model; loading it must
raise :class:`InvalidModelFileError` with the expected message and the file's path.

What "nothing runs" means here, checked per case:

- a canary path that several cases try to create (a ``touch`` command, an
  ``open(..., 'w')`` lambda, an archive member and an HDF5 external link aimed at it)
  never exists afterwards;
- a Python audit hook sees no code execution (``exec``, ``compile``), no process
  (``os.system``, ``subprocess.Popen``, ``os.exec*``, ``os.posix_spawn``, ``os.fork``),
  no unpickling, no native library loaded, no module imported and no file opened
  but the model file itself, while the file loads (the modules a load needs are
  imported before watching: see :func:`good_file`);
- each load runs in a daemon thread and must finish within :data:`TIME_LIMIT`
  seconds, so a hang fails the case instead of the suite.
"""

from __future__ import annotations

import encodings.ascii  # noqa: F401 - a codec some refusals' messages use; imported before any watch
import io
import json
import pathlib
import re
import sys
import threading
import time
import warnings
import zipfile

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers as L
from glassnet.saving import InvalidModelFileError, keras_file

h5py = pytest.importorskip("h5py")
from test_saving import HOSTILE_ROWS, _members, _replace_dataset, _set, _with_config, _with_weights, _zip  # noqa: E402

TIME_LIMIT = 5.0


# ----- watching what a load does ---------------------------------------------------------------
_FORBIDDEN = ("exec", "compile", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn",
              "os.fork", "pickle.find_class", "marshal.loads", "ctypes.dlopen", "import")


class _Watch:
    """The audit events of one load (a process-wide hook, inert unless a load is watched)."""

    active = None  # (thread id, allowed path, events) while a load is watched

    @classmethod
    def hook(cls, event, args):
        active = cls.active
        if active is None or threading.get_ident() != active[0]:
            return
        if event == "open":
            path = args[0].decode(errors="replace") if isinstance(args[0], bytes) else args[0]
            if isinstance(path, str) and path != active[1]:
                active[2].append(f"open {path!r} {args[1]!r}")
        elif event.startswith(_FORBIDDEN):
            active[2].append(f"{event} {str(args)[:80]}")


sys.addaudithook(_Watch.hook)


def _load_bounded(load, path):
    """Run ``load(path)`` in a daemon thread; returns (exception or None, seconds, audit events)."""
    result: dict = {}

    def run():
        events: list = []
        _Watch.active = (threading.get_ident(), str(path), events)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load(path)
        except BaseException as err:  # noqa: BLE001 - handed to the test to judge
            result["error"] = err
        finally:
            _Watch.active = None
            result["events"] = events

    start = time.perf_counter()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(TIME_LIMIT)
    elapsed = time.perf_counter() - start
    assert not worker.is_alive(), f"loading {path} did not finish within {TIME_LIMIT} s"
    return result.get("error"), elapsed, result["events"]


# ----- building the cases ----------------------------------------------------------------------
def _central(data, name, offset, size, value):
    """Overwrite a field of ``name``'s central-directory entry (offsets as in the zip spec)."""
    data = bytearray(data)
    for match in re.finditer(rb"PK\x01\x02", bytes(data)):
        start = match.start()
        length = int.from_bytes(data[start + 28:start + 30], "little")
        if data[start + 46:start + 46 + length] == name.encode():
            data[start + offset:start + offset + size] = value.to_bytes(size, "little")
    return bytes(data)


def _local(data, name, offset, size, value):
    """Overwrite a field of ``name``'s local file header."""
    data = bytearray(data)
    for match in re.finditer(rb"PK\x03\x04", bytes(data)):
        start = match.start()
        length = int.from_bytes(data[start + 26:start + 28], "little")
        if data[start + 30:start + 30 + length] == name.encode():
            data[start + offset:start + offset + size] = value.to_bytes(size, "little")
    return bytes(data)


def _truncated(fraction):
    return lambda good, canary: good[: int(len(good) * fraction)]


def _member(name, value):
    return lambda good, canary: _zip({**_members(good), name: value(canary) if callable(value) else value})


def _symlink_config(good, canary):
    """config.json stored as a symlink (Unix mode 0o120777) whose text is the canary's path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in _members(good).items():
            if name == "config.json":
                info = zipfile.ZipInfo(name)
                info.create_system, info.external_attr = 3, 0o120777 << 16
                archive.writestr(info, str(canary))
            else:
                archive.writestr(name, value)
    return buffer.getvalue()


def _huge_dataset(path, shape, dtype):
    def mutate(f, canary):
        del f[path]
        f.create_dataset(path, shape=shape, chunks=(1,) * len(shape), dtype=dtype)  # declared, never written
    return mutate


def _layer(update):
    return _with_config(lambda config, canary: config["config"]["layers"][1].update(update(canary)))


def _compile(key, value):
    return _with_config(lambda config, canary: config["compile_config"].__setitem__(key, value(canary)))


SIZE_LIMIT = str(keras_file.MAX_MEMBER_BYTES)

NEW_ROWS = [
    # ----- the archive ------------------------------------------------------------------
    ("truncated_to_a_quarter", _truncated(0.25), r"truncated or corrupt"),
    ("truncated_by_one_byte", lambda good, canary: good[:-1], r"truncated or corrupt"),
    ("truncated_in_the_central_directory", lambda good, canary: good[:-30], r"truncated or corrupt"),
    ("zeroed_second_half", lambda good, canary: good[: len(good) // 2] + bytes(len(good) - len(good) // 2),
     r"truncated or corrupt"),
    ("zip_magic_then_noise", lambda good, canary: b"PK\x03\x04" + np.random.default_rng(0).bytes(512),
     r"truncated or corrupt"),
    ("unknown_compression_method", lambda good, canary: _central(_local(good, "config.json", 8, 2, 99),
                                                                 "config.json", 10, 2, 99),
     r"'config\.json' is truncated or corrupt \(That compression method is not supported\)"),
    ("encrypted_member", lambda good, canary: _central(good, "config.json", 8, 2, 1),
     r"'config\.json' is truncated or corrupt .*encrypted"),
    ("member_offset_past_the_end", lambda good, canary: _central(good, "config.json", 42, 4, 0x7FFFFFF0),
     r"'config\.json' is truncated or corrupt"),
    ("too_many_members", lambda good, canary: _zip({**_members(good), **{f"m{i}": b"" for i in range(1001)}}),
     r"the archive has 1004 members; at most 1000"),
    ("config_declares_4_gib", lambda good, canary: _central(good, "config.json", 24, 4, 0xFFFFFFF0),
     rf"'config\.json' declares 4294967280 bytes uncompressed, over the limit of {SIZE_LIMIT}"),
    ("every_member_declares_2_gib", lambda good, canary: _central(_central(_central(
        good, "config.json", 24, 4, 0x7FFFFFF0), "metadata.json", 24, 4, 0x7FFFFFF0),
        "model.weights.h5", 24, 4, 0x7FFFFFF0), r"declares 2147483632 bytes but stores only \d+; .*zip bomb"),
    ("members_in_a_folder", lambda good, canary: _zip({f"sub/{k}": v for k, v in _members(good).items()}),
     r"missing config\.json \(the archive holds \['sub/config\.json'"),
    ("backslash_dotdot_name", _member("..\\evil", b"x"), r"unsafe member name '\.\.\\\\evil'"),
    ("drive_letter_name", _member("C:/Windows/evil", b"x"), r"unsafe member name 'C:/Windows/evil'"),
    ("dotdot_inside_name", _member("a/../../canary", b"x"), r"unsafe member name 'a/\.\./\.\./canary'"),
    ("symlink_member_to_canary", _symlink_config, r"config\.json is not valid JSON"),
    # ----- config.json and metadata.json --------------------------------------------------
    ("config_not_utf8", _member("config.json", b"\xff\xfe{}"), r"config\.json is not UTF-8 text"),
    ("config_empty", _member("config.json", b""), r"config\.json is not valid JSON: Expecting value"),
    ("config_null", _member("config.json", b"null"), r"config\.json must hold a JSON object; it holds a NoneType"),
    ("config_objects_nested_5000_deep", _member("config.json", b'{"a":' * 5000 + b"1" + b"}" * 5000),
     r"nested too deeply"),
    ("metadata_not_json", _member("metadata.json", b"\x00garbage"), r"metadata\.json is not valid JSON"),
    ("layers_not_a_list", _with_config(lambda config, canary: config["config"].update(layers="Dense")),
     r"a Sequential config is a JSON object with a 'layers' list"),
    ("layer_config_a_list", _layer(lambda canary: {"config": [1, 2]}), r"'config' must be a JSON object"),
    ("class_name_a_number", _layer(lambda canary: {"class_name": 7}), r"'class_name' must be a string"),
    ("class_name_dotted_path", _layer(lambda canary: {"class_name": "subprocess.Popen"}),
     r"'subprocess\.Popen' is not an allowed layer class"),
    ("class_name_dunder_import", _layer(lambda canary: {"class_name": "__import__"}),
     r"'__import__' objects .* are never loaded"),
    ("registered_builtins_eval", _layer(lambda canary: {"registered_name": "builtins>eval"}),
     r"custom registered object 'builtins>eval'"),
    ("activation_from_importlib", _set(1, "activation", lambda canary: {
        "module": "importlib", "class_name": "import_module", "config": "os"}), r"names the Python module 'importlib'"),
    ("initializer_value_lambda", _set(1, "kernel_initializer", lambda canary: {
        "module": "keras.initializers", "class_name": "Constant",
        "config": {"value": {"class_name": "__lambda__", "config": {"code": f"open({str(canary)!r}, 'w')"}}}}),
     r"kernel_initializer\.config\.value: '__lambda__' objects"),
    ("unknown_layer_option_with_code", _set(1, "evil_option",
                                            lambda canary: f"__import__('os').system('touch {canary}')"),
     r"option evil_option=.* of Dense is not supported"),
    ("units_negative", _set(1, "units", lambda canary: -3), r"cannot build Dense from this config: .*units=-3"),
    ("units_a_string", _set(1, "units", lambda canary: "3"), r"cannot build Dense .*units='3'"),
    ("units_fractional", _set(1, "units", lambda canary: 2.5), r"cannot build Dense .*units=2\.5"),
    ("input_of_a_billion_features", _with_config(lambda config, canary: config["config"]["layers"][0]["config"].update(
        batch_shape=[None, 10 ** 9])), r"would need 2000000000 weights .* refusing"),
    ("dtype_object", _set(1, "dtype", lambda canary: "object"), r"dtype \(policy\) 'object' is not supported"),
    ("unknown_activation_name", _set(1, "activation", lambda canary: "relux"), r"Unknown activation function: 'relux'"),
    ("loss_names_eval", _compile("loss", lambda canary: {
        "module": "builtins", "class_name": "function", "config": "eval", "registered_name": "eval"}),
     r"compile_config\.loss: names the Python module 'builtins'"),
    ("metric_runs_a_command", _compile("metrics", lambda canary: [{
        "module": "os", "class_name": "system", "config": {"command": f"touch {canary}"}}]),
     r"compile_config\.metrics\[0\]: names the Python module 'os'"),
    ("optimizer_from_another_module", _with_config(lambda config, canary: config["compile_config"]["optimizer"].update(
        module="torch.optim")), r"names the Python module 'torch\.optim'"),
    ("learning_rate_infinite", _with_config(lambda config, canary: config["compile_config"]["optimizer"]["config"]
                                            .update(learning_rate=float("inf"))),
     r"cannot build Adam from this config: Argument `learning_rate`"),
    # ----- model.weights.h5 -------------------------------------------------------------------
    ("kernel_transposed", _with_weights(_replace_dataset("layers/dense/vars/0", np.zeros((2, 3), "f4"))),
     r"layers/dense/vars/0 has shape \(2, 3\), but layer \"dense.*expects \(3, 2\)"),
    ("kernel_a_scalar", _with_weights(_replace_dataset("layers/dense/vars/0", np.float32(1))),
     r"layers/dense/vars/0 has shape \(\), but layer"),
    ("kernel_complex", _with_weights(_replace_dataset("layers/dense/vars/0", np.zeros((3, 2), "c8"))),
     r"has dtype complex64, not a plain numeric array"),
    ("dataset_declares_40_gb", _with_weights(_huge_dataset("layers/dense/vars/0", (100000, 100000), "f4")),
     r"layers/dense/vars/0 declares shape \(100000, 100000\), over"),
    ("optimizer_declares_8_gb", _with_weights(_huge_dataset("optimizer/vars/0", (10 ** 9,), "i8")),
     r"optimizer/vars/0 declares shape \(1000000000,\), over"),
    ("optimizer_slot_shape", _with_weights(_replace_dataset("optimizer/vars/2", np.zeros((5, 5), "f4"))),
     r"optimizer/vars/2 has shape \(5, 5\), but optimizer state 'momentum/0' of Adam expects \(3, 2\)"),
    ("weights_for_a_missing_layer", _with_weights(lambda f, canary: f.create_dataset(
        "layers/ghost/vars/0", data=np.zeros(3))), r"layers/ghost holds weights, but the model has no layer"),
    ("vars_a_dataset_not_a_group", _with_weights(lambda f, canary: (
        f.__delitem__("layers/dense/vars"), f.create_dataset("layers/dense/vars", data=np.zeros(3)))),
     r"layers/dense/vars should be a group but is a Dataset"),
    ("weights_file_truncated", lambda good, canary: _zip(
        {**_members(good), "model.weights.h5": _members(good)["model.weights.h5"][:600]}),
     r"model\.weights\.h5 is not a valid HDF5 file"),
]

ROWS = list(HOSTILE_ROWS) + NEW_ROWS


@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), L.Dense(2, activation="relu"), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    path = tmp_path_factory.mktemp("good") / "good.keras"
    model.save(path)
    tf.keras.models.load_model(path)  # imports what loading needs (h5py's lazy modules) outside any watch
    return path.read_bytes()


def test_the_table_holds_at_least_50_distinct_cases():
    assert len(ROWS) >= 50 and len({row[0] for row in ROWS}) == len(ROWS)


def test_the_good_file_loads_under_the_same_watch(good_file, tmp_path):
    """The control: the harness itself raises nothing and sees nothing forbidden."""
    path = tmp_path / "good.keras"
    path.write_bytes(good_file)
    error, elapsed, events = _load_bounded(tf.keras.models.load_model, path)
    assert error is None and events == [] and elapsed < TIME_LIMIT


@pytest.mark.parametrize("make, message", [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_hostile_file_is_refused_quickly_and_runs_nothing(make, message, good_file, tmp_path):
    canary = tmp_path / "canary"
    path = tmp_path / "bad.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate-name case it is asked to write
        path.write_bytes(make(good_file, canary))
    error, elapsed, events = _load_bounded(tf.keras.models.load_model, path)
    assert isinstance(error, InvalidModelFileError), repr(error)
    assert re.search(message, str(error)), str(error)
    assert str(path) in str(error)
    assert not canary.exists()
    assert events == []
    assert elapsed < TIME_LIMIT


# ----- .weights.h5 files, through load_weights ------------------------------------------------------
def _weights_bytes(good):
    return _members(good)["model.weights.h5"]


def _weights_with(mutate):
    def make(good, canary):
        buffer = io.BytesIO(_weights_bytes(good))
        with h5py.File(buffer, "r+") as f:
            mutate(f, canary)
        return buffer.getvalue()
    return make


WEIGHTS_ROWS = [
    ("not_hdf5", lambda good, canary: b"not an hdf5 file at all", r"not a valid HDF5 file"),
    ("truncated", lambda good, canary: _weights_bytes(good)[:1000], r"not a valid HDF5 file"),
    ("external_link_to_canary", _weights_with(lambda f, canary: (f.__delitem__("layers/dense"), f.__setitem__(
        "layers/dense", h5py.ExternalLink(str(canary), "/")))), r"layers/dense is a link \(ExternalLink\)"),
    ("kernel_shape", _weights_with(_replace_dataset("layers/dense/vars/0", np.zeros((4, 2), "f4"))),
     r"layers/dense/vars/0 has shape \(4, 2\)"),
    ("string_bias", _weights_with(_replace_dataset("layers/dense/vars/1", np.array([b"rm", b"-rf"]))),
     r"not a plain numeric array"),
    ("declares_40_gb", _weights_with(_huge_dataset("layers/dense/vars/0", (100000, 100000), "f4")),
     r"declares shape \(100000, 100000\)"),
]


@pytest.mark.parametrize("make, message", [row[1:] for row in WEIGHTS_ROWS], ids=[row[0] for row in WEIGHTS_ROWS])
def test_hostile_weights_file_is_refused_and_changes_nothing(make, message, good_file, tmp_path):
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), L.Dense(2, activation="relu"), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    canary = tmp_path / "canary"
    path = tmp_path / "bad.weights.h5"
    path.write_bytes(make(good_file, canary))
    error, elapsed, events = _load_bounded(model.load_weights, path)
    assert isinstance(error, InvalidModelFileError) and re.search(message, str(error)), repr(error)
    assert not canary.exists() and events == [] and elapsed < TIME_LIMIT
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_config_of_every_case_is_still_json_the_loader_could_parse(good_file):
    """A guard on the table itself: config mutations produce JSON (so they test the checks, not json)."""
    for name, make, _ in NEW_ROWS:
        if name.startswith(("config_", "metadata_", "truncated", "zeroed", "zip_", "unknown_comp", "encrypted",
                            "member_", "too_many", "every_member", "members_in", "symlink", "weights_file")):
            continue
        data = make(good_file, pathlib.Path("/nonexistent/canary"))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            json.loads(archive.read("config.json"))
