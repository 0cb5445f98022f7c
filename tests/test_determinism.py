"""Determinism: two fresh processes with the same seed give bit-identical weights and history.

Three workloads, each run in two fresh Python processes (``PYTHONPATH=src``, nothing
shared but the seed):

- digits: Dense 25 relu -> 15 relu -> 10 on 2,000 synthetic 20x20 digits, sparse
  cross-entropy from logits, Adam, 2 epochs, batch 32, shuffled;
- cnn: Conv2D 4 3x3 relu -> MaxPooling2D 2 -> Flatten -> Dense 10 on 256 synthetic
  28x28 digits, 1 epoch, batch 32, shuffled;
- wide: Dense 256 relu -> 10 on 512 random 784-vectors, 1 epoch, batch 32: its first
  layer's products are large enough to be cut into blocks on glassnet's threads
  (glassnet.parallel), which the processes, all running at once, share two cores for.

Each process hashes every weight's bytes and the History's floats (written with
``repr``, so every bit counts), for seed 1234 and then, in the same process, seed 4321:
the two processes must agree on both hashes, and the two seeds must differ (so the
hash does see the weights).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

RUN = r"""
import hashlib, json, sys
import numpy as np
import glassnet as tf
from glassnet.datasets import synthetic_digits

def digits():
    (x, y), _ = synthetic_digits.load_data(n_samples=2000, test_fraction=0.0001, seed=0)
    x = x.reshape(len(x), -1)
    layers = [tf.keras.Input(shape=(400,)), tf.keras.layers.Dense(25, activation="relu"),
              tf.keras.layers.Dense(15, activation="relu"), tf.keras.layers.Dense(10)]
    return layers, x, y, 2

def cnn():
    (x, y), _ = synthetic_digits.load_data(n_samples=256, image_size=28, test_fraction=0.0, seed=0)
    layers = [tf.keras.Input(shape=(28, 28, 1)), tf.keras.layers.Conv2D(4, 3, activation="relu"),
              tf.keras.layers.MaxPooling2D(2), tf.keras.layers.Flatten(), tf.keras.layers.Dense(10)]
    return layers, x[..., None], y, 1

def wide():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((512, 784)).astype(np.float32), rng.integers(0, 10, 512)
    layers = [tf.keras.Input(shape=(784,)), tf.keras.layers.Dense(256, activation="relu"),
              tf.keras.layers.Dense(10)]
    return layers, x, y, 1

def run(workload, seed):
    tf.random.set_seed(seed)
    layers, x, y, epochs = workload()
    model = tf.keras.Sequential(layers)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.001), metrics=["accuracy"],
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(w.tobytes())
    digest.update(json.dumps({k: [repr(v) for v in vs] for k, vs in history.history.items()}).encode())
    return {"hash": digest.hexdigest(), "history": {k: [repr(v) for v in vs] for k, vs in history.history.items()}}

workload = {"digits": digits, "cnn": cnn, "wide": wide}[sys.argv[1]]
print(json.dumps({"same": run(workload, 1234), "other": run(workload, 4321)}))
"""


@pytest.fixture(scope="module")
def runs():
    """Each workload twice, in six fresh processes started together."""
    env = dict(os.environ, PYTHONPATH=SRC)
    children = {(workload, i): subprocess.Popen([sys.executable, "-c", RUN, workload], env=env, text=True,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for workload in ("digits", "cnn", "wide") for i in range(2)}
    results = {}
    for key, child in children.items():
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results[key] = json.loads(out)
    return results


@pytest.mark.parametrize("workload", ["digits", "cnn", "wide"])
def test_same_seed_in_fresh_processes_gives_identical_weights_and_history(runs, workload):
    first, second = runs[(workload, 0)], runs[(workload, 1)]
    assert re.fullmatch(r"[0-9a-f]{64}", first["same"]["hash"])
    assert first["same"] == second["same"]            # weights and history, bit for bit
    assert first["other"] == second["other"]
    assert first["same"]["hash"] != first["other"]["hash"]  # another seed: other weights
    assert set(first["same"]["history"]) == {"loss", "accuracy"}
