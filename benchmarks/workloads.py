"""The benchmark suite's six workloads, defined once for every framework.

A workload is a spec (layer sizes or conv stack, loss, Adam's learning rate, batch size)
plus a data generator and a set of initial weights, all from fixed seeds:

- data: float32 inputs; int64 class labels (sparse cross-entropy) or float32 0/1
  column (binary cross-entropy). coffee, digits and cnn reuse glassnet's bundled
  generators (the course's data); blobs, mnist_mlp and wide_mlp are drawn here with NumPy.
- weights: Glorot-uniform kernels and zero biases drawn with ``numpy.random.default_rng(0)``
  in Keras's ``get_weights()`` layout, so every framework starts from the same numbers
  (a conv kernel's fans are ``kh*kw*in`` and ``kh*kw*out``, as in Keras).

``scale`` keeps a fraction of each data set (for quick development runs); the model and
the hyper-parameters never change with it.

Accuracy is computed here, from each framework's outputs on the whole training set, so
that it means the same thing for all of them: for sparse workloads the arg-max of the
outputs (logits or probabilities rank alike), for binary ones the output >= 0.5 where the
output is a probability (frameworks that train on logits convert before handing over).
"""

from __future__ import annotations

import statistics

import numpy as np

SPARSE, BINARY = "sparse", "binary"
PREDICT_BATCH = 4096  # outputs for the accuracy are computed in chunks this big, untimed

WORKLOADS = {
    "coffee": {"n": 200_000, "sizes": (2, 3, 1), "activations": ("sigmoid", "sigmoid"),
               "loss": BINARY, "learning_rate": 0.01, "batch": 32},
    "digits": {"n": 5_000, "sizes": (400, 25, 15, 10), "activations": ("relu", "relu", "linear"),
               "loss": SPARSE, "learning_rate": 0.001, "batch": 32},
    "blobs": {"n": 2_000, "sizes": (2, 2, 4), "activations": ("relu", "linear"),
              "loss": SPARSE, "learning_rate": 0.01, "batch": 32},
    "mnist_mlp": {"n": 60_000, "sizes": (784, 128, 10), "activations": ("relu", "linear"),
                  "loss": SPARSE, "learning_rate": 0.001, "batch": 128},
    "wide_mlp": {"n": 60_000, "sizes": (784, 1024, 1024, 10), "activations": ("relu", "relu", "linear"),
                 "loss": SPARSE, "learning_rate": 0.001, "batch": 256},
    "cnn": {"n": 10_000, "input": (28, 28, 1), "filters": (32, 64), "kernel": 3, "pool": 2,
            "classes": 10, "loss": SPARSE, "learning_rate": 0.001, "batch": 64},
}


def is_cnn(spec) -> bool:
    return "filters" in spec


def n_samples(spec, scale: float = 1.0) -> int:
    # never fewer than a few batches, so a tiny --scale still times whole steps
    return max(int(round(spec["n"] * scale)), 4 * spec["batch"])


def steps_per_epoch(spec, n: int) -> int:
    return -(-n // spec["batch"])  # the last, partial batch is a step too


# ----- data --------------------------------------------------------------------------------
def _coffee(n):
    """The course's coffee-roasting set (200 rows), standardised and tiled up to ``n`` rows."""
    from glassnet.datasets import coffee_roasting

    x, y = coffee_roasting()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    reps = -(-n // len(x))
    return np.tile(x, (reps, 1))[:n].astype(np.float32), np.tile(y, (reps, 1))[:n].astype(np.float32)


def _digits(n, size):
    from glassnet.datasets import synthetic_digits

    (x, y), _ = synthetic_digits.load_data(n_samples=n, image_size=size, test_fraction=0.0, seed=0)
    return x.astype(np.float32), y.astype(np.int64)


def _blobs(n):
    """Four Gaussian clusters in 2-D, one per class, close enough to overlap a little."""
    rng = np.random.default_rng(1)
    centers = np.array([[-2.0, -2.0], [2.0, -2.0], [-2.0, 2.0], [2.0, 2.0]])
    y = rng.integers(0, 4, n)
    x = centers[y] + rng.normal(0.0, 1.0, (n, 2))
    return x.astype(np.float32), y.astype(np.int64)


def _prototypes(n, dim=784, classes=10):
    """MNIST-sized vectors: a faint class prototype (+-0.1 per pixel) under unit Gaussian
    noise. Summed over 784 pixels the classes separate well but not perfectly (about
    80-90% is reachable), so accuracy still tells a working trainer from a broken one.
    Drawn in float32 directly: 60,000 x 784 takes well under a second."""
    rng = np.random.default_rng(2)
    protos = rng.choice(np.array([-0.1, 0.1], np.float32), (classes, dim))
    y = rng.integers(0, classes, n)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x += protos[y]
    return x, y.astype(np.int64)


def make_data(name: str, scale: float = 1.0):
    """``(x, y)`` for workload ``name``, the same arrays in every process."""
    spec = WORKLOADS[name]
    n = n_samples(spec, scale)
    if name == "coffee":
        return _coffee(n)
    if name == "digits":
        x, y = _digits(n, 20)
        return x.reshape(n, -1), y
    if name == "cnn":
        x, y = _digits(n, 28)
        return x[:, :, :, None], y
    if name == "blobs":
        return _blobs(n)
    return _prototypes(n)


# ----- initial weights ---------------------------------------------------------------------
def _glorot(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def cnn_shapes(spec):
    """(height, width) after the last conv + pool stage, and the flattened size."""
    h, w, _ = spec["input"]
    for _ in spec["filters"]:
        h, w = (h - spec["kernel"] + 1) // spec["pool"], (w - spec["kernel"] + 1) // spec["pool"]
    return (h, w), h * w * spec["filters"][-1]


def initial_weights(spec, seed: int = 0):
    """Keras-layout weights in ``get_weights()`` order: Glorot-uniform kernels, zero biases."""
    rng = np.random.default_rng(seed)
    weights = []
    if is_cnn(spec):
        k, channels = spec["kernel"], spec["input"][-1]
        for filters in spec["filters"]:
            weights += [_glorot(rng, (k, k, channels, filters), k * k * channels, k * k * filters),
                        np.zeros(filters, np.float32)]
            channels = filters
        _, flat = cnn_shapes(spec)
        return weights + [_glorot(rng, (flat, spec["classes"]), flat, spec["classes"]),
                          np.zeros(spec["classes"], np.float32)]
    sizes = spec["sizes"]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        weights += [_glorot(rng, (fan_in, fan_out), fan_in, fan_out), np.zeros(fan_out, np.float32)]
    return weights


# ----- results -----------------------------------------------------------------------------
def accuracy(spec, outputs, y) -> float:
    """Training accuracy from a framework's outputs (see the module docstring)."""
    outputs = np.asarray(outputs)
    if spec["loss"] == BINARY:
        return float(np.mean((outputs.reshape(-1) >= 0.5) == (np.asarray(y).reshape(-1) >= 0.5)))
    return float(np.mean(outputs.argmax(axis=1) == np.asarray(y)))


def summarise(spec, n, times, outputs, y, **extra):
    """One run's figures: steady seconds per epoch is the median of the epochs after the
    first (the first pays for warm-up: caches, allocators, tracing, compilation)."""
    steady = statistics.median(times[1:]) if len(times) > 1 else times[0]
    return {"epoch_s": steady, "us_per_step": steady / steps_per_epoch(spec, n) * 1e6,
            "first_epoch_s": times[0], "epochs": list(times), "accuracy": accuracy(spec, outputs, y),
            **extra}
