"""Saves killed at random points: the file is always the old model or the new one, and always loads.

A separate Python process (``PYTHONPATH=src``) builds two models, A and B (Dense
400-256-64-10 with Adam state: a 1.4 MB file that takes a few milliseconds to save),
saves A, and then, once per round, forks a saver that overwrites the same file with
B, A, B, ... in a loop until this test SIGKILLs it after a random delay. Forking from
that one warm process (instead of starting Python each time) keeps 100+ kills within
a few seconds. After each kill, the file must load and hold exactly A's or B's weights
and optimizer state.

A kill between ``mkstemp`` and ``os.replace`` leaves a ``.m.keras.<random>.tmp`` file
beside the model. The loader never reads those (it opens only the path it is given),
so they lose nothing; they are counted and reported (and deleted after each round, as
each can be as large as the model), not failed on.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import glassnet as tf

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32",
                                reason="forks a saver and kills it with SIGKILL (POSIX)")

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
KILLS = 120

SAVER = r"""
import os, signal, sys
import numpy as np
import glassnet as tf

def build(seed):
    tf.random.set_seed(seed)
    model = tf.keras.Sequential([tf.keras.Input(shape=(400,)), tf.keras.layers.Dense(256, activation="relu"),
                                 tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.full((8, 400), seed, dtype="float32"), np.zeros((8, 10)), verbose=0)
    return model

path, reference = sys.argv[1], sys.argv[2]
models = [build(1), build(2)]
models[0].save(path)                      # the file starts as A
models[1].save(reference)                 # B, for the test to compare with
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed savers are reaped at once
print("ready", flush=True)
for _ in sys.stdin:                       # one line per round: fork a saver, report its pid
    pid = os.fork()
    if pid == 0:
        k = 1
        while True:                       # B over A, A over B, ... until killed
            models[k % 2].save(path)
            k += 1
    print(pid, flush=True)
"""


def _digest(path):
    model = tf.keras.models.load_model(path)
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(w.tobytes())
    for key, value in model.optimizer.get_state().items():
        digest.update(key.encode() + np.asarray(value).tobytes())
    return digest.hexdigest()


def _wait_gone(pid, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.0005)
    raise AssertionError(f"saver {pid} still exists {timeout} s after SIGKILL")


def test_killed_saves_leave_the_old_or_the_new_model(tmp_path):
    path, reference = tmp_path / "m.keras", tmp_path / "b.keras"
    env = dict(os.environ, PYTHONPATH=SRC, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    process = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(reference)], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
        allowed = {_digest(path): "A", _digest(reference): "B"}
        assert len(allowed) == 2
        rng = random.Random(0)
        seen, mid_write, strays = {"A": 0, "B": 0}, 0, 0
        for _ in range(KILLS):
            process.stdin.write("go\n")
            process.stdin.flush()
            pid = int(process.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.05))   # a save takes ~5-15 ms: kills land all over it
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
            seen[allowed[_digest(path)]] += 1     # loads, and is exactly A or B (KeyError otherwise)
            others = [p for p in tmp_path.iterdir() if p.name not in ("m.keras", "b.keras")]
            assert all(p.name.startswith(".m.keras.") and p.name.endswith(".tmp") for p in others), others
            mid_write += bool(others)
            strays += len(others)
            for stray in others:  # each is up to a whole model: do not let 100 of them pile up
                stray.unlink()
        assert sum(seen.values()) == KILLS and min(seen.values()) > 0
        assert mid_write >= KILLS // 10, mid_write  # many kills landed inside a write, not between saves
        print(f"\n{KILLS} kills survived: the file held A {seen['A']} times and B {seen['B']} times; "
              f"{mid_write} kills landed mid-write and left {strays} stray temporary files")
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_later_save_removes_what_killed_saves_left_behind(tmp_path):
    from glassnet.saving.atomic import STALE_SECONDS, atomic_write

    target = tmp_path / "m.keras"
    stale = tmp_path / ".m.keras.abc123.tmp"      # a save killed long ago
    recent = tmp_path / ".m.keras.def456.tmp"     # maybe a save still running elsewhere
    other = tmp_path / ".other.keras.ghi789.tmp"  # another file's: not this save's business
    for leftover in (stale, recent, other):
        leftover.write_bytes(b"partial")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with atomic_write(target) as f:
        f.write(b"model")
    assert target.read_bytes() == b"model"
    assert not stale.exists()
    assert recent.exists() and other.exists()
