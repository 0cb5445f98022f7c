"""Downloaded data sets and progress on long work.

MNIST and Fashion-MNIST are tested on small files the tests write in the same formats
(``mnist.npz``; gzip'd IDX files), served through ``file://`` URLs or a local HTTP
server; nothing here reaches the internet. Offline is an unreachable local port.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import re
import struct
import sys
import threading

import numpy as np
import pytest

import glassnet as tf
from glassnet.datasets import ChecksumError, DownloadError, data_dir, fashion_mnist, get_file, mnist
from glassnet.keras.layers import Dense

UNREACHABLE = "http://127.0.0.1:9/"   # the discard port: connection refused at once


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----- fixtures: files in Keras's formats, and a cache directory ------------------------------
@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("GLASSNET_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def served(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    return folder


def mnist_arrays(n_train=6, n_test=4, seed=0):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, size=n_train, dtype=np.uint8),
            "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, size=n_test, dtype=np.uint8)}


@pytest.fixture
def mnist_file(served, monkeypatch):
    """A small mnist.npz served from a file:// folder, with the loader pointed at it."""
    arrays = mnist_arrays()
    path = served / "mnist.npz"
    np.savez(path, **arrays)
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", served.as_uri() + "/")
    monkeypatch.setattr(mnist, "FILE_HASH", sha256(path))
    return path, arrays


