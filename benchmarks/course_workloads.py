"""The course's training workloads, glassnet beside Keras and PyTorch when installed.

- digits: 5,000 x 400 inputs (the bundled synthetic digits), Dense 25 relu -> 15 relu ->
  10 linear, sparse cross-entropy from logits, Adam 0.001, batch 32.
- coffee: 200,000 x 2 (the course's coffee-roasting data, normalised and tiled 1000x),
  Dense 3 sigmoid -> 1 sigmoid, binary cross-entropy, Adam 0.01, batch 32.
- cnn: 10,000 x 28 x 28 x 1 (the bundled synthetic digits drawn at 28 x 28, seed 0),
  Conv2D 32 3x3 relu -> MaxPooling2D 2 -> Conv2D 64 3x3 relu -> MaxPooling2D 2 ->
  Flatten -> Dense 10 linear, sparse cross-entropy from logits, Adam 0.001, batch 64.

Every framework starts from the same Glorot-uniform kernels and zero biases (drawn once
with NumPy from a fixed seed; a conv kernel's fans are ``kh*kw*in`` and ``kh*kw*out``, as
in Keras), trains on the same float32 arrays with shuffling, and is timed in its own
process, one after the other. PyTorch computes channels-first, so it gets each conv kernel
transposed to (filters, channels, kh, kw) and the dense kernel's rows reordered from
(h, w, c) to (c, h, w), the order its flatten reads them in: the same function, started
from the same point. Printed: median seconds per epoch after the first, the milliseconds
per step that implies, the fastest epoch's ms per step (the machine may be shared), and
the first epoch's time.

``--threads N`` caps every framework's thread pools (OpenBLAS/OpenMP through the
environment, ``torch.set_num_threads``, TensorFlow's intra-/inter-op pools); without it
each uses its defaults.

Run: ``python benchmarks/course_workloads.py [--epochs 5] [--workloads cnn] [--only glassnet]
[--threads 1] [--python /path/to/python-with-peers]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

WORKLOADS = {
    "digits": {"sizes": (400, 25, 15, 10), "activations": ("relu", "relu", "linear"),
               "loss": "sparse", "learning_rate": 0.001, "batch": 32},
    "coffee": {"sizes": (2, 3, 1), "activations": ("sigmoid", "sigmoid"),
               "loss": "binary", "learning_rate": 0.01, "batch": 32},
    "cnn": {"input": (28, 28, 1), "filters": (32, 64), "kernel": 3, "pool": 2, "classes": 10,
            "loss": "sparse", "learning_rate": 0.001, "batch": 64},
}


def make_data(workload: str):
    from glassnet.datasets import synthetic_digits

    if workload == "digits":
        (x, y), _ = synthetic_digits.load_data(n_samples=5000, test_fraction=0.0001, seed=0)
        return x.reshape(len(x), -1).astype(np.float32), y.astype(np.int64)
    if workload == "cnn":
        (x, y), _ = synthetic_digits.load_data(n_samples=10000, image_size=28, test_fraction=0.0, seed=0)
        return x[:, :, :, None].astype(np.float32), y.astype(np.int64)
    from glassnet.datasets import coffee_roasting

    x, y = coffee_roasting()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.tile(x, (1000, 1)).astype(np.float32), np.tile(y, (1000, 1)).astype(np.float32)


def _glorot(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def _cnn_shapes(spec):
    """(height, width) after each conv + pool stage, and the flattened size."""
    h, w, _ = spec["input"]
    for _ in spec["filters"]:
        h, w = (h - spec["kernel"] + 1) // spec["pool"], (w - spec["kernel"] + 1) // spec["pool"]
    return (h, w), h * w * spec["filters"][-1]


def initial_weights(spec, seed=0):
    """Keras-layout weights in ``get_weights()`` order: Glorot-uniform kernels, zero biases."""
    rng = np.random.default_rng(seed)
    weights = []
    if "filters" in spec:
        k, channels = spec["kernel"], spec["input"][-1]
        for filters in spec["filters"]:
            weights += [_glorot(rng, (k, k, channels, filters), k * k * channels, k * k * filters),
                        np.zeros(filters, np.float32)]
            channels = filters
        _, flat = _cnn_shapes(spec)
        return weights + [_glorot(rng, (flat, spec["classes"]), flat, spec["classes"]),
                          np.zeros(spec["classes"], np.float32)]
    sizes = spec["sizes"]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weights += [_glorot(rng, (fan_in, fan_out), fan_in, fan_out), np.zeros(fan_out, np.float32)]
    return weights


# ----- one trainer per framework; each returns a list of epoch times -----------------------
def _keras_style_layers(spec, keras):
    """The workload's layers through a Keras-shaped API (glassnet's or Keras's own)."""
    layers = keras.layers
    if "filters" in spec:
        stack = [keras.Input(shape=spec["input"])]
        for filters in spec["filters"]:
            stack += [layers.Conv2D(filters, spec["kernel"], activation="relu"), layers.MaxPooling2D(spec["pool"])]
        return stack + [layers.Flatten(), layers.Dense(spec["classes"])]
    return [keras.Input(shape=(spec["sizes"][0],))] + [
        layers.Dense(n, activation=a) for n, a in zip(spec["sizes"][1:], spec["activations"])]


