"""The course's two training workloads, glassnet beside Keras and PyTorch when installed.

- digits: 5,000 x 400 inputs (the bundled synthetic digits), Dense 25 relu -> 15 relu ->
  10 linear, sparse cross-entropy from logits, Adam 0.001, batch 32.
- coffee: 200,000 x 2 (the course's coffee-roasting data, normalised and tiled 1000x),
  Dense 3 sigmoid -> 1 sigmoid, binary cross-entropy, Adam 0.01, batch 32.

Every framework starts from the same Glorot-uniform weights (drawn once with NumPy from a
fixed seed), trains on the same float32 arrays with shuffling, and is timed in its own
process, one after the other. Printed: median seconds per epoch after the first, the
microseconds per step that implies, and the first epoch's time.

Run: ``python benchmarks/course_workloads.py [--epochs 5] [--only glassnet]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

WORKLOADS = {
    "digits": {"sizes": (400, 25, 15, 10), "activations": ("relu", "relu", "linear"),
               "loss": "sparse", "learning_rate": 0.001},
    "coffee": {"sizes": (2, 3, 1), "activations": ("sigmoid", "sigmoid"),
               "loss": "binary", "learning_rate": 0.01},
}
BATCH = 32


def make_data(workload: str):
    if workload == "digits":
        from glassnet.datasets import synthetic_digits

        (x, y), _ = synthetic_digits.load_data(n_samples=5000, test_fraction=0.0001, seed=0)
        return x.reshape(len(x), -1).astype(np.float32), y.astype(np.int64)
    from glassnet.datasets import coffee_roasting

    x, y = coffee_roasting()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.tile(x, (1000, 1)).astype(np.float32), np.tile(y, (1000, 1)).astype(np.float32)


def initial_weights(sizes, seed=0):
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32), np.zeros(fan_out, np.float32)]
    return weights


# ----- one trainer per framework; each returns a list of epoch times -----------------------
def train_glassnet(spec, x, y, weights, epochs):
    import glassnet as tf
    from glassnet.keras import Sequential
    from glassnet.keras.layers import Dense

    tf.random.set_seed(0)
    model = Sequential([tf.keras.Input(shape=(spec["sizes"][0],))]
                       + [Dense(n, activation=a) for n, a in zip(spec["sizes"][1:], spec["activations"])])
    model.set_weights(weights)
    loss = (tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True) if spec["loss"] == "sparse"
            else tf.keras.losses.BinaryCrossentropy())
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(spec["learning_rate"]))
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def train_keras(spec, x, y, weights, epochs):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.random.set_seed(0)
    layers = [tf.keras.Input(shape=(spec["sizes"][0],))]
    layers += [tf.keras.layers.Dense(n, activation=a) for n, a in zip(spec["sizes"][1:], spec["activations"])]
    model = tf.keras.Sequential(layers)
    model.set_weights(weights)
    loss = (tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True) if spec["loss"] == "sparse"
            else tf.keras.losses.BinaryCrossentropy())
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(spec["learning_rate"]))
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def train_torch(spec, x, y, weights, epochs):
    import torch

    torch.manual_seed(0)
    modules = []
    for i, (n_in, n_out) in enumerate(zip(spec["sizes"][:-1], spec["sizes"][1:])):
        linear = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[2 * i].T.copy()))
            linear.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
        modules.append(linear)
        act = spec["activations"][i]
        if act == "relu":
            modules.append(torch.nn.ReLU())
        elif act == "sigmoid" and not (spec["loss"] == "binary" and i == len(spec["activations"]) - 1):
            modules.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*modules)
    # binary: the last sigmoid is fused into BCEWithLogitsLoss, as a PyTorch user would write it
    loss_fn = torch.nn.CrossEntropyLoss() if spec["loss"] == "sparse" else torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=spec["learning_rate"], eps=1e-7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        xs, ys = xt[order], yt[order]
        for i in range(0, len(xs), BATCH):
            opt.zero_grad()
            loss = loss_fn(model(xs[i:i + BATCH]), ys[i:i + BATCH])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


TRAINERS = {"glassnet": train_glassnet, "keras": train_keras, "pytorch": train_torch}
IMPORTS = {"glassnet": "glassnet", "keras": "tensorflow", "pytorch": "torch"}


def run_one(framework, workload, epochs):
    spec = WORKLOADS[workload]
    x, y = make_data(workload)
    times = TRAINERS[framework](spec, x, y, initial_weights(spec["sizes"]), epochs)
    steps = -(-len(x) // BATCH)
    steady = statistics.median(times[1:]) if len(times) > 1 else times[0]
    return {"first_epoch_s": times[0], "epoch_s": steady, "us_per_step": steady / steps * 1e6}


def _child_env():
    """The children import glassnet's data generators from this checkout, whatever their Python."""
    import os
    import pathlib

    env = dict(os.environ)
    src = str(pathlib.Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--only", nargs="*", default=list(TRAINERS))
    parser.add_argument("--python", default=sys.executable, help="interpreter for the peers (one with them installed)")
    parser.add_argument("--child", nargs=3, metavar=("FRAMEWORK", "WORKLOAD", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        framework, workload, epochs = args.child
        print(json.dumps(run_one(framework, workload, int(epochs))))
        return
    print(f"{'workload':<8} {'framework':<9} {'s/epoch':>9} {'us/step':>9} {'1st epoch s':>12}")
    for workload in args.workloads:
        for framework in args.only:
            python = sys.executable if framework == "glassnet" else args.python
            probe = subprocess.run([python, "-c", f"import {IMPORTS[framework]}"], capture_output=True, env=_child_env())
            if probe.returncode != 0:
                print(f"{workload:<8} {framework:<9} {'(not installed)':>9}")
                continue
            result = subprocess.run([python, __file__, "--child", framework, workload, str(args.epochs)],
                                    capture_output=True, text=True, env=_child_env())
            if result.returncode != 0:
                print(f"{workload:<8} {framework:<9} failed: {result.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{workload:<8} {framework:<9} {r['epoch_s']:9.3f} {r['us_per_step']:9.0f} {r['first_epoch_s']:12.3f}")


if __name__ == "__main__":
    main()