def idx_bytes(array):
    """An IDX file of unsigned bytes: 0x00 0x00, type 0x08, ndim, big-endian sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fashion_files(served, monkeypatch):
    arrays = mnist_arrays(n_train=5, n_test=3, seed=1)
    contents = {"train-labels-idx1-ubyte.gz": arrays["y_train"], "train-images-idx3-ubyte.gz": arrays["x_train"],
                "t10k-labels-idx1-ubyte.gz": arrays["y_test"], "t10k-images-idx3-ubyte.gz": arrays["x_test"]}
    hashes = {}
    for name, array in contents.items():
        (served / name).write_bytes(idx_bytes(array))
        hashes[name] = sha256(served / name)
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", served.as_uri() + "/")
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    return arrays


# ----- the cache directory ---------------------------------------------------------------------
def test_cache_dir_is_the_env_var_else_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GLASSNET_DATA_DIR", "~/data")
    assert data_dir() == tmp_path / "home" / "data"
    monkeypatch.delenv("GLASSNET_DATA_DIR")
    assert data_dir() == tmp_path / "home" / ".glassnet" / "datasets"


# ----- MNIST -----------------------------------------------------------------------------------
def test_mnist_downloads_verifies_and_returns_keras_arrays(cache, mnist_file, capsys):
    _, arrays = mnist_file
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")):
        assert got.dtype == np.uint8 and got.shape == arrays[key].shape
        np.testing.assert_array_equal(got, arrays[key])
    assert x_train.shape == (6, 28, 28) and y_test.shape == (4,)
    assert sorted(p.name for p in cache.iterdir()) == ["mnist.npz"]   # no partial files left
    out = capsys.readouterr().out
    assert f"Downloading data from {mnist.ORIGIN_FOLDER}mnist.npz" in out
    assert "Saved mnist.npz" in out and str(cache / "mnist.npz") in out


def test_mnist_second_load_reads_the_cache(cache, mnist_file, monkeypatch, capsys):
    mnist.load_data()
    capsys.readouterr()
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", UNREACHABLE)   # any download would now fail
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (6, 28, 28)
    assert capsys.readouterr().out == ""


def test_mnist_path_names_the_cache_file(cache, mnist_file, tmp_path):
    mnist.load_data(path="digits.npz")
    assert (cache / "digits.npz").is_file()
    mnist.load_data(path=str(tmp_path / "elsewhere" / "m.npz"))
    assert (tmp_path / "elsewhere" / "m.npz").is_file()


def test_checksum_mismatch_is_a_clear_error_and_caches_nothing(cache, mnist_file, monkeypatch):
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)
    with pytest.raises(ChecksumError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "0" * 64 in message and sha256(mnist_file[0]) in message
    assert "mnist.npz" in message and "nothing was cached" in message
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_without_cache_says_where_to_put_the_file(cache, monkeypatch):
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", UNREACHABLE)
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert f"{UNREACHABLE}mnist.npz" in message            # the URL
    assert str(cache / "mnist.npz") in message              # where to copy it
    assert "GLASSNET_DATA_DIR" in message
    assert list(cache.iterdir()) == []                      # no partial file


def test_a_file_placed_by_hand_is_used_offline(cache, mnist_file, monkeypatch, capsys):
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(mnist_file[0].read_bytes())
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", UNREACHABLE)
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, mnist_file[1]["x_train"])
    assert capsys.readouterr().out == ""


def test_a_cached_file_with_the_wrong_hash_is_downloaded_again(cache, mnist_file):
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"truncated")
    mnist.load_data()
    assert sha256(cache / "mnist.npz") == mnist.FILE_HASH


def test_offline_with_a_bad_cached_copy_says_so(cache, mnist_file, monkeypatch):
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"truncated")
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", UNREACHABLE)
    with pytest.raises(DownloadError, match="cached copy .* has SHA-256"):
        mnist.load_data()


def test_an_archive_without_the_mnist_arrays_is_rejected(cache, served, monkeypatch):
    path = served / "mnist.npz"
    np.savez(path, x_train=np.zeros((1, 28, 28), np.uint8))
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", served.as_uri() + "/")
    monkeypatch.setattr(mnist, "FILE_HASH", sha256(path))
    with pytest.raises(ValueError, match="y_train"):
        mnist.load_data()


# ----- Fashion-MNIST -----------------------------------------------------------------------------
def test_fashion_mnist_reads_the_idx_files(cache, fashion_files, capsys):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (5, 28, 28) and x_test.shape == (3, 28, 28)
    assert y_train.shape == (5,) and y_test.shape == (3,)
    for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, fashion_files[key])
    x_train[0, 0, 0] = 1                                    # writable, like np.load's arrays
    assert sorted(p.name for p in (cache / "fashion-mnist").iterdir()) == sorted(fashion_mnist.FILE_HASHES)
    assert capsys.readouterr().out.count("Downloading data from") == 4
    fashion_mnist.load_data()
    assert "Downloading" not in capsys.readouterr().out      # all four come from the cache


@pytest.mark.parametrize("header, match", [
    (bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 2), "IDX file of unsigned bytes"),   # float data
    (bytes([0, 0, 0x08, 1]) + struct.pack(">I", 5), "5 bytes"),                       # too short
])
def test_a_malformed_idx_file_is_rejected(cache, fashion_files, served, monkeypatch, header, match):
    name = "train-labels-idx1-ubyte.gz"
    (served / name).write_bytes(gzip.compress(header + b"\x01\x02"))
    monkeypatch.setitem(fashion_mnist.FILE_HASHES, name, sha256(served / name))
    with pytest.raises(ValueError, match=match):
        fashion_mnist.load_data()


# ----- get_file over HTTP, and the Keras surface ----------------------------------------------------
@pytest.fixture
def http_origin(served):
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_get_file_over_http_and_a_missing_url(cache, served, http_origin):
    (served / "blob.bin").write_bytes(b"x" * 100_000)
    digest = sha256(served / "blob.bin")
    path = get_file("blob.bin", http_origin + "blob.bin", file_hash=digest, cache_subdir="sub", verbose=0)
    assert path == cache / "sub" / "blob.bin" and sha256(path) == digest
    with pytest.raises(DownloadError, match="404"):
        get_file("gone.bin", http_origin + "gone.bin", file_hash=digest, verbose=0)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_download_shows_a_byte_bar_on_a_terminal(cache, mnist_file, monkeypatch, capsys):
    stderr = _Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    mnist.load_data()
    assert "Downloading mnist.npz" in stderr.getvalue()     # the tqdm bar (cleared at the end)
    assert "Saved mnist.npz" in capsys.readouterr().out


def test_get_file_rejects_a_hash_that_is_not_sha256(cache):
    with pytest.raises(ValueError, match="64 hex digits"):
        get_file("x", UNREACHABLE, file_hash="8a61469f7ea1b51cbae51d4f78837e45")   # an MD5


def test_keras_face_has_the_loaders(cache, mnist_file):
    import glassnet.keras.datasets as keras_datasets

    assert keras_datasets.mnist.load_data is mnist.load_data
    assert keras_datasets.fashion_mnist.load_data is fashion_mnist.load_data
    assert tf.keras.datasets.mnist.load_data()[0][0].shape == (6, 28, 28)


def test_published_origins_and_hashes_are_keras_ones():
    assert mnist.ORIGIN_FOLDER == fashion_mnist.ORIGIN_FOLDER == \
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert mnist.FILE_HASH.startswith("731c5ac6")
    assert fashion_mnist.FILE_HASHES["train-images-idx3-ubyte.gz"].startswith("3aede38d")
    assert all(len(h) == 64 for h in fashion_mnist.FILE_HASHES.values())


# ----- progress of predict and evaluate ------------------------------------------------------------
def small_model():
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), Dense(3, activation="relu"), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    return model


BAR_LINE = r"^\d+/\d+ \[=+\] - \d+s \d+(us|ms|s)/step"


def test_predict_verbose_prints_keras_lines(capsys):
    x = np.zeros((100, 2), np.float32)
    model = small_model()
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    assert model.predict(x, verbose=1).shape == (100, 1)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("4/4 [") and re.match(BAR_LINE, line)
    model.predict(x, verbose=2)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("4/4 - ") and line.endswith("/step")
    model.predict(x[:5], verbose=1)                         # a single batch still reports
    assert capsys.readouterr().out.startswith("1/1 [")


def test_evaluate_verbose_2_prints_one_epoch_line(capsys):
    x = np.zeros((100, 2), np.float32)
    model = small_model()
    model.evaluate(x, np.zeros(100), verbose=2)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("4/4 - ") and " - loss: " in line and line.endswith("/step")


def test_predict_and_evaluate_on_a_terminal_keep_one_final_line(monkeypatch):
    stdout = _Terminal()
    monkeypatch.setattr(sys, "stdout", stdout)
    x = np.zeros((100, 2), np.float32)
    model = small_model()
    expected = model.predict(x, batch_size=100)
    np.testing.assert_allclose(model.predict(x, verbose=1), expected)
    loss = model.evaluate(x, np.zeros(100), verbose=1)
    assert loss == pytest.approx(float(np.mean(expected ** 2)), rel=1e-5)
    finals = [line.split("\r")[-1] for line in stdout.getvalue().splitlines()]
    assert finals[0].startswith("4/4 [") and finals[1].startswith("4/4 [") and " - loss: " in finals[1]