def _fit_epochs(model, x, y, spec, epochs):
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return times


def train_glassnet(spec, x, y, weights, epochs, threads):
    import glassnet as tf

    tf.random.set_seed(0)
    model = tf.keras.Sequential(_keras_style_layers(spec, tf.keras))
    model.set_weights(weights)
    loss = (tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True) if spec["loss"] == "sparse"
            else tf.keras.losses.BinaryCrossentropy())
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(spec["learning_rate"]))
    return _fit_epochs(model, x, y, spec, epochs)


def train_keras(spec, x, y, weights, epochs, threads):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.random.set_seed(0)
    model = tf.keras.Sequential(_keras_style_layers(spec, tf.keras))
    model.set_weights(weights)
    loss = (tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True) if spec["loss"] == "sparse"
            else tf.keras.losses.BinaryCrossentropy())
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(spec["learning_rate"]))
    return _fit_epochs(model, x, y, spec, epochs)


def _torch_cnn(spec, weights, torch):
    """The CNN in PyTorch's channels-first layout, from the Keras-layout ``weights``."""
    nn = torch.nn
    modules, channels = [], spec["input"][-1]
    for i, filters in enumerate(spec["filters"]):
        conv = nn.Conv2d(channels, filters, spec["kernel"])
        with torch.no_grad():  # (kh, kw, in, out) -> (out, in, kh, kw)
            conv.weight.copy_(torch.from_numpy(weights[2 * i].transpose(3, 2, 0, 1).copy()))
            conv.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
        modules += [conv, nn.ReLU(), nn.MaxPool2d(spec["pool"])]
        channels = filters
    (h, w), flat = _cnn_shapes(spec)
    linear = nn.Linear(flat, spec["classes"])
    kernel = weights[-2].reshape(h, w, channels, -1).transpose(2, 0, 1, 3).reshape(flat, -1)  # rows (h,w,c) -> (c,h,w)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
        linear.bias.copy_(torch.from_numpy(weights[-1]))
    return nn.Sequential(*modules, nn.Flatten(), linear)


def train_torch(spec, x, y, weights, epochs, threads):
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    if "filters" in spec:
        model = _torch_cnn(spec, weights, torch)
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # NHWC -> NCHW, once
    else:
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
    batch = spec["batch"]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        xs, ys = xt[order], yt[order]
        for i in range(0, len(xs), batch):
            opt.zero_grad()
            loss = loss_fn(model(xs[i:i + batch]), ys[i:i + batch])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


TRAINERS = {"glassnet": train_glassnet, "keras": train_keras, "pytorch": train_torch}
IMPORTS = {"glassnet": "glassnet", "keras": "tensorflow", "pytorch": "torch"}


def run_one(framework, workload, epochs, threads=0):
    spec = WORKLOADS[workload]
    x, y = make_data(workload)
    times = TRAINERS[framework](spec, x, y, initial_weights(spec), epochs, threads)
    steps = -(-len(x) // spec["batch"])
    steady = statistics.median(times[1:]) if len(times) > 1 else times[0]
    best = min(times[1:]) if len(times) > 1 else times[0]
    return {"first_epoch_s": times[0], "epoch_s": steady, "ms_per_step": steady / steps * 1e3,
            "best_ms_per_step": best / steps * 1e3}


def _child_env(threads=0):
    """The children import glassnet's data generators from this checkout, whatever their
    Python; ``threads`` > 0 caps the BLAS and OpenMP pools (read when the libraries load)."""
    import pathlib

    env = dict(os.environ)
    src = str(pathlib.Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    if threads:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--only", nargs="*", default=list(TRAINERS))
    parser.add_argument("--threads", type=int, default=0, help="cap every framework's threads (0: their defaults)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the peers (one with them installed)")
    parser.add_argument("--child", nargs=4, metavar=("FRAMEWORK", "WORKLOAD", "EPOCHS", "THREADS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        framework, workload, epochs, threads = args.child
        print(json.dumps(run_one(framework, workload, int(epochs), int(threads))))
        return
    env = _child_env(args.threads)
    print(f"threads: {args.threads or 'default'}")
    print(f"{'workload':<8} {'framework':<9} {'s/epoch':>9} {'ms/step':>9} {'best ms/step':>13} {'1st epoch s':>12}")
    for workload in args.workloads:
        for framework in args.only:
            python = sys.executable if framework == "glassnet" else args.python
            probe = subprocess.run([python, "-c", f"import {IMPORTS[framework]}"], capture_output=True, env=env)
            if probe.returncode != 0:
                print(f"{workload:<8} {framework:<9} {'(not installed)':>9}")
                continue
            result = subprocess.run(
                [python, __file__, "--child", framework, workload, str(args.epochs), str(args.threads)],
                capture_output=True, text=True, env=env)
            if result.returncode != 0:
                print(f"{workload:<8} {framework:<9} failed: {result.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{workload:<8} {framework:<9} {r['epoch_s']:9.3f} {r['ms_per_step']:9.3f} "
                  f"{r['best_ms_per_step']:13.3f} {r['first_epoch_s']:12.3f}")


if __name__ == "__main__":
    main()
